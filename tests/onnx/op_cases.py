"""Single-operator ONNX graphs for the import table: each case is one node (sometimes two) with
random inputs and weights, built with ``onnx.helper``; the test compares numdeep's import with
onnxruntime on the same file."""

import numpy as np

F = np.float32


def _w(rng, *shape):
    return rng.standard_normal(shape).astype(F)


# name: (op_type, [input shapes or arrays (weights)], attrs, [output count])
# Shapes (tuples) are graph inputs fed with random data; arrays are initializers.
def cases(rng):
    w = lambda *s: _w(rng, *s)  # noqa: E731
    return {
        "Gemm": ("Gemm", [(3, 4), w(5, 4), w(5)], {"transB": 1, "alpha": 0.5}),
        "MatMul-weight": ("MatMul", [(2, 3, 4), w(4, 6)], {}),
        "MatMul-tensors": ("MatMul", [(2, 3, 4), (2, 4, 5)], {}),
        "Conv-pads-groups": ("Conv", [(2, 4, 7, 7), w(6, 2, 3, 3), w(6)],
                             {"pads": [1, 0, 2, 1], "strides": [2, 1], "group": 2}),
        "Conv-same-strided": ("Conv", [(1, 2, 8, 7), w(3, 2, 3, 3)],
                              {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
        "Conv1D": ("Conv", [(2, 3, 9), w(4, 3, 3), w(4)], {"pads": [1, 1]}),
        "ConvTranspose": ("ConvTranspose", [(1, 3, 4, 4), w(3, 2, 3, 3), w(2)],
                          {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
        "BatchNormalization": ("BatchNormalization", [(2, 3, 4, 4), w(3), w(3), w(3),
                                                      np.abs(w(3)) + 0.5], {"epsilon": 1e-3}),
        "LayerNormalization": ("LayerNormalization", [(2, 3, 8), w(8), w(8)], {"axis": -1}),
        "Relu": ("Relu", [(3, 5)], {}),
        "LeakyRelu": ("LeakyRelu", [(3, 5)], {"alpha": 0.1}),
        "Sigmoid": ("Sigmoid", [(3, 5)], {}),
        "Tanh": ("Tanh", [(3, 5)], {}),
        "Softmax": ("Softmax", [(3, 5)], {"axis": -1}),
        "LogSoftmax": ("LogSoftmax", [(3, 5)], {"axis": 1}),
        "Gelu": ("Gelu", [(3, 5)], {}, 1, 20),
        "Gelu-tanh": ("Gelu", [(3, 5)], {"approximate": "tanh"}, 1, 20),
        "Erf": ("Erf", [(3, 5)], {}),
        "Clip": ("Clip", [(3, 5), np.array(-0.5, F), np.array(0.7, F)], {}),
        "MaxPool-pads": ("MaxPool", [(2, 3, 7, 7)], {"kernel_shape": [3, 3], "strides": [2, 2],
                                                     "pads": [1, 1, 1, 1]}),
        "AveragePool": ("AveragePool", [(2, 3, 6, 6)], {"kernel_shape": [2, 2],
                                                        "strides": [2, 2]}),
        "AveragePool-same": ("AveragePool", [(2, 3, 7, 7)], {"kernel_shape": [3, 3],
                                                             "auto_pad": "SAME_UPPER"}),
        "GlobalAveragePool": ("GlobalAveragePool", [(2, 3, 5, 5)], {}),
        "Add-bias": ("Add", [(2, 3, 4), w(4)], {}),
        "Sub": ("Sub", [(2, 4), (2, 4)], {}),
        "Mul-scale": ("Mul", [(2, 4), w(1, 4)], {}),
        "Div": ("Div", [(2, 4), np.array(2.0, F)], {}),
        "Concat": ("Concat", [(2, 3), (2, 5)], {"axis": 1}),
        "Flatten": ("Flatten", [(2, 3, 4)], {"axis": 1}),
        "Reshape": ("Reshape", [(2, 3, 4), np.array([0, -1, 2], np.int64)], {}),
        "Transpose": ("Transpose", [(2, 3, 4)], {"perm": [0, 2, 1]}),
        "Squeeze": ("Squeeze", [(2, 1, 4), np.array([1], np.int64)], {}),
        "Unsqueeze": ("Unsqueeze", [(2, 4), np.array([1, -1], np.int64)], {}),
        "Pad": ("Pad", [(2, 3, 4), np.array([0, 1, 0, 0, 2, 1], np.int64)], {"mode": "constant"}),
        "Pad-reflect": ("Pad", [(2, 3, 4), np.array([0, 0, 1, 0, 0, 2], np.int64)],
                        {"mode": "reflect"}),
        "LSTM": ("LSTM", [(5, 2, 3), w(1, 16, 3), w(1, 16, 4), w(1, 32)], {"hidden_size": 4}, 3),
        "LSTM-bidirectional": ("LSTM", [(5, 2, 3), w(2, 16, 3), w(2, 16, 4), w(2, 32)],
                               {"hidden_size": 4, "direction": "bidirectional"}, 3),
        "GRU": ("GRU", [(5, 2, 3), w(1, 12, 3), w(1, 12, 4), w(1, 24)],
                {"hidden_size": 4, "linear_before_reset": 1}, 2),
        "GRU-reverse": ("GRU", [(5, 2, 3), w(1, 12, 3), w(1, 12, 4), w(1, 24)],
                        {"hidden_size": 4, "direction": "reverse"}, 2),
        "ReduceMean": ("ReduceMean", [(2, 3, 4), np.array([1], np.int64)], {"keepdims": 0}),
        "ReduceSum": ("ReduceSum", [(2, 3, 4), np.array([-1], np.int64)], {}),
        "Gather-embedding": ("Gather", [np.abs(w(10, 3)), "ids"], {}),
        "Slice": ("Slice", [(4, 6), np.array([1, 0], np.int64), np.array([3, 6], np.int64),
                            np.array([0, 1], np.int64), np.array([1, 2], np.int64)], {}),
        "Split": ("Split", [(2, 6), np.array([2, 4], np.int64)], {"axis": 1}, 2),
        "Pow": ("Pow", [(2, 3), np.array(2.0, F)], {}),
        "Abs": ("Abs", [(2, 3)], {}),
        "Exp": ("Exp", [(2, 3)], {}),
        "HardSigmoid": ("HardSigmoid", [(3, 5)], {"alpha": 0.3, "beta": 0.4}),
        "Where": ("Where", [np.array([[True, False, True]]), (2, 3), (2, 3)], {}),
        "Expand": ("Expand", [(3, 1), np.array([2, 3, 4], np.int64)], {}),
    }
