"""mtf.playground: race optimizers on the standard 2-D test functions and draw it.

The functions (``rosenbrock``, ``beale``, ``himmelblau``, ``saddle``,
``ill_conditioned``) are minitf functions of a length-2 point with their
minima, a default start and a plotting window as attributes. ``race`` runs
optimizers on one of them and returns the paths and losses as numpy arrays;
``plot_race`` draws them with matplotlib (``pip install minitf[plot]``), which
is imported only when you plot. docs/playground.md is the guide.
"""
from .functions import (  # noqa: F401
    FUNCTIONS, TestFunction, beale, himmelblau, ill_conditioned, rosenbrock, saddle)
from .plot import plot_race  # noqa: F401
from .race import RaceResult, race  # noqa: F401
