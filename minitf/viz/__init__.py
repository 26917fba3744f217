"""mtf.viz: pictures of models and of what a tape recorded.

``module_graph`` draws a Module's structure, ``tape_graph`` the ops a
GradientTape recorded, ``summary`` tabulates parameters and output shapes,
``function_graph`` draws the program an ``mtf.function`` traced.
Graphs are ``graphviz.Digraph`` objects (inline in Jupyter, ``.source`` for the
DOT text, ``.render()`` to a file with the Graphviz ``dot`` program).
"""
from .function_graph import function_graph  # noqa: F401
from .module_graph import module_graph  # noqa: F401
from .summary import Summary, SummaryRow, summary  # noqa: F401
from .tape_graph import tape_graph  # noqa: F401
