"""band_part, trace, diag_part, diag, triangular_solve, inv, solve, det and slogdet
replay under ``mtf.function`` bit for bit as they run eagerly, with two orders of
gradient where they have one.

The structure ops see planted zeros, NaN and infinities (seeds 2 and 3); the solvers
see well-conditioned matrices, new ones on every call.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

la = mtf.linalg
F32, F64 = np.float32, np.float64


def _floats(seed, shape=(2, 3, 4), dtype=F64):
    return _replay.planted(seed, shape, dtype)


def _matrices(seed, shape=(2, 3, 3), dtype=F64):
    """Diagonally dominant matrices: tanh of uniform values plus (n + 1) I."""
    v = np.tanh(np.random.default_rng(seed).uniform(-2, 2, shape)) + np.eye(shape[-1]) * 4
    return mtf.constant(v.astype(dtype))


STRUCTURE = {
    "band_part_causal": lambda x: la.band_part(x, -1, 0),
    "band_part_band": lambda x: la.band_part(x, 1, 2),
    "trace": la.trace,
    "diag_part": lambda x: la.diag_part(x),
    "diag_part_k": lambda x: la.diag_part(x, k=-1),
    "diag": lambda x: la.diag(x, k=1, padding_value=0.5),
    "diag_sized": lambda x: la.diag(x, num_rows=5),
    "diag_part_range": lambda x: la.diag_part(x, k=(-1, 2), padding_value=0.25),
    "diag_range": lambda x: la.diag(x, k=(-1, 1), padding_value=0.25),
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_structure_ops_replay_with_two_orders_of_gradient(name, dtype):
    fn = _replay.with_gradient(lambda x: STRUCTURE[name](x) * 1.5, 2)
    _replay.assert_replays(fn, lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integer_and_bool_structure_ops_replay(dtype):
    def make(seed):
        return (mtf.constant((np.random.default_rng(seed).integers(-3, 4, (2, 3, 4))
                              ).astype(dtype)),)

    def fn(x):
        out = [la.band_part(x, 0, 1), la.diag_part(x, k=2), la.diag(x, k=-1),
               la.diag_part(x, k=(0, 1)), la.diag(x, k=(-2, 0))]
        return out if dtype is np.bool_ else out + [la.trace(x)]
    _replay.assert_replays(fn, make)


SOLVERS = {
    "inv": lambda a, b: la.inv(a),
    "inv_adjoint": lambda a, b: la.inv(a, adjoint=True),
    "solve": lambda a, b: la.solve(a, b),
    "solve_adjoint": lambda a, b: la.solve(a, b, adjoint=True),
    "triangular_solve": lambda a, b: la.triangular_solve(a, b),
    "triangular_solve_upper_adjoint": lambda a, b: la.triangular_solve(a, b, False, True),
    "triangular_solve_broadcast": lambda a, b: la.triangular_solve(a[0], b),
    "det": lambda a, b: la.det(a),
    "slogdet": lambda a, b: la.slogdet(a)[1] * la.slogdet(a)[0],
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_solvers_replay_with_two_orders_of_gradient(name, dtype):
    fn = _replay.with_gradient(lambda a, b: mtf.sin(SOLVERS[name](a, b)), 2)
    _replay.assert_replays(fn, lambda s: (_matrices(s, dtype=dtype),
                                          _floats(s + 10, (2, 3, 2), dtype)))


def test_gradients_of_the_right_hand_side_replay():
    def fn(a, b):
        with mtf.GradientTape() as tape:
            tape.watch(b)
            y = mtf.reduce_sum(la.solve(a, b) ** 2) + mtf.reduce_sum(
                la.triangular_solve(a, b, lower=False) ** 2)
        return tape.gradient(y, b)
    _replay.assert_replays(fn, lambda s: (_matrices(s), _floats(s + 1, (2, 3, 2))))


def test_slogdet_sign_replays():
    def make(seed):
        a = _matrices(seed).numpy()
        a[..., 0, :] *= -1.0 if seed % 2 else 1.0
        return (mtf.constant(a),)
    _replay.assert_replays(lambda a: la.slogdet(a), make)


def test_singular_matrix_raises_in_a_replay():
    traced = mtf.function(la.inv)
    traced(_matrices(0))
    with pytest.raises(ValueError, match="inv.*not invertible"):
        traced(mtf.constant(np.zeros((2, 3, 3))))
