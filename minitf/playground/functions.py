"""The standard 2-D test functions of optimization, written with minitf ops.

Each takes ``xy`` of shape ``(2,)`` (a Variable during a race: the result is
differentiable) or ``(2, ...)`` (a grid, for contour plots) and returns
``f(xy[0], xy[1])``. The minima, a default start and a plotting window are
attributes, so ``race`` and ``plot_race`` need nothing else.
"""
import numpy as np

from ..ops.convert import convert_to_tensor


class TestFunction:
    """A 2-D function with its known minima, a default start and a plotting window.

    >>> float(mtf.playground.rosenbrock(mtf.constant([1.0, 1.0])))
    0.0
    """

    __test__ = False    # a "Test..." class that is not a pytest test case

    def __init__(self, name, formula, fn, minima, start, xlim, ylim, log_levels=True,
                 minimum_value=0.0, note=""):
        self.name = name                  # e.g. "Rosenbrock"
        self.formula = formula            # plain text, e.g. "(1 - x)^2 + 100 (y - x^2)^2"
        self._fn = fn
        self.minima = np.asarray(minima, np.float64).reshape(-1, 2)   # (k, 2); k may be 0
        self.minimum_value = minimum_value  # f at every minimum (None: unbounded below)
        self.start = tuple(float(v) for v in start)
        self.xlim = tuple(xlim)           # plotting window
        self.ylim = tuple(ylim)
        self.log_levels = log_levels      # contours log-spaced (f >= 0 and steep walls)
        self.note = note

    def __call__(self, xy):
        """``f(x, y)`` for ``xy`` of shape (2,) or (2, ...): a Tensor, differentiable."""
        xy = convert_to_tensor(xy)
        if xy.shape[:1] != (2,):
            raise ValueError(f"{self.name}: expected a point of shape (2,) or a grid of "
                             f"shape (2, ...), got shape {tuple(xy.shape)}; pass "
                             "[x, y] or np.stack([X, Y])")
        return self._fn(xy[0], xy[1])

    def grid(self, n=200):
        """``(X, Y, Z)`` numpy arrays of ``f`` on an n x n grid over the plotting window."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            Z = self(np.stack([X, Y])).numpy()
        return X, Y, Z

    def __repr__(self):
        return f"<mtf.playground.TestFunction {self.name}: f(x, y) = {self.formula}>"


def _rosenbrock(x, y, a=1.0, b=100.0):
    return (a - x) ** 2 + b * (y - x * x) ** 2


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
            + (2.625 - x + x * y * y * y) ** 2)


def _himmelblau(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _saddle(x, y):
    return x * x - y * y


def _quadratic(x, y, condition=100.0):
    return 0.5 * (x * x + condition * y * y)


rosenbrock = TestFunction(
    "Rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", _rosenbrock, minima=[(1.0, 1.0)],
    start=(-1.5, 2.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
    note="a curved, flat-bottomed valley: easy to find, slow to follow")
beale = TestFunction(
    "Beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2", _beale,
    minima=[(3.0, 0.5)], start=(1.0, 1.4), xlim=(-1.0, 4.0), ylim=(-1.5, 2.0),
    note="flat plateaus and steep walls in the corners")
himmelblau = TestFunction(
    "Himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", _himmelblau,
    minima=[(3.0, 2.0), (-2.805118086953, 3.131312518251),
            (-3.779310253378, -3.283185991286), (3.584428340330, -1.848126526964)],
    start=(0.0, 0.0), xlim=(-5.0, 5.0), ylim=(-5.0, 5.0),
    note="four minima, all with f = 0: which one you reach depends on the optimizer")
saddle = TestFunction(
    "saddle", "x^2 - y^2", _saddle, minima=[], minimum_value=None,
    start=(-1.5, 1e-3), xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), log_levels=False,
    note="no minimum (unbounded below); a saddle point at (0, 0) where the gradient is "
         "zero: a start on the x axis stalls there")
ill_conditioned = TestFunction(
    "ill-conditioned quadratic", "(x^2 + 100 y^2) / 2", _quadratic, minima=[(0.0, 0.0)],
    start=(-4.5, 0.8), xlim=(-5.0, 5.0), ylim=(-1.0, 1.0),
    note="Hessian diag(1, 100), condition number 100: gradient descent zig-zags across "
         "the narrow direction; SGD diverges for learning rates above 2/100")

FUNCTIONS = {f.name: f for f in (rosenbrock, beale, himmelblau, saddle, ill_conditioned)}
