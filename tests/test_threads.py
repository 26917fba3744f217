"""tapes and name scopes are thread-local."""
import threading

import numpy as np

import minitf as mtf

STEPS = 20


def run_in_threads(*targets):
    """Run each target in its own thread; re-raise the first error."""
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as error:   # reported in the main thread
                errors.append(error)
        return run
    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]


def test_two_threads_recording_at_once_get_their_own_gradients():
    barrier = threading.Barrier(2, timeout=30)
    results = {}

    def polynomial():
        x = mtf.constant(1.5, dtype=mtf.float64)
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(STEPS):
                barrier.wait()
                y = y * x                    # x ** (STEPS + 1)
        results["poly"] = (tape.gradient(y, x), [n[0] for n in tape._nodes], len(tape._nodes))

    def trig():
        x = mtf.constant(0.3, dtype=mtf.float64)
        with mtf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x
            for _ in range(STEPS):
                barrier.wait()
                y = mtf.sin(y)
        results["trig"] = (tape.gradient(y, x), [n[0] for n in tape._nodes])

    run_in_threads(polynomial, trig)
    grad, _, _ = results["poly"]
    np.testing.assert_allclose(float(grad), (STEPS + 1) * 1.5 ** STEPS, rtol=1e-12)
    grad, names = results["trig"]
    assert names == ["sin"] * STEPS
    value, expected = 0.3, 1.0
    for _ in range(STEPS):
        expected *= np.cos(value)
        value = np.sin(value)
    np.testing.assert_allclose(float(grad), expected, rtol=1e-12)


def test_a_tape_in_one_thread_does_not_record_another_threads_ops():
    x = mtf.constant(2.0)
    started, done = threading.Event(), threading.Event()

    def worker():
        started.wait(30)
        for _ in range(5):
            x * x
        done.set()

    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        run_worker = threading.Thread(target=worker)
        run_worker.start()
        started.set()
        done.wait(30)
        run_worker.join(30)
        y = x + 1.0
    assert [n[0] for n in tape._nodes] == ["add"]
    assert float(tape.gradient(y, x)) == 1.0


def test_name_scopes_are_per_thread():
    barrier = threading.Barrier(2, timeout=30)
    names = {}

    def first():
        with mtf.name_scope("alpha"):
            barrier.wait()            # second thread now creates its variable
            barrier.wait()
            names["first"] = mtf.Variable(1.0, name="v").name

    def second():
        barrier.wait()                # first thread is inside "alpha"
        with mtf.name_scope("beta"):
            names["second"] = mtf.Variable(1.0, name="w").name
        names["second_outside"] = mtf.Variable(1.0).name
        barrier.wait()

    run_in_threads(first, second)
    assert names == {"first": "alpha/v:0", "second": "beta/w:0",
                     "second_outside": "Variable:0"}
