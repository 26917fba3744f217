"""mtf.function replay beside minitf eager, PyTorch eager and jax.jit, in one process.

Five workloads, each built by the existing benchmarks (op_overhead, mlp_step,
transformer_block, cnn_step) and timed with interleaved repeats (medians):
the 100-op elementwise chain fwd+bwd on float32[16], the tiny 2-16-16-1 SGD step,
the 784-512-512-10 Adam step at batch 128, the pre-LN transformer block step and
the small CNN step. "function" is the eager step wrapped in ``mtf.function``
(traced on its first call, replayed after). The JAX rows write the same model
functionally: ``jax.grad`` and a hand-written SGD/Adam update in one ``jax.jit``
step, with ``block_until_ready``; they are skipped when jax is not importable.
"floor" is a numpy run of only the step's forward and backward matrix products.
``--only NAME`` times one workload; ``--profile`` then shows where each replay's
time goes (steps by op, the generated code alone). numpy's BLAS, torch and XLA run
on one thread each (minitf's own two-thread kernel pool stays), as on a shared
machine under load their multi-threaded timings are erratic (torch's tiny MLP
step 20x slower); ``--library-threads`` keeps each library's own thread count.
"""
import argparse
import importlib
import math
import os
import statistics
import sys
import time

import numpy as np

import cnn_step
import mlp_step
import op_overhead
import transformer_block
from _timing import interleaved, optional_torch

ROWS = ("eager", "function", "torch", "jax", "floor")
NOTES = []          # why a row is missing, printed under the table
FUNCTIONS = {}      # workload: (its mtf.function, the arguments the row calls it with)


def optional_jax():
    """The jax module, or None when it is not importable (its rows then print "n/a")."""
    try:
        return importlib.import_module("jax")
    except ImportError as e:
        NOTES.append(f"jax rows skipped: {e} (install with "
                     f"`.venv/bin/python -m pip install 'jax[cpu]'`)")
        return None


def traced(step, label):
    """``step`` wrapped in mtf.function and traced now; None if an op is not traceable."""
    import minitf as mtf
    fn = mtf.function(step)
    try:
        fn()
    except NotImplementedError as e:
        NOTES.append(f"{label}: function row skipped: {e}")
        return None
    FUNCTIONS[label] = (fn, ())
    return fn


# ------------------------------------------------------------------ jax helpers

def _dense_params(jnp, rng, sizes):
    """[(W, b)] of a stack of dense layers, He-normal weights, zero biases."""
    return [(jnp.asarray((rng.standard_normal((n, m)) * math.sqrt(2 / n)).astype(np.float32)),
             jnp.zeros(m, jnp.float32)) for n, m in zip(sizes[:-1], sizes[1:])]


def _jax_update(jax, optimizer, lr):
    """A pure ``(params, state, grads) -> (params, state)``: plain SGD or Adam."""
    jnp, tmap = jax.numpy, jax.tree_util.tree_map
    if optimizer == "sgd":
        return lambda p, s, g: (tmap(lambda a, d: a - lr * d, p, g), s)

    def adam(p, s, g):
        m, v, t = s
        t = t + 1
        m = tmap(lambda m_, g_: m_ + (g_ - m_) * 0.1, m, g)
        v = tmap(lambda v_, g_: v_ + (g_ * g_ - v_) * 0.001, v, g)
        scale = lr * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        p = tmap(lambda p_, m_, v_: p_ - scale * m_ / (jnp.sqrt(v_) + 1e-7), p, m, v)
        return p, (m, v, t)
    return adam


def _jax_state(jax, optimizer, params):
    """The optimizer state a fresh ``_jax_update`` starts from."""
    if optimizer == "sgd":
        return ()
    zeros = jax.tree_util.tree_map(jax.numpy.zeros_like, params)
    return zeros, jax.tree_util.tree_map(jax.numpy.zeros_like, params), jax.numpy.float32(0)


def jax_trainer(jax, loss, params, batch, optimizer, lr):
    """A zero-arg training step: grad of ``loss(params, *batch)`` and the update, one jit."""
    update = _jax_update(jax, optimizer, lr)

    def train(p, s, *data):
        return update(p, s, jax.grad(loss)(p, *data))
    jitted = jax.jit(train, donate_argnums=(0, 1))
    state = [params, _jax_state(jax, optimizer, params)]
    data = [jax.device_put(a) for a in batch]

    def step():
        state[0], state[1] = jitted(state[0], state[1], *data)
        jax.block_until_ready(state[0])
    return step


def _jax_xent(jax, logits, labels):
    """Mean sparse softmax cross-entropy."""
    picked = jax.numpy.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)
    return -picked.mean()


# ------------------------------------------------------------------ chain

def chain_rows():
    """{row: step} for the 100-op chain; the function's gradient is checked first."""
    import minitf as mtf
    start = np.random.default_rng(0).standard_normal(op_overhead.SIZE).astype(np.float32) * 0.1
    eager_var, fn_var = mtf.Variable(start), mtf.Variable(start)
    fn = mtf.function(op_overhead.minitf_step)
    FUNCTIONS["chain"] = (fn, (fn_var,))
    expected = op_overhead.minitf_step(eager_var).numpy()
    check_close("chain function", fn(fn_var).numpy(), expected)
    rows = {"eager": lambda: op_overhead.minitf_step(eager_var),
            "function": lambda: fn(fn_var)}
    torch = optional_torch()
    if torch is not None:
        leaf = torch.tensor(start, requires_grad=True)
        rows["torch"] = lambda: op_overhead.torch_step(torch, leaf)
    jax = optional_jax()
    if jax is not None:
        rows["jax"] = jax_chain(jax, start, expected)
    return rows


def jax_chain(jax, start, expected):
    """The chain's gradient as one jit of jax.grad, checked against ``expected``."""
    def loss(x):
        y = x
        for _ in range(op_overhead.CHAIN):
            y = jax.numpy.tanh(y * 1.01) + x - 0.5
        return y.sum()
    grad = jax.jit(jax.grad(loss))
    x = jax.device_put(start)
    check_close("chain jax", np.asarray(grad(x)), expected)
    return lambda: grad(x).block_until_ready()


def check_close(what, ours, expected):
    """Stop when two gradients differ: timing a wrong program is moot."""
    if not np.allclose(ours, expected, rtol=1e-4, atol=1e-5):
        raise SystemExit(f"{what} gradient differs from eager: {ours} vs {expected}")


# ------------------------------------------------------------------ MLPs

def mlp_rows(workload):
    """{row: step} for one of mlp_step's workloads ("tiny" or "mlp")."""
    sizes, batch, optimizer, lr = mlp_step.WORKLOADS[workload]
    x, y = mlp_step.data(sizes, batch)
    rows = {"eager": mlp_step.minitf_step(sizes, optimizer, lr, x, y),
            "function": traced(mlp_step.minitf_step(sizes, optimizer, lr, x, y), workload),
            "torch": mlp_step.torch_step(sizes, optimizer, lr, x, y)}
    jax = optional_jax()
    if jax is not None:
        rows["jax"] = jax_mlp(jax, sizes, optimizer, lr, x, y)
    if workload == "mlp":
        rows["floor"] = mlp_matmul_floor(sizes, batch)
    return rows


def jax_mlp(jax, sizes, optimizer, lr, x, y):
    """The ReLU MLP step of mlp_step in jax (cross-entropy if classes, else MSE)."""
    def forward(params, h):
        for w, b in params[:-1]:
            h = jax.nn.relu(h @ w + b)
        w, b = params[-1]
        return h @ w + b

    def loss(params, h, target):
        out = forward(params, h)
        if sizes[-1] > 1:
            return _jax_xent(jax, out, target)
        return ((out - target) ** 2).mean()
    params = _dense_params(jax.numpy, np.random.default_rng(1), sizes)
    return jax_trainer(jax, loss, params, (x, y), optimizer, lr)


def mlp_matmul_floor(sizes, batch):
    """Only the step's matrix products in numpy: each layer's forward and weight
    gradient, and the input gradient of every layer but the first (8 for 3 layers)."""
    rng = np.random.default_rng(2)
    normal = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    layers = [(normal(batch, n), normal(n, m), normal(batch, m))
              for n, m in zip(sizes[:-1], sizes[1:])]

    def step():
        for i, (a, w, g) in enumerate(layers):
            a @ w
            a.T @ g
            if i:
                g @ w.T
    return step


# ------------------------------------------------------------------ transformer

def module_rows(module, name, jax_model, floor=False):
    """{row: step} for a benchmark module's step builders (``floor``: its numpy_floor)."""
    data = module.data()
    rows = {"eager": module.minitf_step(*data),
            "function": traced(module.minitf_step(*data), name),
            "torch": module.torch_step(*data)}
    if floor:
        rows["floor"] = module.numpy_floor(*data)
    jax = optional_jax()
    if jax is not None:
        rows["jax"] = jax_model(jax, *data)
    return rows


def transformer_rows():
    """{row: step} for transformer_block's encoder block step (floor: its numpy_floor)."""
    return module_rows(transformer_block, "transformer", jax_transformer, floor=True)


def _jax_layer_norm(jax, h, scale_offset):
    """Layer normalization over the last axis (eps 1e-5, as mtf.layers.LayerNorm)."""
    g, b = scale_offset
    mean = h.mean(-1, keepdims=True)
    var = ((h - mean) ** 2).mean(-1, keepdims=True)
    return (h - mean) * jax.lax.rsqrt(var + 1e-5) * g + b


def jax_transformer(jax, x, t):
    """transformer_block's block in jax: separate projections, softmax attention, GELU."""
    tb, jnp = transformer_block, jax.numpy
    mask, scale = jnp.asarray(tb.causal_mask()), 1 / math.sqrt(tb.HEAD)
    rng = np.random.default_rng(3)
    proj = _dense_params(jnp, rng, (tb.WIDTH,) * 5)     # q, k, v, o: width x width
    mlp = _dense_params(jnp, rng, (tb.WIDTH, tb.HIDDEN, tb.WIDTH))
    norms = [(jnp.ones(tb.WIDTH), jnp.zeros(tb.WIDTH)) for _ in range(2)]

    def heads(h):
        return h.reshape(tb.BATCH, tb.SEQ, tb.HEADS, tb.HEAD).transpose(0, 2, 1, 3)

    def block(p, h):
        (wq, wk, wv, wo), (w1, w2), (ln1, ln2) = p
        a = _jax_layer_norm(jax, h, ln1)
        q, k, v = (heads(a @ w + b) for w, b in (wq, wk, wv))
        attn = jax.nn.softmax(q @ k.swapaxes(-1, -2) * scale + mask, axis=-1)
        o = (attn @ v).transpose(0, 2, 1, 3).reshape(tb.BATCH, tb.SEQ, tb.WIDTH)
        h = h + o @ wo[0] + wo[1]
        hidden = jax.nn.gelu(_jax_layer_norm(jax, h, ln2) @ w1[0] + w1[1], approximate=False)
        return h + hidden @ w2[0] + w2[1]

    def loss(p, h, target):
        return ((block(p, h) - target) ** 2).mean()
    return jax_trainer(jax, loss, (proj, mlp, norms), (x, t), "adam", tb.LR)


# ------------------------------------------------------------------ CNN

def cnn_rows():
    """{row: step} for cnn_step's small CNN step."""
    return module_rows(cnn_step, "cnn", jax_cnn)


def jax_cnn(jax, x, y):
    """cnn_step's model in jax, NHWC: two SAME 3x3 conv-relu-maxpool2 and a dense layer."""
    cs, lax, jnp = cnn_step, jax.lax, jax.numpy
    rng = np.random.default_rng(4)
    filters = [(jnp.asarray((rng.standard_normal(shape) * 0.1).astype(np.float32)),
                jnp.zeros(shape[-1], jnp.float32))
               for shape in ((3, 3, 1, cs.C1), (3, 3, cs.C1, cs.C2))]
    dense = _dense_params(jnp, rng, (cs.C2 * 49, cs.CLASSES))

    def conv_block(h, w, b):
        h = lax.conv_general_dilated(h, w, (1, 1), "SAME",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return lax.reduce_window(jax.nn.relu(h + b), -jnp.inf, lax.max, (1, 2, 2, 1),
                                 (1, 2, 2, 1), "VALID")

    def loss(p, h, labels):
        convs, ((wd, bd),) = p
        for w, b in convs:
            h = conv_block(h, w, b)
        return _jax_xent(jax, h.reshape(h.shape[0], -1) @ wd + bd, labels)
    return jax_trainer(jax, loss, (filters, dense), (x, y), "adam", cs.LR)


# ------------------------------------------------------------------ replay profile

def _value(ref, values):
    """What a step reads for ``ref``: a slot's value, a Variable's array, a constant."""
    from minitf._function.recorder import SLOT, VARIABLE
    kind, what = ref
    return values[what] if kind == SLOT else what._value if kind == VARIABLE else what


def _seconds(call, budget=0.02, batches=5):
    """Seconds per call of ``call()``: the best of ``batches`` batches of as many calls
    as fit in about ``budget`` (the best, as load on the machine only adds time)."""
    begin = time.perf_counter()
    call()
    once = time.perf_counter() - begin
    calls = max(1, min(2000, int(budget / batches / max(once, 1e-7))))
    best = math.inf
    for _ in range(batches):
        begin = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - begin) / calls)
    return best


def steps_alone(program, arrays):
    """[(seconds, outputs)] per step: each run alone, repeatedly (warm caches, reused
    memory), on the values one replay computes. Stateful steps run as often as timed."""
    values = dict(zip(program.input_slots, arrays))
    costs = []
    for step in program.steps:
        args = [_value(ref, values) for ref in step.ins]
        out = step.fn(*args)
        costs.append((_seconds(lambda: step.fn(*args)), out))
        if step.outs:
            values.update(zip(step.outs, out if step.many else (out,)))
    return costs


def _recompiled(program, lines, namespace):
    """The program's function compiled from other ``lines`` with extra globals."""
    namespace = dict(program.run.__globals__, **namespace)
    exec(compile("\n".join(lines) + "\n", "<profiled replay>", "exec"), namespace)
    return namespace[program.run.__name__]


def noop_replay(program, outputs):
    """The program with each step's function replaced by a Python function returning
    its recorded output: the cost of the generated code and of one call per step."""
    recorded = {}
    for step, out in zip(program.steps, outputs):
        recorded.setdefault(id(step.fn), out)
    fakes = {name: (lambda *args, _out=recorded[id(obj)]: _out)
             for name, obj in program.run.__globals__.items() if id(obj) in recorded}
    return _recompiled(program, program.source.splitlines(), fakes)


def timed_replay(program):
    """(run, seconds): the program with a clock around each step's line (``del`` and
    check lines are not steps); ``seconds[i]`` adds up step i's time over the calls."""
    lines = program.source.splitlines()
    timed, i = [lines[0]], 0
    for line in lines[1:-1]:
        if line.startswith(("    del ", "    check_")):     # not a step: freeing, checks
            timed.append(line)
            continue
        timed += ["    _t = _clock()", line, f"    _spent[{i}] += _clock() - _t"]
        i += 1
    if i != len(program.steps):
        raise SystemExit(f"profile: {i} step lines for {len(program.steps)} steps")
    seconds = [0.0] * i
    run = _recompiled(program, timed + lines[-1:], {"_clock": time.perf_counter,
                                                     "_spent": seconds})
    return run, seconds


def _kind(step):
    """A step's op and what runs it (a numpy ufunc, or the qualified Python name)."""
    fn = step.fn
    if type(fn).__name__ == "ufunc":
        return f"{step.op} [ufunc]"
    return f"{step.op} [{getattr(fn, '__qualname__', type(fn).__name__)}]"


def _clock_overhead(samples=20000):
    """What a clocked region measures when it holds nothing (taken off each step)."""
    clock, spent = time.perf_counter, 0.0
    for _ in range(samples):
        t = clock()
        spent += clock() - t
    return spent / samples


def profile_replay(name):
    """Print where one replay of the workload's function goes: the whole call, the
    program, its generated code alone, and its steps by op (in the replay and alone)."""
    from minitf._function.signature import call_key
    fn, args = FUNCTIONS[name]
    arrays = []
    call_key(args, [], arrays)
    program = fn.get_concrete_function(*args).program
    alone = steps_alone(program, arrays)
    noop = noop_replay(program, [out for _, out in alone])
    whole = [("mtf.function call", lambda: fn(*args)),
             ("program.run", lambda: program.run(*arrays)),
             ("generated code, no-op steps", lambda: noop(*arrays))]
    iters = max(1, int(0.05 / _seconds(whole[1][1], 0.05, 1)))
    best = {k: min(v) for k, v in interleaved(whole, repeats=7, iters=iters).items()}
    run, spent = timed_replay(program)
    for _ in range(iters * 7):
        run(*arrays)
    overhead = _clock_overhead()
    in_replay = [max(0.0, s / (iters * 7) - overhead) for s in spent]
    best["steps in replay (clocked), sum"] = sum(in_replay)
    best["steps alone, sum"] = sum(seconds for seconds, _ in alone)
    n = len(program.steps)
    print(f"\nreplay profile: {name}, {n} steps (calls: best of 7 x {iters}; steps: mean "
          f"of {iters * 7} clocked replays, {overhead * 1e6:.2f} us/step clock cost taken off)")
    for label, seconds in best.items():
        print(f"  {label:32}{seconds * 1e6:11.1f} us{seconds * 1e6 / n:9.2f} us/step")
    _print_groups(program.steps, in_replay, [s for s, _ in alone])


def _print_groups(steps, in_replay, alone):
    """Steps grouped by ``_kind``, costliest first: time in the replay and alone."""
    groups = {}
    for step, t, a in zip(steps, in_replay, alone):
        count, total, total_alone = groups.get(_kind(step), (0, 0.0, 0.0))
        groups[_kind(step)] = (count + 1, total + t, total_alone + a)
    whole = sum(in_replay)
    print(f"  {'op [runs as]':54}{'steps':>6}{'replay us':>11}{'us/step':>9}{'share':>7}"
          f"{'alone us':>10}")
    for kind, (count, total, total_alone) in sorted(groups.items(), key=lambda g: -g[1][1]):
        print(f"  {kind[:54]:54}{count:6}{total * 1e6:11.1f}{total * 1e6 / count:9.2f}"
              f"{total / whole:7.0%}{total_alone * 1e6:10.1f}")


# ------------------------------------------------------------------ workloads

WORKLOADS = {   # name: (title, rows maker, iters per sample, [(numerator, denominator, limit)])
    "chain": ("100-op elementwise chain fwd+bwd, float32[16]", chain_rows, 200,
              [("function", "torch", 0.25)]),
    "tiny": ("tiny MLP 2-16-16-1 SGD step, batch 32", lambda: mlp_rows("tiny"), 200,
             [("function", "torch", 0.5), ("function", "jax", 1.0)]),
    "mlp": ("MLP 784-512-512-10 Adam step, batch 128", lambda: mlp_rows("mlp"), 10,
            [("function", "torch", 0.8), ("function", "floor", 1.3)]),
    "transformer": ("pre-LN transformer encoder block Adam step", transformer_rows, 3,
                    [("function", "torch", 0.8)]),
    "cnn": ("small CNN Adam step, batch 64", cnn_rows, 3, [("function", "torch", 1.2)]),
}


def measure(name, repeats):
    """Medians (seconds per step) of every available row of one workload."""
    _, make, iters, _ = WORKLOADS[name]
    runs = [(row, step) for row, step in make().items() if step is not None]
    runs.sort(key=lambda run: ROWS.index(run[0]))
    interleaved(runs, repeats=2, iters=max(1, iters // 4))     # compile, trace, warm caches
    samples = interleaved(runs, repeats=repeats, iters=iters)
    return {row: statistics.median(times) for row, times in samples.items()}


def ratio(medians, a, b):
    """``medians[a] / medians[b]``, or None when either row is missing."""
    if a in medians and b in medians:
        return medians[a] / medians[b]
    return None


def _cell(value, fmt):
    return f"{'n/a':>{fmt.split('.')[0]}}" if value is None else f"{value:{fmt}}"


def print_table(results):
    """Absolute medians (ms) and ratios, one line per workload."""
    head = f"{'workload':12}" + "".join(f"{r + ' ms':>12}" for r in ROWS)
    print(head + f"{'fn/torch':>10}{'fn/jax':>8}{'fn/floor':>10}{'eager/torch':>12}")
    for name, medians in results.items():
        times = "".join(_cell(None if r not in medians else medians[r] * 1e3, "12.3f")
                        for r in ROWS)
        print(f"{name:12}{times}{_cell(ratio(medians, 'function', 'torch'), '10.2f')}"
              f"{_cell(ratio(medians, 'function', 'jax'), '8.2f')}"
              f"{_cell(ratio(medians, 'function', 'floor'), '10.2f')}"
              f"{_cell(ratio(medians, 'eager', 'torch'), '12.2f')}")


def print_targets(results):
    """One line per target: the ratio, the limit and whether it is met."""
    print("targets:")
    for name, medians in results.items():
        for a, b, limit in WORKLOADS[name][3]:
            value = ratio(medians, a, b)
            verdict = "n/a" if value is None else ("met" if value <= limit else "MISSED")
            shown = "n/a" if value is None else f"{value:.2f}"
            print(f"  {name:12} {a}/{b} = {shown:>5} (target <= {limit}): {verdict}")


def single_thread():
    """Re-run this script with numpy's BLAS, torch and XLA at one thread each (the
    variables must be set before the libraries load)."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        return
    flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} {flags}")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def machine_line(load_at_start):
    """Threads and load: what the timings depend on beyond the code."""
    torch = optional_torch()
    threads = "n/a" if torch is None else torch.get_num_threads()
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    line = (f"torch threads {threads}, OPENBLAS_NUM_THREADS "
            f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; load average "
            f"{load_at_start:.1f} at start, {load:.1f} at end, on {cores} cores")
    if max(load, load_at_start) > cores and "OPENBLAS_NUM_THREADS" not in os.environ:
        line += " (busy: multi-threaded timings are erratic; drop --library-threads)"
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="time one workload")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--profile", action="store_true",
                        help="after timing, show where each function replay's time goes")
    parser.add_argument("--library-threads", action="store_true",
                        help="keep each library's own thread count (default: one each)")
    args = parser.parse_args()
    if not args.library_threads:
        single_thread()
    names = [args.only] if args.only else list(WORKLOADS)
    load_at_start = os.getloadavg()[0]
    results = {}
    for name in names:
        print(f"timing {name}: {WORKLOADS[name][0]} ...", flush=True)
        results[name] = measure(name, args.repeats)
    print(f"\nmedians (ms) of {args.repeats} interleaved repeats; floor: numpy running "
          f"only the step's matmuls\n{machine_line(load_at_start)}")
    print_table(results)
    print_targets(results)
    for note in dict.fromkeys(NOTES):
        print("note:", note)
    if args.profile:
        for name in names:
            if name in FUNCTIONS:
                profile_replay(name)


if __name__ == "__main__":
    main()
