"""Layer configurations beyond ``tests/saving/layer_cases.py`` that the ONNX export must also
cover: free sequence and image sizes, masks reaching recurrent and attention layers, every
activation, the less common convolutions and pooling, and ops recorded in functional graphs."""

import numpy as np

import numdeep as nd

L = nd.layers
ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
               "tanh", "softmax", "log_softmax", "softplus", "softsign", "silu", "hard_silu",
               "mish", "log_sigmoid", "exponential", "linear"]


def _seq(shape, layers, dtype="float32"):
    def build():
        x = nd.Input(shape, dtype=dtype)
        y = x
        for layer in layers():
            y = layer(y)
        return nd.Model(x, y)
    return build


def _masked_ids(rnn):
    def build():
        x = nd.Input((None,), dtype="int32")
        return nd.Model(x, rnn()(L.Embedding(12, 4, mask_zero=True)(x)))
    return build


def _mha_causal():
    x = nd.Input((None, 6))
    return nd.Model(x, L.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True))


def _mha_attention_mask():
    x, m = nd.Input((5, 6)), nd.Input((5, 5), dtype="bool")
    out, scores = L.MultiHeadAttention(3, 2, output_shape=(2, 4))(
        x, x, attention_mask=m, return_attention_scores=True)
    return nd.Model([x, m], [out, scores])


def _gqa_causal():
    q, v = nd.Input((None, 8)), nd.Input((None, 8))
    return nd.Model([q, v], L.GroupedQueryAttention(4, 4, 2)(q, v, use_causal_mask=True))


def _gqa_masked_scores():
    ids = nd.Input((None,), dtype="int32")
    e = L.Embedding(12, 8, mask_zero=True)(ids)
    out, scores = L.GroupedQueryAttention(3, 4, 1)(e, e, return_attention_scores=True)
    return nd.Model(ids, [out, scores])


def _attention_masked():
    q = nd.Input((None,), dtype="int32")
    e = L.Embedding(12, 4, mask_zero=True)(q)
    return nd.Model(q, L.Attention(use_scale=True, score_mode="concat")([e, e],
                                                                        use_causal_mask=True))


def _stacked_cells():
    x, h, c, h2, h3 = (nd.Input(s) for s in ((5, 3), (4,), (4,), (3,), (2,)))
    out = L.RNN([L.LSTMCell(4), L.GRUCell(3), L.SimpleRNNCell(2)], return_sequences=True,
                return_state=True, go_backwards=True)(x, initial_state=[[h, c], h2, h3])
    return nd.Model([x, h, c, h2, h3], nd.tree.flatten(out))


def _conv_lstm_states():
    x, h, c = nd.Input((None, 5, 5, 2)), nd.Input((5, 5, 3)), nd.Input((5, 5, 3))
    out = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True)(
        x, initial_state=[h, c])
    return nd.Model([x, h, c], list(out))


def _category_encodings():
    ids = nd.Input((4,), dtype="int32")
    return nd.Model(ids, [L.CategoryEncoding(6, output_mode=mode)(ids)
                          for mode in ("multi_hot", "count", "one_hot")])


def _discretizations():
    x = nd.Input((5,))
    return nd.Model(x, [L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], output_mode=mode)(x)
                        for mode in ("int", "one_hot", "count", "multi_hot")])


def _rnn_states():
    x, h, c = nd.Input((4, 3)), nd.Input((5,)), nd.Input((5,))
    out = L.LSTM(5, return_sequences=True, return_state=True, go_backwards=True)(
        x, initial_state=[h, c])
    return nd.Model([x, h, c], list(out))


class _Add(L.Layer):
    """x + position(x) + sine(x): a custom layer the exporter traces."""

    def __init__(self, position, sine, **kwargs):
        super().__init__(**kwargs)
        self.position, self.sine = position, sine

    def call(self, x):
        return x + self.position(x) + self.sine(x)


def _reversible():
    ids = nd.Input((None,), dtype="int32")
    layer = L.ReversibleEmbedding(12, 6, logit_soft_cap=5.0)
    return nd.Model(ids, layer(layer(ids), reverse=True))


def _dot():
    a, b = nd.Input((3, 4)), nd.Input((5, 4))
    return nd.Model([a, b], L.Dot(axes=(2, 2), normalize=True)([a, b]))


def _ops_graph():
    x = nd.Input((3, 4))
    y = nd.ops.mean(x * 2.0 + 1.0, axis=-1, keepdims=True)
    z = nd.ops.concatenate([x[:, 1:, ::2], nd.ops.transpose(x, (0, 2, 1))[:, :2, 1:]], axis=-1)
    w = nd.ops.reshape(nd.ops.sqrt(nd.ops.abs(x)) - y, (-1, 12))
    return nd.Model(x, [z, nd.ops.max(w, axis=1), nd.ops.expand_dims(w[:, 0], -1) / 3.0])


# name: (builder, input shapes used for the data, int inputs (vocabulary) or None)
EXTRA = {
    "LSTM-free-steps": (_seq((None, 3), lambda: [L.LSTM(4, return_sequences=True)]),
                        [(7, 3)], None),
    "GRU-reverse-states": (_seq((5, 3), lambda: [L.GRU(4, go_backwards=True,
                                                       return_state=True)]), [(5, 3)], None),
    "SimpleRNN-relu": (_seq((5, 3), lambda: [L.SimpleRNN(4, activation="relu",
                                                         return_sequences=True)]),
                       [(5, 3)], None),
    "LSTM-initial-state": (_rnn_states, [(4, 3), (5,), (5,)], None),
    "masked-LSTM": (_masked_ids(lambda: L.LSTM(3, return_sequences=True)), [(6,)], 12),
    "masked-GRU": (_masked_ids(lambda: L.GRU(3, reset_after=False)), [(6,)], 12),
    "masked-SimpleRNN": (_masked_ids(lambda: L.SimpleRNN(3, zero_output_for_mask=True,
                                                         return_sequences=True)), [(6,)], 12),
    "masked-Bidirectional": (_masked_ids(lambda: L.Bidirectional(
        L.GRU(3, return_sequences=True), merge_mode="sum")), [(6,)], 12),
    "masked-average": (_masked_ids(lambda: L.GlobalAveragePooling1D()), [(6,)], 12),
    "MHA-causal": (_mha_causal, [(5, 6)], None),
    "MHA-mask-scores": (_mha_attention_mask, [(5, 6), (5, 5)], None),
    "GQA-causal": (_gqa_causal, [(5, 8), (7, 8)], None),
    "masked-GQA-scores": (_gqa_masked_scores, [(6,)], 12),
    "Attention-concat-masked": (_attention_masked, [(6,)], 12),
    "Conv1D-causal": (_seq((None, 2), lambda: [L.Conv1D(3, 3, padding="causal",
                                                        dilation_rate=2)]), [(9, 2)], None),
    "Conv2D-same-free-size": (_seq((None, None, 2), lambda: [
        L.Conv2D(3, 3, strides=2, padding="same"), L.MaxPooling2D(3, 2, padding="same"),
        L.AveragePooling2D(2, padding="same")]), [(9, 7, 2)], None),
    "channels-first": (_seq((2, 6, 6), lambda: [
        L.Conv2D(3, 3, data_format="channels_first"), L.BatchNormalization(axis=1),
        L.MaxPooling2D(2, data_format="channels_first"), L.Flatten(data_format="channels_first")
    ]), [(2, 6, 6)], None),
    "ConvTranspose-output-padding": (_seq((4, 4, 2), lambda: [
        L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
        L.Conv2DTranspose(2, 2, strides=3, dilation_rate=1)]), [(4, 4, 2)], None),
    "Conv3DTranspose": (_seq((3, 3, 3, 2), lambda: [L.Conv3DTranspose(2, 2, strides=2,
                                                                      padding="same")]),
                        [(3, 3, 3, 2)], None),
    "Depthwise-Separable-1D": (_seq((8, 3), lambda: [
        L.DepthwiseConv1D(3, depth_multiplier=2, padding="same"),
        L.SeparableConv1D(4, 3, strides=2, activation="relu")]), [(8, 3)], None),
    "adaptive-pooling": (_seq((7, 6, 2), lambda: [L.AdaptiveAveragePooling2D((3, 2)),
                                                  L.AdaptiveMaxPooling2D(1)]),
                         [(7, 6, 2)], None),
    "global-pooling-keepdims": (_seq((4, 4, 4, 2), lambda: [L.Conv3D(3, 1),
                                                            L.GlobalMaxPooling3D(keepdims=True),
                                                            L.Flatten()]),
                                [(4, 4, 4, 2)], None),
    "UpSampling2D-bilinear": (_seq((3, 4, 2), lambda: [
        L.UpSampling2D((2, 3), interpolation="bilinear")]), [(3, 4, 2)], None),
    "padding-cropping-3D": (_seq((4, 4, 4, 1), lambda: [L.ZeroPadding3D(1), L.Cropping3D(
        ((1, 0), (0, 2), (1, 1))), L.UpSampling3D(2)]), [(4, 4, 4, 1)], None),
    "EinsumDense-PReLU": (_seq((3, 4), lambda: [L.EinsumDense("abc,cde->abde", (3, 2, 5),
                                                             bias_axes="de"),
                                               L.PReLU(), L.Reshape((3, 10))]),
                          [(3, 4)], None),
    "Dot-normalize-3D": (_dot, [(3, 4), (5, 4)], None),
    "LayerNorm-axes-rms": (_seq((3, 4, 5), lambda: [
        L.LayerNormalization(axis=[1, 3]), L.LayerNormalization(rms_scaling=True),
        L.GroupNormalization(groups=5, axis=-1)]), [(3, 4, 5)], None),
    "ReLU-threshold": (_seq((6,), lambda: [L.ReLU(max_value=1.0, negative_slope=0.1,
                                                  threshold=0.2), L.Softmax(axis=[-1])]),
                       [(6,)], None),
    "ops-graph": (_ops_graph, [(3, 4)], None),
    "position-embeddings": (_seq((None, 6), lambda: [
        _Add(L.PositionEmbedding(10), L.SinePositionEncoding()), L.AlphaDropout(0.2)]),
        [(7, 6)], None),
    "ReversibleEmbedding": (_reversible, [(5,)], 12),
    "global-pooling-1D-2D-3D": (_seq((5, 4, 3), lambda: [
        L.GlobalAveragePooling2D(keepdims=True), L.GlobalMaxPooling2D(), L.Reshape((3, 1)),
        L.GlobalMaxPooling1D(keepdims=True), L.Reshape((1, 1, 1, 1)),
        L.GlobalAveragePooling3D()]), [(5, 4, 3)], None),
    "adaptive-pooling-1D-3D": (_seq((5, 6, 7, 2), lambda: [
        L.AdaptiveAveragePooling3D((2, 3, 2)), L.AdaptiveMaxPooling3D((1, 2, 2)),
        L.Reshape((4, 2)), L.AdaptiveMaxPooling1D(3), L.AdaptiveAveragePooling1D(2)]),
        [(5, 6, 7, 2)], None),
    "noise-layers": (_seq((3, 3, 3, 2), lambda: [
        L.SpatialDropout3D(0.5), L.GaussianNoise(0.1), L.GaussianDropout(0.2),
        L.ActivityRegularization(0.1), L.Identity()]), [(3, 3, 3, 2)], None),
    "RNN-stacked-cells": (_stacked_cells, [(5, 3), (4,), (4,), (3,), (2,)], None),
    "masked-RNN-stacked-cells": (_masked_ids(lambda: L.RNN(
        [L.GRUCell(3), L.LSTMCell(2)], zero_output_for_mask=True, return_sequences=True)),
        [(6,)], 12),
    "Resizing-CenterCrop": (_seq((9, 7, 2), lambda: [
        L.Resizing(13, 12), L.Conv2D(3, 2), L.Resizing(5, 4, interpolation="nearest"),
        L.CenterCrop(3, 2)]), [(9, 7, 2)], None),
    "Resizing-channels-first": (_seq((2, 8, 6), lambda: [
        L.Resizing(4, 9, data_format="channels_first"),
        L.CenterCrop(4, 5, data_format="channels_first")]), [(2, 8, 6)], None),
    "activation-python-function": (_seq((5,), lambda: [L.Dense(
        4, activation=lambda t: nd.ops.gelu(t, approximate=False) * 2.0 - nd.ops.tanh(t))]),
        [(5,)], None),
    "ops-gelu-defaults": (_seq((5,), lambda: [L.Dense(4), nd.ops.gelu, nd.ops.leaky_relu,
                                              L.Dense(3, activation=nd.ops.gelu)]),
                          [(5,)], None),
    "ConvLSTM2D-strided-sequences": (_seq((3, 6, 5, 2), lambda: [
        L.ConvLSTM2D(3, 3, strides=2, return_sequences=True)]), [(3, 6, 5, 2)], None),
    "ConvLSTM2D-states-free-steps": (_conv_lstm_states, [(4, 5, 5, 2), (5, 5, 3), (5, 5, 3)],
                                     None),
    "ConvLSTM1D-backwards": (_seq((4, 6, 2), lambda: [
        L.ConvLSTM1D(3, 3, return_sequences=True, go_backwards=True)]), [(4, 6, 2)], None),
    "ConvLSTM3D-channels-first": (_seq((2, 1, 4, 4, 4), lambda: [
        L.ConvLSTM3D(2, 2, padding="same", data_format="channels_first")]),
        [(2, 1, 4, 4, 4)], None),
    "RandomCrop-inference": (_seq((9, 7, 2), lambda: [
        L.RandomFlip(), L.RandomRotation(0.1), L.RandomCrop(6, 6), L.RandomCrop(4, 2),
        L.RandomCrop(3, 1)]), [(9, 7, 2)], None),
    "AutoContrast-after-conv": (_seq((6, 5, 3), lambda: [
        L.AutoContrast(value_range=(0, 1)), L.Conv2D(2, 2), L.AutoContrast(value_range=(-1, 1))]),
        [(6, 5, 3)], None),
    "CategoryEncoding-modes": (_category_encodings, [(4,)], 6),
    "Discretization-modes": (_discretizations, [(5,)], None),
    "RNN-SimpleRNNCell": (_seq((4, 3), lambda: [L.RNN(L.SimpleRNNCell(4))]), [(4, 3)], None),
    "SpectralNormalization": (_seq((4,), lambda: [L.SpectralNormalization(L.Dense(3))]),
                              [(4,)], None),
    "TimeDistributed-sequence-layers": (_seq((4,), lambda: [
        L.RepeatVector(4), L.TimeDistributed(L.Dense(2)), L.Cropping1D(1), L.ZeroPadding1D(2),
        L.UpSampling1D(2), L.Permute((2, 1)), L.Masking()]), [(4,)], None),
    **{f"activation-{a}": (_seq((5,), lambda a=a: [L.Dense(4, activation=a)]), [(5,)], None)
       for a in ACTIVATIONS},
}


def extra_inputs(name, batch=3, seed=0):
    """A batch for case ``name``: ids in ``[0, vocab)`` with trailing padding zeros, or
    Gaussian floats (booleans for a mask input)."""
    _, shapes, vocab = EXTRA[name]
    rng = np.random.default_rng(seed)
    xs = []
    for shape in shapes:
        if vocab:
            ids = rng.integers(1, vocab, (batch, *shape)).astype("int32")
            ids[0, -2:] = 0
            ids[1, 1] = 0
            xs.append(ids)
        elif name == "MHA-mask-scores" and len(xs) == 1:
            xs.append(rng.random((batch, *shape)) > 0.3)
        else:
            xs.append(rng.standard_normal((batch, *shape)).astype("float32"))
    return xs
