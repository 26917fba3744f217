"""Custom optimizers from the public hooks only: the guide's code runs, and one trains an MLP."""
import pathlib
import re

import numpy as np

import minitf as mtf

GUIDE = pathlib.Path(__file__).parents[2] / "docs" / "custom_optimizer.md"


def test_the_guide_code_blocks_run_in_order():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) >= 6
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{GUIDE.name}[block {i}]", "exec"), namespace)
    assert issubclass(namespace["HeavyBall"], mtf.optimizers.Optimizer)


class RMSNesterov(mtf.optimizers.Optimizer):
    """RMS-normalised Nesterov momentum, written with minitf ops and public hooks only."""

    def __init__(self, learning_rate=0.01, beta=0.9, rho=0.99, epsilon=1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta, self.rho, self.epsilon = beta, rho, epsilon

    def build(self, var_list):
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "momentum")
            self.add_slot(var, "mean_square")

    def update_step(self, gradient, variable, learning_rate):
        m = self.get_slot(variable, "momentum")
        s = self.get_slot(variable, "mean_square")
        s.assign(self.rho * s + (1.0 - self.rho) * mtf.square(gradient))
        scaled = gradient / (mtf.sqrt(s) + self.epsilon)
        m.assign(self.beta * m + scaled)
        variable.assign_sub(learning_rate * (self.beta * m + scaled))

    def get_config(self):
        config = super().get_config()
        config.update(beta=self.beta, rho=self.rho, epsilon=self.epsilon)
        return config


def _product_data():
    """y = 2 * x0 * x1: no linear model fits it."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(64, 2)).astype(np.float32)
    y = (2 * x[:, :1] * x[:, 1:]).astype(np.float32)
    design = np.c_[x, np.ones(len(x))]
    linear_fit = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return mtf.constant(x), mtf.constant(y), float(np.mean((linear_fit - y) ** 2))


def _mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    hidden = mtf.nn.relu(mtf.matmul(x, w1) + b1)
    return mtf.reduce_mean(mtf.square(mtf.matmul(hidden, w2) + b2 - y))


def test_custom_optimizer_trains_an_mlp():
    rng = np.random.default_rng(1)
    params = [mtf.Variable(rng.normal(0, 0.7, (2, 16)).astype(np.float32), name="w1"),
              mtf.Variable(np.zeros(16, np.float32), name="b1"),
              mtf.Variable(rng.normal(0, 0.3, (16, 1)).astype(np.float32), name="w2"),
              mtf.Variable(np.zeros(1, np.float32), name="b2")]
    x, y, best_linear_mse = _product_data()
    opt = RMSNesterov(learning_rate=0.01, global_clipnorm=5.0)
    start = float(_mlp_loss(params, x, y))
    for _ in range(300):
        opt.minimize(lambda: _mlp_loss(params, x, y), params)
    end = float(_mlp_loss(params, x, y))
    assert end < 0.05 * best_linear_mse and end < 0.02 * start, (start, end)
    assert int(opt.iterations) == 300
    assert [v.name for v in opt.variables[:4]] == [
        "rms_nesterov/iterations:0", "rms_nesterov/learning_rate:0",
        "rms_nesterov/w1/momentum:0", "rms_nesterov/w1/mean_square:0"]
    again = RMSNesterov.from_config(opt.get_config())
    assert again.get_config() == opt.get_config()


def test_custom_update_step_matches_its_numpy_transcription():
    rng = np.random.default_rng(4)
    p0, grads = rng.normal(size=6), rng.normal(size=(15, 6))
    v = mtf.Variable(p0)
    opt = RMSNesterov(learning_rate=0.05, beta=0.8, rho=0.9, epsilon=1e-6)
    p, m, s = p0.copy(), np.zeros(6), np.zeros(6)
    for g in grads:
        opt.apply_gradients([(g, v)])
        s = 0.9 * s + 0.1 * g ** 2
        scaled = g / (np.sqrt(s) + 1e-6)
        m = 0.8 * m + scaled
        p = p - 0.05 * (0.8 * m + scaled)
    np.testing.assert_allclose(v.numpy(), p, rtol=1e-12)


def test_custom_update_step_is_not_recorded_on_an_enclosing_tape():
    v = mtf.Variable([1.0, 2.0])
    opt = RMSNesterov(0.1)
    with mtf.GradientTape() as tape:
        opt.apply_gradients([(mtf.constant([1.0, 1.0]), v)])
    assert tape._nodes == [] and tape.watched_variables() == ()


def test_a_custom_optimizer_without_update_step_says_what_to_do():
    class Empty(mtf.optimizers.Optimizer):
        pass

    v = mtf.Variable([1.0])
    try:
        Empty(0.1).apply_gradients([([1.0], v)])
    except NotImplementedError as e:
        assert "must override update_step" in str(e)
    else:
        raise AssertionError("expected NotImplementedError")
    assert v.numpy()[0] == 1.0
