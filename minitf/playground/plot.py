"""``plot_race``: contours, paths and loss curves of a RaceResult, with matplotlib.

matplotlib is imported on the first call, never at ``import minitf``; the
figure is a ``matplotlib.figure.Figure`` built without pyplot, so no backend
or global state is touched.
"""
import numpy as np

_INSTALL = ("plot_race needs matplotlib, the optional `plot` extra: "
            "pip install minitf[plot]  (or: pip install matplotlib)")


def _matplotlib():
    """The ``Figure`` class and ``colors`` module, or an ImportError saying how to install."""
    try:
        from matplotlib import colors
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(_INSTALL) from error
    return Figure, colors


def _window(result, xlim=None, ylim=None):
    """``(xlim, ylim)``: as given, else the test function's window, else around every path."""
    function = result.function
    if xlim is not None and ylim is not None:
        return tuple(xlim), tuple(ylim)
    if hasattr(function, "xlim"):
        return tuple(xlim or function.xlim), tuple(ylim or function.ylim)
    points = np.concatenate([[result.start]] + list(result.trajectories.values()))
    points = points[np.all(np.isfinite(points), axis=1)]
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * np.maximum(high - low, 1e-3)
    return (tuple(xlim or (low[0] - pad[0], high[0] + pad[0])),
            tuple(ylim or (low[1] - pad[1], high[1] + pad[1])))


def _grid(result, xlim, ylim, n=240):
    """``f`` over the window: on the whole grid at once, else point by point (coarser)."""
    X, Y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            Z = np.asarray(result.function(np.stack([X, Y])).numpy(), np.float64)
            if Z.shape == X.shape:
                return X, Y, Z
        except (ValueError, TypeError):   # a function written for one point only
            pass
        X, Y = np.meshgrid(np.linspace(*xlim, 80), np.linspace(*ylim, 80))
        Z = np.array([float(result.function(np.array([x, y])))
                      for x, y in zip(X.ravel(), Y.ravel())]).reshape(X.shape)
    return X, Y, Z


def _levels(Z, log, count):
    """Contour levels: log-spaced from just above the lowest value when asked and f > 0."""
    finite = Z[np.isfinite(Z)]
    low, high = float(finite.min()), float(finite.max())
    if log and low >= 0 and high > 0:
        low = max(low, high * 1e-7, 1e-3)
        return np.geomspace(low, high, count), True
    return np.linspace(low, high, count), False


def _draw_contours(ax, result, colors, levels, xlim, ylim):
    xlim, ylim = _window(result, xlim, ylim)
    X, Y, Z = _grid(result, xlim, ylim)
    if np.isfinite(Z).sum() > 1 and np.ptp(Z[np.isfinite(Z)]) > 0:   # else nothing to draw
        use_log = getattr(result.function, "log_levels", False)
        values, is_log = _levels(Z, use_log, levels)
        norm = colors.LogNorm(values[0], values[-1]) if is_log else None
        ax.contourf(X, Y, Z, levels=values, cmap="Greys_r", norm=norm, alpha=0.35,
                    extend="both")
        ax.contour(X, Y, Z, levels=values, colors="0.45", linewidths=0.5, norm=norm)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def _draw_paths(ax, loss_ax, result, palette, cap):
    start = result.start
    for i, name in enumerate(result.names):
        color = palette[i % len(palette)]
        style = "-" if i < 10 else "--"        # after tab10's colours: dashed
        path, losses = result.trajectories[name], result.losses[name]
        stopped = result.diverged[name]
        label = name if stopped is None else f"{name} (diverged at step {stopped})"
        ax.plot(path[:, 0], path[:, 1], style, color=color, linewidth=1.8, alpha=0.9,
                label=label)
        finite = np.flatnonzero(np.all(np.isfinite(path), axis=1))
        if finite.size:                        # none if it diverged at the start
            ax.plot(*path[finite[-1]], "X" if stopped is not None else "o", color=color,
                    markersize=8, markeredgecolor="black", markeredgewidth=0.6, zorder=5)
        steps = np.arange(len(losses))
        loss_ax.plot(steps, np.clip(losses, -cap, cap), style, color=color, linewidth=1.5,
                     label=label)
    ax.plot(*start, "o", color="white", markeredgecolor="black", markersize=10,
            markeredgewidth=1.5, zorder=6, label="start")


def _draw_minima(ax, function):
    minima = getattr(function, "minima", np.zeros((0, 2)))
    if len(minima):
        ax.plot(minima[:, 0], minima[:, 1], "*", color="gold", markersize=18,
                markeredgecolor="black", markeredgewidth=1.0, zorder=7, label="minimum")


def _loss_scale(loss_ax, result):
    """Log scale when every loss is positive; limits fit the paths that did not diverge.

    Returns the value above which losses are drawn clipped (off the top), so a
    diverging path's 1e300 does not overflow matplotlib's transforms.
    """
    kept = [result.losses[n] for n in result.names if result.diverged[n] is None]
    values = np.concatenate([v[np.isfinite(v)] for v in kept or result.losses.values()])
    if not values.size:
        return np.inf
    low, high = float(values.min()), float(values.max())
    if low > 0:
        loss_ax.set_yscale("log")
        loss_ax.set_ylim(max(low, high * 1e-12) / 2, high * 2)
        return high * 1e3
    if high - low > 1e3:            # e.g. an unbounded function: symmetric log scale
        loss_ax.set_yscale("symlog", linthresh=1.0)
        return 1e200
    pad = 0.05 * (high - low or 1.0)
    loss_ax.set_ylim(low - pad, high + pad)
    return high + 1e3 * (high - low + 1.0)


def plot_race(result, path=None, title=None, xlim=None, ylim=None, levels=30,
              figsize=(15, 6.5), dpi=100):
    """Draw a RaceResult: contours, paths and minima left, losses per step right.

    Contours are log-spaced for functions with steep walls (Rosenbrock, Beale,
    Himmelblau). Each path ends in a dot (an X if it diverged); the white dot
    is the start, gold stars the minima; paths after the tenth are dashed.
    ``xlim``/``ylim`` override the window. Returns the matplotlib Figure;
    ``path=`` also saves it (the format from the suffix, e.g. ``.png``).
    Needs matplotlib (``pip install minitf[plot]``).

    >>> fig = mtf.playground.plot_race(mtf.playground.race([mtf.optimizers.SGD(0.01)],
    ...                                                    mtf.playground.beale))
    """
    Figure, colors = _matplotlib()
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax, loss_ax = fig.subplots(1, 2, width_ratios=[1.15, 1])
    _draw_contours(ax, result, colors, levels, xlim, ylim)
    _draw_paths(ax, loss_ax, result, _PALETTE, _loss_scale(loss_ax, result))
    _draw_minima(ax, result.function)
    name = getattr(result.function, "name", "f")
    formula = getattr(result.function, "formula", None)
    ax.set_title(f"{name}\nf(x, y) = {formula}" if formula else name, fontsize=12)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    loss_ax.set_title(f"loss per step\n({result.steps} steps)", fontsize=12)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("f(x, y)")
    loss_ax.grid(True, which="major", alpha=0.3)
    for axes in (ax, loss_ax):
        axes.tick_params(labelsize=11)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=11, frameon=False)
    if title:
        fig.suptitle(title, fontsize=14)
    if path is not None:
        fig.savefig(path)
    return fig


# tab10, then dark colours for the dashed paths after the tenth (cycled after 16)
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#0b3d91", "#7a0177", "#006d2c",
            "#a63603", "#4d4d4d"]
