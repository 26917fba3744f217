"""backward_steps: the reverse pass of ``tape.gradient``, one recorded op at a time.

It runs ``tape.gradient``'s own loop (minitf/tape.py ``backward``) with an
observer, so the steps are exactly the ops the gradient runs, in its order,
and the last running totals are the gradients it returns. Like ``gradient()``
it consumes a non-persistent tape (and records on outer tapes).
"""
from .. import _nest
from ..tape import GRAD, INPUTS, NAME, OUT, MultiOutputGrad
from ..tensor import _TensorLike
from . import _dot
from ._layout import Layout
from ._recording import Recording
from ._values import gradient_text


class BackwardStep:
    """One op of the reverse pass: what reached it and what it sent back."""

    __slots__ = ("number", "index", "op", "output", "upstream", "inputs", "totals",
                 "_known")

    def __init__(self, number, index, op, output, upstream, inputs, totals, known):
        self.number = number        # 1, 2, ... in the order the reverse pass runs
        self.index = index          # the op's position on the tape (node ``op<index>``)
        self.op = op                # the op's name, e.g. "multiply"
        self.output = output        # label of the value the op produced
        self.upstream = upstream    # d target / d output (a list for multi-output ops)
        self.inputs = inputs        # ((input label, gradient sent or None), ...)
        self.totals = totals        # running total per source after this step (or None)
        self._known = known         # id(value) -> gradient so far (frames)

    def __repr__(self):
        return f"<BackwardStep {self.number}: {self.op} -> {self.output}>"


class BackwardSteps(tuple):
    """The steps of a reverse pass (a tuple); ``str()`` is a table, ``frames()`` pictures.

    ``sources`` names the sources (column titles), ``gradients`` is what
    ``tape.gradient(target, sources)`` returns (same structure as ``sources``).
    """

    def __new__(cls, steps, recording, names, gradients, targets):
        self = super().__new__(cls, steps)
        self._recording, self.sources, self.gradients = recording, names, gradients
        self._targets = targets
        return self

    def __str__(self):
        return _table(self)

    def frames(self, values=True, rankdir="TB", max_depth=None):
        """One ``graphviz.Digraph`` per step: the current op highlighted, gradients so far.

        Node ids stay the same from frame to frame, so slides line up.
        """
        for step in self:
            graph = _dot.new_digraph(f"step_{step.number}", rankdir)
            graph.attr(label=_dot.plain_label(
                f"step {step.number} of {len(self)}: {step.op} (highlighted) sends its "
                f"gradient to its inputs"), labelloc="t", fontsize="12")
            Layout(self._recording, grads=step._known, targets=self._targets,
                   values=values, max_depth=max_depth, current=step.index).emit(graph)
            yield graph


def backward_steps(tape, target, sources, output_gradients=None):
    """The reverse pass of ``tape.gradient(target, sources)`` as a list of steps.

    Each step is one recorded op, in the order the reverse pass runs them: the
    op, the upstream gradient that reached its output, the gradient sent to
    each input, and the running total per source. The last totals equal
    ``tape.gradient``'s result (``.gradients``). As ``gradient()`` does, it
    uses up a non-persistent tape: create the tape with ``persistent=True`` to
    also call ``gradient()`` or ``tape_graph`` on it afterwards.

    >>> x = mtf.constant(3.0)
    >>> with mtf.GradientTape() as tape:
    ...     tape.watch(x, name="x")
    ...     y = x * x
    >>> steps = mtf.viz.backward_steps(tape, y, x)
    >>> [s.op for s in steps], float(steps.gradients)
    (['multiply'], 6.0)
    """
    recording = Recording(tape, "mtf.viz.backward_steps")
    flat_sources = _nest.flatten(sources)
    observer = _Observer(recording, flat_sources)
    gradients = tape._gradient(target, sources, output_gradients, "none",
                               on_step=observer.step, caller="mtf.viz.backward_steps")
    names = tuple(observer.label(s) for s in flat_sources)
    targets = _nest.flatten(target)
    return BackwardSteps(observer.steps, recording, names, gradients, targets)


class _Observer:
    """Turns each call of the reverse loop's ``on_step`` into a BackwardStep."""

    def __init__(self, recording, sources):
        self.rec, self.sources = recording, sources
        self.position = {id(node): i for i, node in enumerate(recording.nodes)}
        self.producer = {id(node[OUT]): i for i, node in enumerate(recording.nodes)}
        self.steps, self.done = [], {}

    def label(self, x):
        """``x``, ``w`` (names), ``multiply#3`` (op output 3), ``2.5`` (a number)."""
        if not isinstance(x, _TensorLike):
            return repr(x)
        name = self.rec.source_name(x)
        if name is not None:
            return name
        index = self.producer.get(id(x))
        if index is not None:
            return f"{self.rec.nodes[index][NAME]}#{index}"
        return "watched" if id(x) in self.rec.watched else "constant"

    def step(self, node, upstream, input_grads, grads, found):
        index = self.position[id(node)]
        if type(node[GRAD]) is MultiOutputGrad:
            for y, gy in zip(node[GRAD].outputs, upstream):
                if gy is not None:
                    self.done[id(y)] = gy
        else:
            self.done[id(node[OUT])] = upstream
        inputs = tuple((self.label(x), g) for x, g in zip(node[INPUTS], input_grads))
        totals = tuple(_total(s, grads, found) for s in self.sources)
        known = {**self.done, **grads}
        self.steps.append(BackwardStep(len(self.steps) + 1, index, node[NAME],
                                       self.label(node[OUT]), upstream, inputs, totals,
                                       known))


def _total(source, grads, found):
    g = found.get(id(source))
    return grads.get(id(source)) if g is None else g


def _cell(gradient):
    """A gradient in a table cell: signed value(s), or the norm of a large one."""
    if gradient is None:
        return "-"
    if isinstance(gradient, list):
        return "; ".join(_cell(g) for g in gradient)
    return gradient_text(gradient)[len("grad "):]


def _table(steps):
    """One row per (step, input); a step's first row also shows the running totals."""
    header = ("step", "op", "upstream", "input", "sent") + steps.sources
    rows = []
    for step in steps:
        first = (str(step.number), step.output, _cell(step.upstream))
        totals = tuple(_cell(t) for t in step.totals)
        for k, (label, sent) in enumerate(step.inputs or (("", None),)):
            lead = first if k == 0 else ("",) * 3
            rows.append(lead + (label, _cell(sent)) + (totals if k == 0 else
                                                     ("",) * len(totals)))
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    lines = [_row(header, widths), rule] + [_row(r, widths) for r in rows]
    title = (f"Reverse pass: {len(steps)} steps (op#k: the tape's op number k, from 0); "
             f"the source columns are the running totals after each step.")
    return "\n".join([title, ""] + lines)


def _row(cells, widths):
    return "  ".join(c.rjust(w) if i == 0 else c.ljust(w)
                     for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
