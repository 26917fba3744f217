"""A copy of what a GradientTape recorded, and the module calls its ops ran in.

``tape_graph`` and ``backward_steps`` draw from this copy, so a picture can be
drawn after ``backward_steps`` consumed a non-persistent tape. Calls come from
the marks ``name_scope`` leaves on recording tapes (minitf/_context.py): two
calls of one module are two calls even though their ops share a scope.
"""
from ..tape import OUT, SCOPE, VERSIONS, GradientTape
from ..tensor import Variable


class Call:
    """One entry into a name scope (a module call): its ops and nested calls."""

    __slots__ = ("scope", "parent", "depth", "children", "number", "id")

    def __init__(self, scope, parent, number):
        self.scope, self.parent, self.number = scope, parent, number
        self.depth = 0 if parent is None else parent.depth + 1
        self.children = []
        self.id = scope if number == 1 else f"{scope}#{number}"

    @property
    def label(self):
        """The scope relative to the enclosing call (``linear_0``), with the call number."""
        outer = self.parent.scope if self.parent is not None else ""
        text = self.scope[len(outer):] if self.scope.startswith(outer) else self.scope
        text = text.rstrip("/")
        return text if self.number == 1 else f"{text} (call {self.number})"


class Recording:
    """The tape's nodes, names, gradient-op marks and module calls, copied."""

    def __init__(self, tape, what):
        if not isinstance(tape, GradientTape):
            raise TypeError(f"{what}: expected a GradientTape. "
                            f"Received: {type(tape).__name__}")
        if tape._used:
            raise RuntimeError(
                f"{what}: this non-persistent GradientTape already ran gradient() (or "
                f"backward_steps) and freed its recording. Call {what} before "
                f"gradient(), or create the tape with GradientTape(persistent=True).")
        if not tape._nodes:
            raise ValueError(
                f"{what}: the tape recorded no ops. Inside its `with` block, watch a "
                f"Tensor (tape.watch(x)) or compute with a trainable Variable.")
        self.nodes = list(tape._nodes)
        self.names = dict(tape._names)
        self.watched = {id(x) for x in tape._watched}
        self.tracked = set(tape._tracked)
        self.gradient_ops = {i for start, end in tape._gradient_spans
                             for i in range(start, min(end, len(self.nodes)))}
        self.calls = _calls(self.nodes, tape._scope_marks)
        self.versions = _first_versions(self.nodes)

    def source_name(self, x):
        """The name a source is drawn with, or None for an unnamed one."""
        given = self.names.get(id(x))
        if given is not None:
            return given
        if type(x) is Variable:
            return x.name.rsplit("/", 1)[-1].split(":", 1)[0]
        return getattr(x, "_name", None)

    def assigned_since(self, variable):
        """Whether ``variable`` changed (assign, optimizer step) since an op read it."""
        version = self.versions.get(id(variable))
        return version is not None and variable._version != version

    def known(self, value):
        """Whether ``value`` was recorded or watched on this tape."""
        return id(value) in self.tracked or any(node[OUT] is value for node in self.nodes)


def _first_versions(nodes):
    """``id(variable) -> version`` the first op that saved it saw."""
    found = {}
    for node in nodes:
        for var, version in node[VERSIONS] or ():
            found.setdefault(id(var), version)
    return found


def _calls(nodes, marks):
    """Per node, the tuple of Calls it ran inside, outermost first."""
    numbers = {}

    def open_call(scope, parent):
        numbers[scope] = numbers.get(scope, 0) + 1
        call = Call(scope, parent, numbers[scope])
        if parent is not None:
            parent.children.append(call)
        return call

    stack, paths, m = [], [], 0
    for index, node in enumerate(nodes):
        while m < len(marks) and marks[m][0] <= index:
            _, scope, entered = marks[m]
            m += 1
            if scope and entered:
                stack.append(open_call(scope, stack[-1] if stack else None))
            elif scope and any(call.scope == scope for call in stack):
                while stack.pop().scope != scope:
                    pass
        scope = node[SCOPE]
        while stack and not scope.startswith(stack[-1].scope):
            stack.pop()
        while (stack[-1].scope if stack else "") != scope:    # scopes entered before the tape
            outer = stack[-1].scope if stack else ""
            inner = f"{outer}{scope[len(outer):].split('/', 1)[0]}/"
            if not scope.startswith(inner):      # not a "/"-terminated scope: give up
                break
            stack.append(open_call(inner, stack[-1] if stack else None))
        paths.append(tuple(stack))
    return paths
