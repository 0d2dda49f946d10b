"""One table of layer cases (every layer numdeep shares with Keras), built with either library:
used by the numdeep round trips and by the Keras interop tests."""

import numpy as np


def _mlp(L):
    return [L.Dense(6, activation="relu", kernel_regularizer="l2", bias_regularizer="l1",
                    activity_regularizer="l1"), L.Dropout(0.3), L.Dense(5), L.LeakyReLU(),
            L.Dense(5, activation="tanh"), L.ReLU(max_value=0.6), L.ELU(alpha=0.5),
            L.Activation("sigmoid"), L.Softmax()]


# name: (input shapes, builder of the layer(s) from a `layers` module, options)
CASES = {
    "mlp": ([(4,)], _mlp, {}),
    "Flatten+Reshape": ([(2, 3)], lambda L: [L.Flatten(), L.Reshape((3, 2))], {}),
    "Rescaling": ([(4,)], lambda L: [L.Rescaling(0.5, offset=0.25)], {}),
    "Normalization": ([(4,)], lambda L: [L.Normalization(mean=0.5, variance=2.0)], {}),
    "Normalization-adapted": ([(4,)], lambda L: [L.Normalization()], {"adapt": True}),
    "Conv1D": ([(6, 2)], lambda L: [L.Conv1D(3, 2, strides=2, padding="same")], {}),
    "Conv2D": ([(6, 6, 2)], lambda L: [L.Conv2D(4, 3, padding="same", activation="relu",
                                                  dilation_rate=2)], {}),
    "Conv2D-groups": ([(5, 5, 4)], lambda L: [L.Conv2D(4, 3, groups=2)], {}),
    "Conv3D": ([(4, 4, 4, 2)], lambda L: [L.Conv3D(2, 2)], {}),
    "Conv1DTranspose": ([(4, 2)], lambda L: [L.Conv1DTranspose(3, 3, strides=2)], {}),
    "Conv2DTranspose": ([(4, 4, 2)], lambda L: [L.Conv2DTranspose(3, 3, strides=2)], {}),
    "DepthwiseConv2D": ([(6, 6, 2)], lambda L: [L.DepthwiseConv2D(3, depth_multiplier=2)], {}),
    "SeparableConv2D": ([(6, 6, 2)], lambda L: [L.SeparableConv2D(3, 3)], {}),
    "Pooling2D": ([(6, 6, 2)], lambda L: [L.MaxPooling2D(2), L.AveragePooling2D(
        2, strides=1, padding="same"), L.GlobalMaxPooling2D()], {}),
    "Pooling1D": ([(6, 2)], lambda L: [L.AveragePooling1D(2), L.MaxPooling1D(2, padding="same"),
                                       L.GlobalAveragePooling1D()], {}),
    "Pooling3D": ([(4, 4, 4, 2)], lambda L: [L.MaxPooling3D(2), L.AveragePooling3D(1)], {}),
    "BatchNormalization": ([(5,)], lambda L: [L.BatchNormalization(momentum=0.9)], {}),
    "LayerNormalization": ([(3, 4)], lambda L: [L.LayerNormalization()], {}),
    "GroupNormalization": ([(3, 4)], lambda L: [L.GroupNormalization(groups=2)], {}),
    "UnitNormalization": ([(4,)], lambda L: [L.UnitNormalization()], {}),
    "RMSNormalization": ([(4,)], lambda L: [L.RMSNormalization()], {}),
    "Embedding": ([(5,)], lambda L: [L.Embedding(12, 3)], {"dtype": "int32"}),
    "LSTM": ([(4, 3)], lambda L: [L.LSTM(5, return_sequences=True), L.LSTM(2)], {}),
    "GRU": ([(4, 3)], lambda L: [L.GRU(4, return_sequences=True),
                                 L.GRU(3, reset_after=False)], {}),
    "SimpleRNN": ([(4, 3)], lambda L: [L.SimpleRNN(4)], {}),
    "Bidirectional": ([(4, 3)], lambda L: [L.Bidirectional(L.LSTM(2))], {}),
    "TimeDistributed": ([(4, 3)], lambda L: [L.TimeDistributed(L.Dense(2))], {}),
    "Masking+LSTM": ([(4, 3)], lambda L: [L.Masking(0.0), L.LSTM(2)], {"zeros": True}),
    "Padding+Cropping+UpSampling2D": ([(4, 4, 2)], lambda L: [
        L.ZeroPadding2D(1), L.Cropping2D(((1, 0), (0, 1))), L.UpSampling2D(2)], {}),
    "Padding+Cropping+UpSampling1D": ([(4, 2)], lambda L: [
        L.ZeroPadding1D(2), L.Cropping1D((1, 2)), L.UpSampling1D(2)], {}),
    "Permute+RepeatVector": ([(2, 3)], lambda L: [L.Permute((2, 1)), L.Flatten(),
                                                  L.RepeatVector(2)], {}),
    "noise+regularization": ([(4, 3)], lambda L: [
        L.SpatialDropout1D(0.2), L.GaussianNoise(0.1), L.GaussianDropout(0.1),
        L.ActivityRegularization(l1=0.1), L.Identity()], {}),
    "SpatialDropout2D": ([(4, 4, 3)], lambda L: [L.SpatialDropout2D(0.2)], {}),
    "augmentation": ([(6, 6, 3)], lambda L: [
        L.RandomFlip(), L.RandomRotation(0.1), L.RandomZoom(0.1),
        L.RandomTranslation(0.1, 0.1), L.RandomContrast(0.1)], {}),
    "merging": ([(4,), (4,)], "merge", {}),
    "Attention": ([(3, 4), (5, 4)], lambda L: [L.Attention()], {}),
    "AdditiveAttention": ([(3, 4), (5, 4)], lambda L: [L.AdditiveAttention()], {}),
    "MultiHeadAttention": ([(3, 4), (5, 4)], "mha", {}),
}

# Every case as .keras; legacy .h5 on a representative subset.
FILE_CASES = [(name, ".keras") for name in sorted(CASES)] + [
    (name, ".h5") for name in ("mlp", "Conv2D", "LSTM", "BatchNormalization", "merging")]


def build(lib, name):
    """The model of case ``name`` built with ``lib`` (``numdeep`` or ``keras``)."""
    shapes, make, opts = CASES[name]
    L = lib.layers
    inputs = [lib.Input(s, dtype=opts.get("dtype", "float32")) for s in shapes]
    if make == "merge":
        a, b = inputs
        outs = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]),
                L.Average()([a, b]), L.Maximum()([a, b]), L.Minimum()([a, b]),
                L.Dot(axes=1)([a, b])]
        x = L.Concatenate()(outs)
    elif make == "mha":
        x = L.MultiHeadAttention(2, 3, value_dim=2)(inputs[0], inputs[1])
    else:
        layers = make(L)
        for layer in layers:
            if opts.get("adapt"):
                layer.adapt(np.random.default_rng(0).standard_normal((20, *shapes[0]))
                            .astype("float32"))
        x = inputs if len(inputs) > 1 else inputs[0]
        for layer in layers:
            x = layer(x)
    return lib.Model(inputs if len(inputs) > 1 else inputs[0], x)


def inputs_for(name, seed=0):
    """A batch of 3 inputs for case ``name``."""
    shapes, _, opts = CASES[name]
    rng = np.random.default_rng(seed)
    xs = []
    for s in shapes:
        if opts.get("dtype") == "int32":
            xs.append(rng.integers(0, 12, (3, *s)).astype("int32"))
        else:
            x = rng.standard_normal((3, *s)).astype("float32")
            if opts.get("zeros"):
                x[:, -1] = 0.0
            xs.append(x)
    return xs if len(xs) > 1 else xs[0]
