"""mtf.viz: pictures of models and of what a tape recorded.

``module_graph`` draws a Module's structure, ``tape_graph`` the ops a
GradientTape recorded (with values and signed gradients), ``backward_steps``
walks the reverse pass op by op, ``call_graph`` draws the data flow between
module calls, ``summary`` tabulates parameters and output shapes,
``function_graph`` draws the program an ``mtf.function`` traced.
Graphs are ``graphviz.Digraph`` objects (inline in Jupyter, ``.source`` for the
DOT text, ``.render()`` to a file with the Graphviz ``dot`` program).
"""
from .call_graph import call_graph  # noqa: F401
from .function_graph import function_graph  # noqa: F401
from .module_graph import module_graph  # noqa: F401
from .summary import Summary, SummaryRow, summary  # noqa: F401
from .tape_graph import tape_graph  # noqa: F401
# last: importing minitf.tape before the modules above breaks `python -m minitf.viz`
from .backward_steps import BackwardStep, BackwardSteps, backward_steps  # noqa: F401
