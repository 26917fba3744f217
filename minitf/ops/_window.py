"""Sliding-window arithmetic shared by conv2d and the pools (TensorFlow's rules).

SAME: out = ceil(in / stride), total padding max((out - 1) * stride + k_eff - in, 0),
the smaller half before (so even kernels and strides pad one more after).
VALID: no padding, out = ceil((in - k_eff + 1) / stride). Explicit: a list of
four [before, after] pairs in NHWC order, zero for batch and channels.
"""
import numpy as np

from . import _validate as check
from ._dispatch import TENSOR_TYPES

_LIMIT = 2**31 - 1     # window sizes, strides and pads are int32 attributes in TensorFlow


def spatial_pair(op, what, value):
    """strides/ksize/dilations given as an int or 1, 2 or 4 ints -> (rows, cols)."""
    if type(value) in TENSOR_TYPES:
        value = value._value.tolist()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    numbers = [check.as_index(n) for n in items]
    bad = not items or not all(n is not None and 0 < n <= _LIMIT for n in numbers)
    if bad or len(items) not in (1, 2, 4) or len(items) == 4 and (items[0], items[3]) != (1, 1):
        cls = TypeError if None in numbers else ValueError
        raise cls(f"{op}: {what} must be a positive int or a list of 1, 2 or 4 "
                  f"positive ints (with 1 for batch and channels). "
                  f"Received: {what}={value!r}")
    items = numbers
    if len(items) == 1:
        return int(items[0]), int(items[0])
    if len(items) == 2:
        return int(items[0]), int(items[1])
    return int(items[1]), int(items[2])


def check_image(op, x):
    """``x`` must be a rank-4 NHWC batch of images."""
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D [batch, height, width, channels]. "
                         f"Received: input.shape={x.shape}")


def check_format(op, data_format):
    """Only NHWC is supported."""
    if not isinstance(data_format, str) or data_format != "NHWC":
        raise ValueError(f"{op}: only data_format='NHWC' is supported. "
                         f"Received: data_format={data_format!r}")


def plan(op, padding, image_shape, ksize, strides, dilations=(1, 1), explicit=True):
    """((out_h, pad_top), (out_w, pad_left)) for one window configuration."""
    if type(padding) in TENSOR_TYPES or isinstance(padding, np.ndarray):
        padding = np.asarray(padding).tolist()
    if isinstance(padding, str) or padding is None:
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"{op}: padding must be 'SAME' or 'VALID'"
                             f"{' or a list of 4 [before, after] pairs' if explicit else ''}"
                             f". Received: padding={padding!r}")
        pads = [None, None]
    elif explicit:
        pads = _explicit(op, padding)
    else:
        raise ValueError(f"{op}: padding must be 'SAME' or 'VALID'. "
                         f"Received: padding={padding!r}")
    planned = tuple(_axis(op, padding, image_shape, ksize, i, n, k, s, d, p)
                    for i, (n, k, s, d, p) in enumerate(
                        zip(image_shape[1:3], ksize, strides, dilations, pads)))
    check.shape(op, (image_shape[0], planned[0][0], planned[1][0], image_shape[3]),
                "the output shape")
    return planned


def _axis(op, padding, image_shape, ksize, i, n, k, s, d, pad):
    k_eff = (k - 1) * d + 1
    if padding == "SAME":
        out = -(-n // s)
        return out, max((out - 1) * s + k_eff - n, 0) // 2
    before, after = pad if pad is not None else (0, 0)
    out = (n + before + after - k_eff) // s + 1
    if out < 1:
        raise ValueError(f"{op}: the window ({k_eff} after dilation) is larger than the "
                         f"padded input along {'height' if i == 0 else 'width'}: input "
                         f"shape {image_shape}, window {tuple(ksize)}, padding "
                         f"{padding!r}.")
    return out, before


def _explicit(op, padding):
    """[[0, 0], [top, bottom], [left, right], [0, 0]] -> [(top, bottom), (left, right)]."""
    try:
        pairs = [tuple(check.as_index(v) for v in pair) for pair in padding]
    except TypeError:
        pairs = None
    if (pairs is None or len(pairs) != 4 or any(len(p) != 2 or None in p for p in pairs)
            or pairs[0] != (0, 0) or pairs[3] != (0, 0)
            or not all(0 <= v <= _LIMIT for p in pairs for v in p)):
        raise ValueError(f"{op}: explicit padding must be 4 non-negative [before, after] "
                         f"pairs, [[0, 0], [top, bottom], [left, right], [0, 0]]. "
                         f"Received: padding={padding!r}")
    return [pairs[1], pairs[2]]
