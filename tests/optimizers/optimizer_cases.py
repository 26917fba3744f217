"""The shared table of optimizers: every built-in, base-class features, custom and subclassed.

Each entry makes a fresh optimizer. Tests that must hold for every optimizer
(bit identity of the update-level API, gradients aliasing variables, pickling)
run over all of them.
"""
import minitf as mtf

O = mtf.optimizers


class Momentum(O.Optimizer):
    """A custom optimizer written with minitf ops and the public hooks only."""

    def __init__(self, learning_rate=0.1, beta=0.9, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta = beta

    def build(self, var_list):
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.get_slot(variable, "velocity")
        velocity.assign(self.beta * velocity + gradient)
        variable.assign_sub(learning_rate * velocity)


class LoudAdam(O.Adam):
    """A subclass that extends a built-in's update_step through super()."""

    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient * 2.0, variable, learning_rate)


BIT_CASES = {
    "sgd": lambda: O.SGD(0.1),
    "sgd-nesterov-decay": lambda: O.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "rmsprop-centered-momentum": lambda: O.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad-clipvalue": lambda: O.Adagrad(0.1, clipvalue=0.5),
    "adadelta-ema": lambda: O.Adadelta(1.0, use_ema=True),
    "adam-ema-overwrite": lambda: O.Adam(0.1, use_ema=True, ema_overwrite_frequency=2),
    "adam-amsgrad-global-clipnorm": lambda: O.Adam(0.1, amsgrad=True, global_clipnorm=1.0),
    "adamw": lambda: O.AdamW(0.1, weight_decay=0.05),
    "adamax-accumulation": lambda: O.Adamax(0.1, gradient_accumulation_steps=2),
    "nadam-clipnorm": lambda: O.Nadam(0.1, clipnorm=0.5),
    "ftrl-decay": lambda: O.Ftrl(0.1, l1_regularization_strength=0.01, weight_decay=0.1),
    "lion-ema-accumulation": lambda: O.Lion(0.01, use_ema=True,
                                            gradient_accumulation_steps=3),
    "custom": lambda: Momentum(0.1, weight_decay=0.01),
    "custom-ema": lambda: Momentum(0.1, use_ema=True, ema_overwrite_frequency=2),
    "subclass": lambda: LoudAdam(0.1),
}
