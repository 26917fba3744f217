"""Training step of a small CNN: minitf beside PyTorch and a plain-numpy floor.

conv3x3(32)-relu-maxpool2-conv3x3(64)-relu-maxpool2-dense(10) on 64 one-channel
28x28 images (SAME padding), sparse softmax cross-entropy, Adam: forward, loss,
gradients and the update, timed side by side with interleaved repeats (medians).
minitf runs NHWC, PyTorch its native NCHW (what a torch user writes). The numpy
floor is the same step written by hand (sliding-window views + matmul, no tape).

``--ops`` adds per-op rows (each conv and pool pass of the step alone, minitf
beside torch's aten kernels), and one row per formulation that minitf's kernels
choose between, so the choice by shape can be checked on this machine.
"""
import argparse
import statistics

import numpy as np

from _timing import interleaved, keep_only, optional_torch

BATCH, SIZE, C1, C2, CLASSES, LR = 64, 28, 32, 64, 10, 1e-3


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZE, SIZE, 1)).astype(np.float32)
    return x, rng.integers(0, CLASSES, BATCH).astype(np.int32)


# ------------------------------------------------------------------ steps

def minitf_step(x, y):
    import minitf as mtf
    conv1, conv2 = mtf.layers.Conv2D(C1, 3), mtf.layers.Conv2D(C2, 3)
    dense, flatten = mtf.layers.Linear(CLASSES), mtf.layers.Flatten()
    opt = mtf.optimizers.Adam(LR)

    def model(t):
        t = mtf.nn.max_pool2d(mtf.nn.relu(conv1(t)), 2, 2, "VALID")
        t = mtf.nn.max_pool2d(mtf.nn.relu(conv2(t)), 2, 2, "VALID")
        return dense(flatten(t))

    model(x)
    variables = conv1.trainable_variables + conv2.trainable_variables + dense.trainable_variables

    def step():
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_mean(mtf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=model(x)))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return step


def torch_step(x, y):
    torch = optional_torch()
    if torch is None:
        return None
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, C1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(C1, C2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(C2 * 7 * 7, CLASSES))
    opt = torch.optim.Adam(model.parameters(), LR)
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(tx), ty).backward()
        opt.step()
    return step


def numpy_step(x, y):
    """The step by hand in numpy: the floor a library without a tape could reach."""
    rng = np.random.default_rng(1)
    shapes = [(3, 3, 1, C1), (C1,), (3, 3, C1, C2), (C2,), (C2 * 49, CLASSES), (CLASSES,)]
    params = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    t = [0]

    def step():
        grads = _numpy_grads(params, x, y)
        t[0] += 1
        scale = LR * np.sqrt(1 - 0.999 ** t[0]) / (1 - 0.9 ** t[0])
        for p, g, (m, v) in zip(params, grads, moments):
            m += (g - m) * np.float32(0.1)
            v += (g * g - v) * np.float32(0.001)
            p -= np.float32(scale) * m / (np.sqrt(v) + np.float32(1e-7))
    return step


def _np_cols(x):
    """SAME 3x3 receptive fields of NHWC x as (n*h*w, 9*c) (one copy)."""
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 9 * x.shape[3])


def _np_col2im(cols, shape):
    n, h, w, c = shape
    cols = cols.reshape(n, h, w, 3, 3, c)
    xp = np.zeros((n, h + 2, w + 2, c), cols.dtype)
    for p in range(3):
        for q in range(3):
            xp[:, p:p + h, q:q + w] += cols[:, :, :, p, q]
    return xp[:, 1:-1, 1:-1]


def _np_pool(a):
    n, h, w, c = a.shape
    blocks = a.reshape(n, h // 2, 2, w // 2, 2, c)
    out = blocks.max(axis=(2, 4))
    mask = blocks == out[:, :, None, :, None]
    return out, mask


def _numpy_grads(params, x, y):
    w1, b1, w2, b2, wd, bd = params
    n = x.shape[0]
    c1 = _np_cols(x)
    a1 = np.maximum(c1 @ w1.reshape(-1, C1) + b1, 0).reshape(n, SIZE, SIZE, C1)
    p1, m1 = _np_pool(a1)
    c2 = _np_cols(p1)
    a2 = np.maximum(c2 @ w2.reshape(-1, C2) + b2, 0).reshape(n, 14, 14, C2)
    p2, m2 = _np_pool(a2)
    flat = p2.reshape(n, -1)
    logits = flat @ wd + bd
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    dl = e / e.sum(axis=1, keepdims=True)
    dl[np.arange(n), y] -= 1
    dl /= n
    dflat = dl @ wd.T
    da2 = (m2 * dflat.reshape(p2.shape)[:, :, None, :, None]).reshape(a2.shape) * (a2 > 0)
    da2 = da2.reshape(-1, C2)
    dp1 = _np_col2im(da2 @ w2.reshape(-1, C2).T, p1.shape)
    da1 = ((m1 * dp1[:, :, None, :, None]).reshape(a1.shape) * (a1 > 0)).reshape(-1, C1)
    return [(c1.T @ da1).reshape(w1.shape), da1.sum(0), (c2.T @ da2).reshape(w2.shape),
            da2.sum(0), flat.T @ dl, dl.sum(0)]


# ---------------------------------------------------------------- per op

def op_runs(x):
    """[(row, [(framework, step)])]: each conv/pool pass of the step on its own."""
    import minitf as mtf
    from minitf.kernels.conv import columns_worth_keeping
    from minitf.ops import conv as ops_conv
    rng = np.random.default_rng(2)
    w1 = mtf.constant(rng.standard_normal((3, 3, 1, C1)).astype(np.float32))
    w2 = mtf.constant(rng.standard_normal((3, 3, C1, C2)).astype(np.float32))
    x1 = mtf.constant(x)
    x2 = mtf.constant(rng.standard_normal((BATCH, 14, 14, C1)).astype(np.float32))
    g1 = mtf.constant(rng.standard_normal((BATCH, SIZE, SIZE, C1)).astype(np.float32))
    g2 = mtf.constant(rng.standard_normal((BATCH, 14, 14, C2)).astype(np.float32))
    geom = lambda k: (3, 3, 1, 1, 1, 1, 1, 1, k, k)  # noqa: E731

    def pool(a):
        with mtf.GradientTape() as tape:
            tape.watch(a)
            out = mtf.nn.max_pool2d(a, 2, 2, "VALID")
        return tape.gradient(out, a, output_gradients=out)

    cols1 = columns_worth_keeping(x, C1, geom(28))      # kept by conv1's forward
    rows = {
        "conv1 fwd": lambda: mtf.nn.conv2d(x1, w1, 1, "SAME"),
        "conv1 bwd (filter grad)": lambda: ops_conv._filter_grad(x1, g1, w1.shape, geom(28),
                                                                 cols1),
        "conv2 fwd": lambda: mtf.nn.conv2d(x2, w2, 1, "SAME"),
        "conv2 input-grad": lambda: ops_conv._input_grad(w2, g2, x2.shape, geom(14)),
        "conv2 filter-grad": lambda: ops_conv._filter_grad(x2, g2, w2.shape, geom(14)),
        "pool1 fwd+bwd": lambda: pool(g1),
        "pool2 fwd+bwd": lambda: pool(g2),
    }
    theirs = _torch_ops(x1.numpy(), w1.numpy(), x2.numpy(), w2.numpy(), g1.numpy(), g2.numpy())
    return [(name, [("minitf", step)] + ([("torch", theirs[name])] if theirs else []))
            for name, step in rows.items()]


def _torch_ops(x1, w1, x2, w2, g1, g2):
    torch = optional_torch()
    if torch is None:
        return None
    nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa
    oihw = lambda w: torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))  # noqa
    tx1, tx2, tg1, tg2 = map(nchw, (x1, x2, g1, g2))
    tw1, tw2 = oihw(w1), oihw(w2)
    aten = torch.ops.aten
    conv = torch.nn.functional.conv2d

    def back(g, a, w, mask):
        return aten.convolution_backward(g, a, w, None, [1, 1], [1, 1], [1, 1], False,
                                         [0, 0], 1, mask)

    def pool(a):
        out, idx = aten.max_pool2d_with_indices(a, [2, 2], [2, 2])
        return aten.max_pool2d_with_indices_backward(out, a, [2, 2], [2, 2], [0, 0],
                                                     [1, 1], False, idx)
    return {
        "conv1 fwd": lambda: conv(tx1, tw1, padding=1),
        "conv1 bwd (filter grad)": lambda: back(tg1, tx1, tw1, [False, True, False]),
        "conv2 fwd": lambda: conv(tx2, tw2, padding=1),
        "conv2 input-grad": lambda: back(tg2, tx2, tw2, [True, False, False]),
        "conv2 filter-grad": lambda: back(tg2, tx2, tw2, [False, True, False]),
        "pool1 fwd+bwd": lambda: pool(tg1),
        "pool2 fwd+bwd": lambda: pool(tg2),
    }


def formulation_runs(x):
    """[(row, [(formulation, step)])] at the kernel level, for conv1 and conv2:
    minitf's im2col + BLAS in chunks of images (what it runs), the same over the
    whole batch at once, direct numba loops (no im2col; fwd and filter grad) and
    numpy's sliding windows + matmul."""
    from minitf.kernels import conv as K
    rng = np.random.default_rng(3)
    rows = []
    for name, c, oc, k in (("conv1", 1, C1, SIZE), ("conv2", C1, C2, 14)):
        a = x if c == 1 else rng.standard_normal((BATCH, k, k, c)).astype(np.float32)
        w = rng.standard_normal((3, 3, c, oc)).astype(np.float32)
        g = rng.standard_normal((BATCH * k * k, oc)).astype(np.float32)
        geom, wmat = (3, 3, 1, 1, 1, 1, 1, 1, k, k), w.reshape(-1, oc)
        whole = _whole_batch(K)
        rows.append((f"{name} fwd", [
            ("chunks", lambda: K.conv_forward(a, wmat, geom)),
            ("whole", lambda: whole(K.conv_forward, a, wmat, geom)),
            ("direct", lambda: _direct_fwd(a, w, np.empty((BATCH, k, k, oc), np.float32))),
            ("numpy", lambda: _np_cols(a) @ wmat)]))
        if name == "conv2":
            rows.append((f"{name} input-grad", [
                ("chunks", lambda: K.conv_input_grad(g, wmat, a.shape, geom)),
                ("whole", lambda: whole(K.conv_input_grad, g, wmat, a.shape, geom)),
                ("numpy", lambda: _np_col2im(g @ wmat.T, a.shape))]))
        rows.append((f"{name} filter-grad", [
            ("chunks", lambda: K.conv_filter_grad(a, g, geom)),
            ("whole", lambda: whole(K.conv_filter_grad, a, g, geom)),
            ("direct", lambda: _direct_filter_grad(a, g.reshape(BATCH, k, k, oc),
                                                   np.empty_like(w))),
            ("numpy", lambda: _np_cols(a).T @ g)]))
    return rows


def _whole_batch(K):
    def run(fn, *args):
        saved, K._CHUNK = K._CHUNK, 1 << 40
        try:
            return fn(*args)
        finally:
            K._CHUNK = saved
    return run


def _direct_fwd(x, w, out):
    """3x3 SAME stride-1 convolution as numba loops, vectorized over out channels."""
    global _direct_fwd
    import numba

    @numba.njit(cache=True)
    def direct_fwd(x, w, out):
        n, h, wd, c = x.shape
        for b in range(n):
            for i in range(h):
                out[b, i] = 0
                for p in range(3):
                    y = i + p - 1
                    if 0 <= y < h:
                        for q in range(3):
                            for j in range(max(0, 1 - q), min(wd, wd + 1 - q)):
                                for ch in range(c):
                                    v, o_row = x[b, y, j + q - 1, ch], out[b, i, j]
                                    for o in range(w.shape[3]):
                                        o_row[o] += v * w[p, q, ch, o]
        return out
    _direct_fwd = direct_fwd
    return direct_fwd(x, w, out)


def _direct_filter_grad(x, g, dw):
    """The filter gradient of the same convolution as numba loops."""
    global _direct_filter_grad
    import numba

    @numba.njit(cache=True)
    def direct_filter_grad(x, g, dw):
        n, h, wd, c = x.shape
        dw[:] = 0
        for b in range(n):
            for i in range(h):
                for p in range(3):
                    y = i + p - 1
                    if 0 <= y < h:
                        for q in range(3):
                            for j in range(max(0, 1 - q), min(wd, wd + 1 - q)):
                                for ch in range(c):
                                    v, d_row = x[b, y, j + q - 1, ch], dw[p, q, ch]
                                    for o in range(g.shape[3]):
                                        d_row[o] += v * g[b, i, j, o]
        return dw
    _direct_filter_grad = direct_filter_grad
    return direct_filter_grad(x, g, dw)


# ---------------------------------------------------------------- report

def report(title, runs, repeats, iters):
    interleaved(runs, repeats=2, iters=1)      # numba compiles, caches warm
    samples = interleaved(runs, repeats=repeats, iters=iters)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    print(title)
    for name, median in medians.items():
        print(f"  {name:12s} {median * 1e3:8.3f} ms (median of {repeats} x {iters})")
    return medians


def ratio_line(medians, base="torch", label="minitf / torch"):
    if base in medians and "minitf" in medians:
        return f"{label}: {medians['minitf'] / medians[base]:.2f} (medians)"
    return f"{label}: n/a (not both timed)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", choices=["minitf", "torch"],
                        help="time one framework alone (benchmarks/separate_processes.py)")
    parser.add_argument("--ops", action="store_true", help="per-op and formulation rows")
    parser.add_argument("--no-step", action="store_true", help="skip the whole-step timing")
    args = parser.parse_args()
    x, y = data()
    if not args.no_step:
        makers = (("minitf", minitf_step), ("torch", torch_step), ("numpy", numpy_step))
        runs = keep_only([(name, step) for name, make in makers
                          if (step := make(x, y)) is not None], args.only)
        medians = report(f"CNN step (conv3x3({C1})-pool-conv3x3({C2})-pool-dense, "
                         f"batch {BATCH}, {SIZE}x{SIZE}, Adam)", runs, args.repeats, 3)
        print("  " + ratio_line(medians))
        print("  " + ratio_line(medians, "numpy", "minitf / numpy"))
    if args.ops:
        print("per op (ms, medians):")
        for row, runs in op_runs(x):
            medians = statistics_row(runs, args.repeats)
            print(f"  {row:26s} " + "  ".join(f"{k} {v * 1e3:7.3f}" for k, v in medians.items())
                  + "   " + ratio_line(medians))
        print("formulations (kernel level, ms, medians):")
        for row, runs in formulation_runs(x):
            medians = statistics_row(runs, args.repeats)
            print(f"  {row:26s} " + "  ".join(f"{k} {v * 1e3:7.3f}" for k, v in medians.items()))


def statistics_row(runs, repeats):
    interleaved(runs, repeats=2, iters=1)
    samples = interleaved(runs, repeats=repeats, iters=5)
    return {name: statistics.median(times) for name, times in samples.items()}


if __name__ == "__main__":
    main()
