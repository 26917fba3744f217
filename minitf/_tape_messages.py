"""What GradientTape.watch and gradient() say about their arguments: watch names and
the warnings TensorFlow also gives (integer watches, gradient() inside its own tape)."""
import warnings

from . import _nest


def _watch_names(flat, name):
    """One name (or None) per flattened watched value."""
    if name is None:
        return [None] * len(flat)
    if isinstance(name, str):
        return [name] * len(flat) if len(flat) == 1 else [
            f"{name}[{i}]" for i in range(len(flat))]
    names = _nest.flatten(name)
    if len(names) != len(flat) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"GradientTape.watch: name must be a str or a structure of str "
                         f"like the watched values ({len(flat)} of them). "
                         f"Received: name={name!r}")
    return names


def _warn_not_floating(x):
    """Watching an integer or bool value records nothing: say so (TensorFlow warns)."""
    warnings.warn(
        f"GradientTape.watch: the watched value has dtype {x.dtype}, which has no "
        f"gradient; the tape ignores it and gradient() will return None for it. "
        f"Watch a floating value instead, e.g. mtf.cast(x, mtf.float32) (or create it "
        f"as mtf.constant(3.0) rather than mtf.constant(3)).", UserWarning, stacklevel=3)


def _warn_recording_own_gradient(caller):
    """TensorFlow's warning for gradient() inside a persistent tape's own block."""
    warnings.warn(
        f"{caller} was called inside the `with` block of its own persistent tape, so "
        f"the tape also records the backward pass: slower and more memory. Call it "
        f"after the `with` block, or inside `with tape.stop_recording():`; keep it "
        f"inside only if you want higher-order derivatives of the gradient.",
        UserWarning, stacklevel=4)
