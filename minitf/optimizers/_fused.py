"""Base of the built-in optimizers: ``update_step`` runs one fused numba kernel.

A built-in defines ``_kernel(p, g, slots, lr, out, add, wdlr)``: flat arrays
``p`` and ``g``, ``slots`` a dict of flat slot arrays; it casts its scalars to
``p.dtype`` and calls its kernel from ``minitf.kernels.optim``. The base's
step machinery calls ``_kernel`` directly, on whole variables or on the rows
a sparse gradient names (``_sparse``); ``update_step`` (the public hook, for
subclasses that extend it) runs the same kernel on the variable in place.
"""
import numpy as np

from . import _step
from ._hyper import check_bool
from .base import Optimizer
from ..tensor import _TensorLike


class FusedOptimizer(Optimizer):
    """An optimizer whose update is one fused kernel pass.

    ``lazy=True`` changes what an ``IndexedSlices`` gradient does: only the rows
    it names are updated, parameters and slots (the semantics of TF Addons'
    LazyAdam and torch's SparseAdam): the rule runs on the duplicate-summed
    rows with the optimizer's step count, and other rows keep their values,
    moments and accumulators, with no weight decay either. Dense gradients are
    unaffected. With ``lazy=False`` (default) a sparse gradient gives the
    dense update of its densified form; it costs only its rows where that is
    exact (SGD without momentum, Adagrad).
    """

    def __init__(self, learning_rate, *, lazy=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.lazy = check_bool(type(self).__name__, "lazy", lazy)
        if self.lazy and not self._fused_sparse:
            raise ValueError(f"{type(self).__name__}: lazy=True needs the built-in sparse "
                             f"update, and this class overrides update_step or "
                             f"sparse_update_step; write the lazy rule in "
                             f"sparse_update_step instead. Received: lazy=True")

    def get_config(self):
        config = super().get_config()
        config["lazy"] = self.lazy
        return config

    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable`` and its slots in place with this optimizer's kernel."""
        real = self._resolve(variable)
        self._ensure_built([real])
        p = _step._flat(variable)
        g = np.asarray(gradient._value if isinstance(gradient, _TensorLike) else gradient)
        g = np.ascontiguousarray(g, dtype=p.dtype).reshape(-1)
        state = self._states[id(real)]
        slots = _step.slot_arrays(state)
        if p.dtype == np.float16:
            np.add(p, _step.fused_increment(self, p, g, slots, float(learning_rate), 0.0), out=p)
        else:
            self._kernel(p, g, slots, float(learning_rate), p, True, 0.0)
        _step._touch(state, variable)

    update_step._fused = True

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        raise NotImplementedError

    def _rows_only(self, dtype):
        """Whether the dense rule leaves the rows of a zero gradient and their slots
        unchanged, bit for bit, whatever the slots hold that this optimizer wrote
        (given a finite learning rate >= 0 and no weight decay). Off by default."""
        return False

    def _rows_only_slots(self, slots):
        """Whether ``slots`` (flat arrays by name, last assigned by someone else) are
        values for which ``_rows_only`` holds."""
        return True

    def _step_number(self):
        """t in the bias corrections: the number of this update, from 1."""
        return int(self._iterations._value) + 1


def unused_slot(p):
    """A zero-length stand-in for a slot an algorithm variant does not use.

    A view of ``p``: measured, a separate empty array made the compiled loop
    of RMSprop's general kernel several times slower.
    """
    return p[:0]
