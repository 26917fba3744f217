"""Training step of a pre-LN transformer encoder block: minitf beside PyTorch and a
plain-numpy floor for its matrix products, in one process.

x + attention(LN(x)), then x + MLP(LN(x)): batch 32, sequence 64, width 128,
4 heads, a GELU MLP of width 512, a causal additive mask, loss mean((out - t)**2),
Adam. Both frameworks run the same op-by-op pattern (separate q, k, v and output
projections; matmul -> scale -> add mask -> softmax -> matmul); PyTorch without
torch.compile or its fused attention. The floor is every matrix product of the
step (forward and backward) in numpy: what no eager framework on this BLAS beats.
``--ops`` adds per-op rows (minitf beside torch) for the ops of the block.
"""
import argparse
import math
import statistics

import numpy as np

from _timing import interleaved, keep_only, optional_torch

BATCH, SEQ, WIDTH, HEADS, HIDDEN, LR = 32, 64, 128, 4, 512, 1e-3
HEAD = WIDTH // HEADS


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SEQ, WIDTH)).astype(np.float32)
    t = rng.standard_normal((BATCH, SEQ, WIDTH)).astype(np.float32)
    return x, t


def causal_mask():
    """0 on and below the diagonal, -1e9 above: added to the attention scores."""
    return np.triu(np.full((SEQ, SEQ), -1e9, np.float32), k=1)


# ------------------------------------------------------------------ steps

def minitf_step(x, t):
    import minitf as mtf
    ln1, ln2 = mtf.layers.LayerNorm(), mtf.layers.LayerNorm()
    wq, wk, wv, wo = (mtf.layers.Linear(WIDTH) for _ in range(4))
    w1, w2 = mtf.layers.Linear(HIDDEN), mtf.layers.Linear(WIDTH)
    mask, scale = mtf.constant(causal_mask()), 1 / math.sqrt(HEAD)
    opt = mtf.optimizers.Adam(LR)

    def heads(h):
        return mtf.transpose(mtf.reshape(h, (BATCH, SEQ, HEADS, HEAD)), (0, 2, 1, 3))

    def block(h):
        a = ln1(h)
        q, k, v = heads(wq(a)), heads(wk(a)), heads(wv(a))
        p = mtf.nn.softmax(mtf.matmul(q, k, transpose_b=True) * scale + mask)
        o = mtf.reshape(mtf.transpose(mtf.matmul(p, v), (0, 2, 1, 3)), (BATCH, SEQ, WIDTH))
        h = h + wo(o)
        return h + w2(mtf.nn.gelu(w1(ln2(h))))

    block(x)
    layers = (ln1, ln2, wq, wk, wv, wo, w1, w2)
    variables = [v for layer in layers for v in layer.trainable_variables]

    def step():
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_mean(mtf.square(block(x) - t))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return step


def torch_step(x, t):
    torch = optional_torch()
    if torch is None:
        return None
    F, nn = torch.nn.functional, torch.nn
    ln1, ln2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
    wq, wk, wv, wo = (nn.Linear(WIDTH, WIDTH) for _ in range(4))
    w1, w2 = nn.Linear(WIDTH, HIDDEN), nn.Linear(HIDDEN, WIDTH)
    mask, scale = torch.from_numpy(causal_mask()), 1 / math.sqrt(HEAD)
    params = [p for m in (ln1, ln2, wq, wk, wv, wo, w1, w2) for p in m.parameters()]
    opt = torch.optim.Adam(params, LR)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)

    def heads(h):
        return h.reshape(BATCH, SEQ, HEADS, HEAD).permute(0, 2, 1, 3)

    def block(h):
        a = ln1(h)
        q, k, v = heads(wq(a)), heads(wk(a)), heads(wv(a))
        p = F.softmax(torch.matmul(q, k.transpose(-1, -2)) * scale + mask, dim=-1)
        o = torch.matmul(p, v).permute(0, 2, 1, 3).reshape(BATCH, SEQ, WIDTH)
        h = h + wo(o)
        return h + w2(F.gelu(w1(ln2(h))))

    def step():
        opt.zero_grad()
        ((block(tx) - tt) ** 2).mean().backward()
        opt.step()
    return step


def numpy_floor(x, t):
    """Every matmul of the step, forward and backward, and nothing else."""
    rng = np.random.default_rng(1)
    n = BATCH * SEQ
    a2 = x.reshape(n, WIDTH)
    h2 = rng.standard_normal((n, HIDDEN)).astype(np.float32)
    w = rng.standard_normal((WIDTH, WIDTH)).astype(np.float32)
    w_1 = rng.standard_normal((WIDTH, HIDDEN)).astype(np.float32)
    w_2 = rng.standard_normal((HIDDEN, WIDTH)).astype(np.float32)
    q = rng.standard_normal((BATCH, HEADS, SEQ, HEAD)).astype(np.float32)
    p = rng.standard_normal((BATCH, HEADS, SEQ, SEQ)).astype(np.float32)

    def linear(inp, weight, g):
        inp @ weight, g @ weight.T, inp.T @ g

    def step():
        for _ in range(4):                            # q, k, v, o projections
            linear(a2, w, a2)
        linear(a2, w_1, h2)
        linear(h2, w_2, a2)
        kt = q.swapaxes(-1, -2)
        pt = p.swapaxes(-1, -2)
        q @ kt, p @ q, pt @ q                         # scores = q k^T, then dq, dk
        p @ q, q @ kt, pt @ q                         # p @ v, then dp, dv
    return step


def steps(x, t, frameworks=("minitf", "torch", "numpy")):
    makers = {"minitf": minitf_step, "torch": torch_step, "numpy": numpy_floor}
    runs = [(name, makers[name](x, t)) for name in frameworks]
    return [(name, step) for name, step in runs if step is not None]


# ------------------------------------------------------------------ per-op rows

def _minitf_fwd_bwd(fn, *arrays):
    """A closure computing fn's output and the gradients of all inputs."""
    import minitf as mtf
    xs = [mtf.constant(a) for a in arrays]
    probe = fn(*xs)
    upstream = mtf.constant(np.random.default_rng(2).standard_normal(
        probe.shape).astype(np.float32))

    def run():
        with mtf.GradientTape() as tape:
            tape.watch(xs)
            y = fn(*xs)
        tape.gradient(y, xs, output_gradients=upstream)
    return run


def _torch_fwd_bwd(torch, fn, *arrays):
    xs = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    upstream = torch.from_numpy(np.random.default_rng(2).standard_normal(
        fn(*xs).shape).astype(np.float32))

    def run():
        for v in xs:
            v.grad = None
        fn(*xs).backward(upstream)
    return run


def op_rows():
    """[(label, minitf closure, torch closure or None)] for the block's ops."""
    import minitf as mtf
    torch = optional_torch()
    rng = np.random.default_rng(3)
    hidden = rng.standard_normal((BATCH, SEQ, HIDDEN)).astype(np.float32)
    scores = rng.standard_normal((BATCH, HEADS, SEQ, SEQ)).astype(np.float32)
    acts = rng.standard_normal((BATCH, SEQ, WIDTH)).astype(np.float32)
    gamma, beta = np.ones(WIDTH, np.float32), np.zeros(WIDTH, np.float32)
    weight = rng.standard_normal((WIDTH, HIDDEN)).astype(np.float32) * 0.1
    bias = np.zeros(HIDDEN, np.float32)
    ln = mtf.layers.LayerNorm()
    specs = [
        ("gelu fwd+bwd", (hidden,), mtf.nn.gelu, lambda F, h: F.gelu(h)),
        ("gelu tanh fwd+bwd", (hidden,), lambda h: mtf.nn.gelu(h, approximate=True),
         lambda F, h: F.gelu(h, approximate="tanh")),
        ("softmax fwd+bwd", (scores,), mtf.nn.softmax, lambda F, s: F.softmax(s, -1)),
        ("softmax axis 1 fwd+bwd", (scores,), lambda s: mtf.nn.softmax(s, axis=1),
         lambda F, s: F.softmax(s, 1)),
        ("log_softmax fwd+bwd", (scores,), mtf.nn.log_softmax,
         lambda F, s: F.log_softmax(s, -1)),
        ("layer_norm fwd+bwd", (acts,), ln,
         lambda F, a: F.layer_norm(a, (WIDTH,), tg, tb)),
        ("linear 3-D fwd+bwd", (acts, weight, bias), lambda a, w, b: mtf.matmul(a, w) + b,
         lambda F, a, w, b: F.linear(a, w.T, b)),
    ]
    if torch is not None:
        tg, tb = (torch.from_numpy(v).requires_grad_() for v in (gamma, beta))
    rows = [(label, _minitf_fwd_bwd(mf, *arrays),
             _torch_fwd_bwd(torch, lambda *v, tf=tf: tf(torch.nn.functional, *v), *arrays)
             if torch is not None else None)
            for label, arrays, mf, tf in specs]
    tx = torch.from_numpy(hidden) if torch is not None else None
    rows.append(("erf fwd", lambda: mtf.math.erf(hidden),
                 (lambda: torch.erf(tx)) if torch is not None else None))
    return rows


# ------------------------------------------------------------------ report

def _ratio_line(medians, a, b):
    if a in medians and b in medians:
        return f"  {a} / {b}: {medians[a] / medians[b]:.2f} (medians)"
    return f"  {a} / {b}: n/a (not both timed)"


def report(runs, repeats, iters):
    interleaved(runs, repeats=2, iters=1)               # numba compiles once
    samples = interleaved(runs, repeats=repeats, iters=iters)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    print(f"Pre-LN encoder block step: batch {BATCH}, seq {SEQ}, d {WIDTH}, "
          f"{HEADS} heads, GELU MLP {HIDDEN}, Adam")
    for name, median in medians.items():
        print(f"  {name:8s} {median * 1e3:8.3f} ms (median of {repeats} x {iters})")
    print(_ratio_line(medians, "minitf", "torch"))
    print(_ratio_line(medians, "minitf", "numpy"))
    print(_ratio_line(medians, "torch", "numpy"))
    return medians


def report_ops(repeats, iters):
    print("Per-op rows (ms, medians; minitf / torch)")
    for label, mine, theirs in op_rows():
        runs = [("minitf", mine)] + ([("torch", theirs)] if theirs else [])
        interleaved(runs, repeats=2, iters=1)
        samples = interleaved(runs, repeats=repeats, iters=iters)
        m = {name: statistics.median(v) * 1e3 for name, v in samples.items()}
        tail = (f"torch {m['torch']:7.3f}  ratio {m['minitf'] / m['torch']:5.2f}"
                if "torch" in m else "torch n/a")
        print(f"  {label:24s} minitf {m['minitf']:7.3f}  {tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--only", choices=["minitf", "torch"],
                        help="time one framework alone (benchmarks/separate_processes.py)")
    parser.add_argument("--ops", action="store_true", help="add per-op rows")
    parser.add_argument("--no-step", action="store_true", help="per-op rows only")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.torch_threads and optional_torch() is not None:
        optional_torch().set_num_threads(args.torch_threads)
    if not args.no_step:
        report(keep_only(steps(*data()), args.only), args.repeats, args.iters)
    if args.ops or args.no_step:
        report_ops(args.repeats, args.iters * 4)


if __name__ == "__main__":
    main()
