"""kernels._jit: a kernel compiles on first call; @helper functions called from kernel
bodies run as plain Python in py_func and are compiled into the kernels that call them."""
import types

import numpy as np
import pytest

from minitf.kernels._jit import helper, kernel


@helper
def _sum_of_squares(x):
    total = 0.0
    for v in x:
        total += v * v
    return total


@helper
def _ratio(a, b):
    return a / b


@helper
def _scaled_ratio(a, b, scale):
    return _ratio(a, b) * scale          # a helper calling a helper


@kernel
def _row_norms(x):
    out = np.empty(x.shape[0], x.dtype)
    for r in range(x.shape[0]):
        out[r] = np.sqrt(_sum_of_squares(x[r]))
    return out


@kernel(error_model="numpy")
def _ratio_numpy_errors(a, b):
    return _scaled_ratio(a, b, 2.0)


@kernel
def _ratio_python_errors(a, b):
    return _scaled_ratio(a, b, 2.0)


def test_helper_stays_a_plain_function():
    assert isinstance(_sum_of_squares, types.FunctionType)
    assert _sum_of_squares(np.array([3.0, 4.0])) == 25.0


def test_kernel_calling_a_helper_matches_py_func_and_numpy():
    x = np.random.default_rng(0).standard_normal((4, 6))
    expected = np.sqrt((x * x).sum(axis=1))
    compiled = _row_norms(x)
    # the kernel has replaced itself by numba's dispatcher: the result was compiled
    assert type(globals()["_row_norms"]).__name__ == "CPUDispatcher"
    np.testing.assert_allclose(compiled, expected, rtol=1e-14)
    np.testing.assert_array_equal(compiled, _row_norms.py_func(x))


def test_inlined_helpers_take_the_calling_kernels_error_model():
    assert _ratio_numpy_errors(3.0, 4.0) == _ratio_numpy_errors.py_func(3.0, 4.0) == 1.5
    assert _ratio_numpy_errors(1.0, 0.0) == np.inf           # numpy: IEEE division
    with pytest.raises(ZeroDivisionError):
        _ratio_python_errors(1.0, 0.0)                       # python (numba's default)


_HELPERS = """
from minitf.kernels._jit import helper


@helper
def offset(v):
    return v + {offset}
"""

_KERNELS = """
import numpy as np
from minitf.kernels._jit import kernel
from . import helpers as h
from .helpers import offset


@kernel
def by_module(x):
    return h.offset(x[0])


@kernel
def by_name(x):
    return offset(x[0])
"""

_RUN = """
import numpy as np
from pkg import kernels
print(kernels.by_module(np.zeros(1)), kernels.by_name(np.zeros(1)))
"""


def test_editing_a_helper_in_another_file_recompiles_the_kernels_that_use_it(tmp_path):
    """numba keys a cached kernel by its own file only; a helper imported from another
    module (as a module or by name) must not leave a stale compiled kernel behind."""
    import os
    import subprocess
    import sys
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kernels.py").write_text(_KERNELS)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path),
               NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    for offset in (1.0, 2.5, 2.5):        # compile, recompile after the edit, load from cache
        (package / "helpers.py").write_text(_HELPERS.format(offset=offset))
        os.utime(package / "helpers.py", (offset * 1000, offset * 1000))
        result = subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True,
                                text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.split() == [str(offset), str(offset)]
    cached = [n for _, _, names in os.walk(tmp_path / "cache") for n in names]
    assert sum(n.endswith(".nbi") for n in cached) == 2      # both kernels were cached
