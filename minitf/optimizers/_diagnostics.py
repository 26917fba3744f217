"""Checks on custom optimizers that turn a silent mistake into an error with the fix."""
import functools


def checks_assign(hook):
    """``hook`` (a custom update_step) raising when it returns a value but leaves the
    variable unchanged: the update was computed and then dropped."""
    @functools.wraps(hook)
    def checked(self, gradient, variable, learning_rate, *args, **kwargs):
        version = getattr(variable, "_version", None)
        result = hook(self, gradient, variable, learning_rate, *args, **kwargs)
        if result is not None and version is not None and variable._version == version:
            owner = type(self).__name__
            raise TypeError(
                f"{owner}.{hook.__name__} returned a value ({type(result).__name__}) and did "
                f"not change the variable: the optimizer keeps only what the hook writes "
                f"into `variable`, so this step would change nothing. Update it in place "
                f"instead of returning the new value, e.g. "
                f"`variable.assign_sub(learning_rate * gradient)` or "
                f"`variable.assign(new_value)` (see docs/custom_optimizer.md).")
        return result

    checked._checks_assign = True
    return checked
