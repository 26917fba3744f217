"""mtf.playground: the test functions against their closed forms, race paths against
hand-computed steps, and plot_race's figure (and its error without matplotlib)."""
import subprocess
import sys

import numpy as np
import pytest

import minitf as mtf

pg = mtf.playground


# ---- the functions: value and gradient written out by hand with numpy

def _closed_forms():
    def rosenbrock(x, y):
        return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
                np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)]))

    def beale(x, y):
        t = [1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3]
        dx = [y - 1, y ** 2 - 1, y ** 3 - 1]
        dy = [x, 2 * x * y, 3 * x * y ** 2]
        return (sum(v * v for v in t),
                np.array([sum(2 * a * b for a, b in zip(t, dx)),
                          sum(2 * a * b for a, b in zip(t, dy))]))

    def himmelblau(x, y):
        a, b = x * x + y - 11, x + y * y - 7
        return a * a + b * b, np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])

    def saddle(x, y):
        return x * x - y * y, np.array([2 * x, -2 * y])

    def quadratic(x, y):
        return 0.5 * (x * x + 100 * y * y), np.array([x, 100 * y])

    return {"Rosenbrock": rosenbrock, "Beale": beale, "Himmelblau": himmelblau,
            "saddle": saddle, "ill-conditioned quadratic": quadratic}


CLOSED = _closed_forms()


def _value_and_gradient(function, point):
    v = mtf.Variable(np.array(point, np.float64))
    with mtf.GradientTape() as tape:
        value = function(v)
    return float(value), tape.gradient(value, v).numpy()


def test_there_are_the_five_standard_functions():
    assert set(pg.FUNCTIONS) == set(CLOSED)
    assert pg.FUNCTIONS["Rosenbrock"] is pg.rosenbrock


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_values_and_gradients_match_the_closed_forms(name):
    function, rng = pg.FUNCTIONS[name], np.random.default_rng(0)
    for point in rng.uniform(-3, 3, (8, 2)):
        value, gradient = _value_and_gradient(function, point)
        want_value, want_gradient = CLOSED[name](*point)
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
        np.testing.assert_allclose(gradient, want_gradient, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_a_grid_evaluates_pointwise(name):
    function = pg.FUNCTIONS[name]
    X, Y, Z = function.grid(n=7)
    assert X[0, 0] == function.xlim[0] and Y[-1, -1] == function.ylim[1]
    np.testing.assert_allclose(Z, CLOSED[name](X, Y)[0], rtol=1e-12)


@pytest.mark.parametrize("name", ["Rosenbrock", "Beale", "Himmelblau",
                                  "ill-conditioned quadratic"])
def test_the_listed_minima_are_minima(name):
    function = pg.FUNCTIONS[name]
    assert len(function.minima) >= 1
    for point in function.minima:
        value, gradient = _value_and_gradient(function, point)
        assert abs(value - function.minimum_value) < 1e-18
        assert np.abs(gradient).max() < 1e-10
        # a minimum: every nearby point is higher
        for direction in np.random.default_rng(1).normal(size=(16, 2)):
            assert float(function(point + 1e-3 * direction)) > value
        assert function.xlim[0] < point[0] < function.xlim[1]
        assert function.ylim[0] < point[1] < function.ylim[1]


def test_himmelblau_has_four_distinct_minima():
    minima = pg.himmelblau.minima
    assert minima.shape == (4, 2)
    assert len({tuple(np.round(m, 3)) for m in minima}) == 4
    np.testing.assert_array_equal(minima[0], [3.0, 2.0])


def test_the_saddle_has_no_minimum_and_a_flat_point_at_the_origin():
    assert pg.saddle.minima.shape == (0, 2) and pg.saddle.minimum_value is None
    value, gradient = _value_and_gradient(pg.saddle, [0.0, 0.0])
    assert value == 0.0 and np.all(gradient == 0)
    assert float(pg.saddle([0.1, 0.0])) > 0 > float(pg.saddle([0.0, 0.1]))


def test_the_quadratic_has_condition_number_100():
    v = mtf.Variable([0.3, -0.2], dtype=mtf.float64)
    with mtf.GradientTape(persistent=True) as outer:
        with mtf.GradientTape() as inner:
            value = pg.ill_conditioned(v)
        gradient = inner.gradient(value, v)
        rows = [gradient[0], gradient[1]]
    hessian = np.array([outer.gradient(r, v).numpy() for r in rows])
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(100.0)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_each_function_has_a_start_inside_its_window(name):
    function = pg.FUNCTIONS[name]
    assert function.xlim[0] < function.start[0] < function.xlim[1]
    assert function.ylim[0] < function.start[1] < function.ylim[1]
    assert function.name in repr(function)


def test_a_point_of_the_wrong_shape_says_what_to_pass():
    with pytest.raises(ValueError, match=r"shape \(2,\).*got shape \(3,\)"):
        pg.rosenbrock([1.0, 2.0, 3.0])


# ---- race: paths against steps computed by hand

def test_sgd_on_the_quadratic_follows_the_closed_form():
    lr, steps, (x0, y0) = 0.015, 40, pg.ill_conditioned.start
    result = pg.race({"sgd": mtf.optimizers.SGD(lr)}, pg.ill_conditioned, steps=steps)
    k = np.arange(steps + 1)
    # gradient (x, 100 y): x_k = (1 - lr)^k x0, y_k = (1 - 100 lr)^k y0
    want = np.stack([(1 - lr) ** k * x0, (1 - 100 * lr) ** k * y0], axis=1)
    path = result.trajectories["sgd"]
    assert path.shape == (steps + 1, 2) and path.dtype == np.float64
    np.testing.assert_allclose(path, want, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(result.losses["sgd"],
                               0.5 * (want[:, 0] ** 2 + 100 * want[:, 1] ** 2), rtol=1e-12)
    assert result.diverged["sgd"] is None and result.names == ["sgd"]


def test_adam_steps_follow_the_published_formula():
    lr, b1, b2, eps, start = 0.1, 0.9, 0.999, 1e-7, (-1.2, 1.0)
    result = pg.race([mtf.optimizers.Adam(lr, b1, b2, eps)], pg.rosenbrock, start, steps=3)
    # Kingma & Ba, section 2 (the efficient form with epsilon hat)
    p, m, v, want = np.array(start), np.zeros(2), np.zeros(2), [np.array(start)]
    for t in (1, 2, 3):
        g = CLOSED["Rosenbrock"](*p)[1]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        p = p - alpha * m / (np.sqrt(v) + eps)
        want.append(p)
    np.testing.assert_allclose(result.trajectories["Adam"], want, rtol=1e-12)
    # the first step moves each coordinate by about lr, against the gradient's sign
    g0 = CLOSED["Rosenbrock"](*start)[1]
    np.testing.assert_allclose(want[1] - want[0], -lr * np.sign(g0), rtol=1e-6)


class SignSGD(mtf.optimizers.Optimizer):
    """p <- p - lr * sign(g), written as docs/custom_optimizer.md shows."""

    def update_step(self, gradient, variable, learning_rate):
        variable.assign_sub(learning_rate * mtf.sign(gradient))


class HeavyBall(mtf.optimizers.Optimizer):
    """v <- beta * v + g;  p <- p - lr * v."""

    def __init__(self, learning_rate=0.01, beta=0.9, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta = beta

    def build(self, var_list):
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.get_slot(variable, "velocity")
        velocity.assign(self.beta * velocity + gradient)
        variable.assign_sub(learning_rate * velocity)


def test_custom_optimizers_race_next_to_built_in_ones():
    start, steps = (1.0, 1.5), 5
    result = pg.race({"sign": SignSGD(0.25), "heavy ball": HeavyBall(0.001, beta=0.5),
                      "sgd": mtf.optimizers.SGD(0.001)}, pg.beale, start, steps)
    assert result.names == ["sign", "heavy ball", "sgd"]
    p, q, velocity = np.array(start), np.array(start), np.zeros(2)
    for k in range(1, steps + 1):
        p = p - 0.25 * np.sign(CLOSED["Beale"](*p)[1])
        velocity = 0.5 * velocity + CLOSED["Beale"](*q)[1]
        q = q - 0.001 * velocity
        np.testing.assert_allclose(result.trajectories["sign"][k], p, rtol=1e-12)
        np.testing.assert_allclose(result.trajectories["heavy ball"][k], q, rtol=1e-12)
    assert result.optimizers["heavy ball"].get_slot_names() == ["velocity"]


def test_a_diverging_path_stops_and_is_reported_while_the_race_goes_on():
    with pytest.warns(UserWarning, match=r"big diverged at step (\d+).*Lower its learning"):
        result = pg.race({"big": mtf.optimizers.SGD(1.0), "ok": mtf.optimizers.SGD(0.01)},
                         pg.ill_conditioned, steps=200)
    # by hand: x is 0 after one step, y_k = (1 - 100)^k y0; the loss 50 y_k^2
    # overflows float64 first (before y_k itself)
    y0 = pg.ill_conditioned.start[1]
    with np.errstate(over="ignore"):
        first_inf = next(k for k in range(1, 200)
                         if not np.isfinite(50.0 * ((-99.0) ** k * y0) ** 2))
    assert result.diverged == {"big": first_inf, "ok": None}
    path, losses = result.trajectories["big"], result.losses["big"]
    assert np.all(np.isnan(path[first_inf:])) and np.all(np.isnan(losses[first_inf:]))
    np.testing.assert_allclose(path[first_inf - 1], [0.0, (-99.0) ** (first_inf - 1) * y0],
                               rtol=1e-9)
    assert np.all(np.isfinite(result.trajectories["ok"]))
    assert f"diverged at step {first_inf}" in str(result)


def test_a_list_is_named_by_class_and_callers_optimizers_are_not_advanced():
    sgd, other, adam = mtf.optimizers.SGD(0.01), mtf.optimizers.SGD(0.02), \
        mtf.optimizers.Adam(0.01)
    result = pg.race([sgd, other, adam], pg.himmelblau, steps=4)
    assert result.names == ["SGD", "SGD #2", "Adam"]
    assert int(sgd.iterations) == 0 and int(result.optimizers["SGD"].iterations) == 4
    again = pg.race([sgd, other, adam], pg.himmelblau, steps=4)   # the same dict, again
    np.testing.assert_array_equal(again.trajectories["Adam"], result.trajectories["Adam"])


def test_an_optimizer_that_already_stepped_is_refused():
    opt, w = mtf.optimizers.SGD(0.1), mtf.Variable([1.0])
    opt.apply_gradients([(mtf.constant([1.0]), w)])
    with pytest.raises(ValueError, match="already taken 1 steps.*newly built"):
        pg.race([opt], pg.rosenbrock, steps=1)
    with pytest.raises(TypeError, match="not an mtf.optimizers.Optimizer"):
        pg.race({"x": "adam"}, pg.rosenbrock, steps=1)


def test_any_callable_races_given_a_start():
    def bowl(xy):
        return mtf.reduce_sum((xy - mtf.constant([1.0, -2.0], dtype=mtf.float64)) ** 2)

    with pytest.raises(ValueError, match="give `start`"):
        pg.race([mtf.optimizers.SGD(0.1)], bowl, steps=2)
    result = pg.race([mtf.optimizers.SGD(0.25)], bowl, start=[3.0, 0.0], steps=1)
    # gradient 2 (p - c) = (4, 4); p - 0.25 * (4, 4)
    np.testing.assert_allclose(result.trajectories["SGD"], [[3.0, 0.0], [2.0, -1.0]])
    np.testing.assert_allclose(result.losses["SGD"], [8.0, 2.0])


# ---- plot_race

def _race_with_a_diverging_path():
    with pytest.warns(UserWarning, match="diverged"):
        return pg.race({"Adam": mtf.optimizers.Adam(0.05), "SGD": mtf.optimizers.SGD(1e-3),
                        "wild": mtf.optimizers.SGD(0.5)}, pg.rosenbrock, steps=60)


def test_plot_race_draws_contours_paths_minima_and_losses(tmp_path):
    from matplotlib.figure import Figure

    result = _race_with_a_diverging_path()
    fig = pg.plot_race(result, path=tmp_path / "race.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "race.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    contour_ax, loss_ax = fig.axes
    levels = [c.levels for c in contour_ax.collections if hasattr(c, "levels")]
    ratios = levels[-1][1:] / levels[-1][:-1]
    np.testing.assert_allclose(ratios, ratios[0])          # log-spaced
    assert ratios[0] > 1.2
    paths = {line.get_label(): line for line in contour_ax.lines}
    np.testing.assert_array_equal(paths["Adam"].get_xydata(), result.trajectories["Adam"])
    assert "wild (diverged at step %d)" % result.diverged["wild"] in paths
    np.testing.assert_array_equal(paths["minimum"].get_xydata(), [[1.0, 1.0]])
    np.testing.assert_array_equal(paths["start"].get_xydata(), [pg.rosenbrock.start])
    assert contour_ax.get_xlim() == pg.rosenbrock.xlim
    assert loss_ax.get_yscale() == "log"
    curves = {line.get_label(): line for line in loss_ax.lines}
    np.testing.assert_array_equal(curves["SGD"].get_ydata(), result.losses["SGD"])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Adam", "SGD", f"wild (diverged at step {result.diverged['wild']})",
                      "start", "minimum"]


def test_plot_race_of_the_saddle_uses_linear_levels_and_no_minimum():
    result = pg.race([mtf.optimizers.SGD(0.05)], pg.saddle, steps=20)
    fig = pg.plot_race(result, title="a saddle")
    contour_ax = fig.axes[0]
    levels = [c.levels for c in contour_ax.collections if hasattr(c, "levels")][-1]
    np.testing.assert_allclose(np.diff(levels), np.diff(levels)[0])
    assert "minimum" not in [line.get_label() for line in contour_ax.lines]
    assert fig._suptitle.get_text() == "a saddle"


def test_without_matplotlib_plot_race_says_how_to_install_it(monkeypatch):
    result = pg.race([mtf.optimizers.SGD(0.01)], pg.beale, steps=2)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install minitf\[plot\]"):
        pg.plot_race(result)


def test_import_minitf_and_racing_do_not_import_matplotlib():
    code = ("import sys, minitf as mtf\n"
            "mtf.playground.race([mtf.optimizers.Adam(0.1)], mtf.playground.beale, steps=2)\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("module", ["functions", "race", "plot"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    found = importlib.import_module(f"minitf.playground.{module}")
    result = doctest.testmod(found, extraglobs={"mtf": mtf})
    assert result.attempted > 0 and result.failed == 0


def test_a_start_where_the_loss_is_infinite_stops_at_step_0_and_still_plots():
    def cliff(xy):
        return mtf.reduce_sum(xy) / mtf.constant(0.0, dtype=mtf.float64)

    with pytest.warns(UserWarning, match="diverged at step 0"):
        result = pg.race([mtf.optimizers.SGD(0.1)], cliff, start=(1.0, 1.0), steps=3)
    assert result.diverged == {"SGD": 0}
    assert np.isnan(result.trajectories["SGD"]).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        fig = pg.plot_race(result)
    assert fig.axes[0].get_xlim()[0] < 1.0 < fig.axes[0].get_xlim()[1]


def test_a_function_that_is_not_a_scalar_of_the_point_is_explained():
    with pytest.raises(ValueError, match="not a scalar.*reduce_sum"):
        pg.race([mtf.optimizers.SGD(0.1)], lambda xy: xy * xy, start=(1.0, 1.0), steps=1)
    with pytest.raises(ValueError, match="does not depend on its argument"):
        pg.race([mtf.optimizers.SGD(0.1)], lambda xy: mtf.constant(2.0), start=(1.0, 1.0),
                steps=1)
