"""Bad-input fuzzer entries of the convolution research ops: conv1d, conv2d_transpose
and depthwise_conv2d."""

ENTRIES = {
    "conv1d": dict(input="tensor", filters="tensor", stride="int", padding="padding",
                   data_format="format", dilations="int"),
    "conv2d_transpose": dict(input="image", filters="filters", output_shape="shape",
                             strides="window", padding="padding", data_format="format",
                             dilations="window"),
    "depthwise_conv2d": dict(input="image", filter="filters", strides="window",
                             padding="padding", data_format="format", dilations="window"),
}
