"""Sequential: call layers (any callables) one after the other."""
import inspect

from ..module import Module


class Sequential(Module):
    """Runs ``layers`` in order.

    Extra positional call arguments go to the first layer only (Sonnet);
    keyword arguments go to every layer whose ``__call__`` accepts them, so
    ``net(x, training=True)`` reaches the ``Dropout`` and ``BatchNorm`` layers
    and skips ``Linear`` and plain functions (Keras). A keyword no layer
    accepts is a ``TypeError``.

    >>> net = mtf.layers.Sequential([mtf.layers.Linear(4), mtf.nn.relu,
    ...                              mtf.layers.Dropout(0.5), mtf.layers.Linear(1)])
    >>> net(mtf.ones([2, 3]), training=True).shape, len(net.trainable_variables)
    ((2, 1), 4)
    """

    # The per-layer cache of accepted keywords is bookkeeping, not state.
    _MODULE_IGNORED_PROPERTIES = frozenset({"_accepted"})

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self.layers = list(layers) if layers is not None else []
        for i, layer in enumerate(self.layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layers must be callable; layers[{i}] is "
                                f"{type(layer).__name__}.")
        self._accepted = {}      # id(layer) -> (layer, keyword names or ALL)

    @Module.with_name_scope
    def __call__(self, inputs, *args, **kwargs):
        if kwargs:
            self._check_keywords(kwargs)
        outputs = inputs
        for i, layer in enumerate(self.layers):
            own = self._keywords_for(layer, kwargs) if kwargs else kwargs
            outputs = layer(outputs, *args, **own) if i == 0 else layer(outputs, **own)
        return outputs

    def _keywords_for(self, layer, kwargs):
        """The subset of ``kwargs`` that ``layer`` accepts."""
        accepted = self._accepted_by(layer)
        if accepted is _ALL:
            return kwargs
        return {key: value for key, value in kwargs.items() if key in accepted}

    def _accepted_by(self, layer):
        """The keyword names ``layer``'s call accepts (inspected once per layer)."""
        cached = self._accepted.get(id(layer))
        if cached is None or cached[0] is not layer:
            cached = self._accepted[id(layer)] = (layer, _keyword_names(layer))
        return cached[1]

    def _check_keywords(self, kwargs):
        """TypeError for keywords that no layer accepts (a typo would do nothing)."""
        unused = set(kwargs)
        for layer in self.layers:
            accepted = self._accepted_by(layer)
            unused = set() if accepted is _ALL else unused - accepted
            if not unused:
                return
        received = ", ".join(f"{key}={kwargs[key]!r}" for key in sorted(unused))
        raise TypeError(f"Sequential.__call__: no layer accepts the keyword argument(s) "
                        f"{sorted(unused)}. Received: {received}")


_ALL = object()     # a call with **kwargs accepts every keyword


def _keyword_names(layer):
    """``_ALL`` if ``layer`` takes ``**kwargs``, else the names it accepts by keyword."""
    try:
        parameters = inspect.signature(layer).parameters.values()
    except (TypeError, ValueError):      # no signature to read (some builtins)
        return frozenset()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return _ALL
    return frozenset(p.name for p in parameters
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
