"""numdeep's ``TestCase`` for Keras's test files.

The assertion helpers and ``run_layer_test`` check what Keras's own ``TestCase`` checks, against
numdeep: the config round trip (``get_config``/``from_config`` and
``serialize``/``deserialize``), ``build`` on a shape, a symbolic call (output shapes, dtypes,
mask), an eager call (shapes, dtypes, values, losses), the weight and seed-generator counts
after each, and one training step through ``fit``. Mixed-precision checks are out of scope (see
``tests/keras_suite/scope.py``) and are not run. Nothing here catches an ``AssertionError``.
"""

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from absl.testing import parameterized

import numdeep as nd
from numdeep import tree


class TestCase(parameterized.TestCase):
    maxDiff = None

    def setUp(self):
        # Independent test cases: fresh automatic names, as Keras's clear_session gives.
        nd.utils.clear_session()
        super().setUp()

    def get_temp_dir(self):
        temp_dir = tempfile.mkdtemp()
        self.addCleanup(lambda: shutil.rmtree(temp_dir, ignore_errors=True))
        return temp_dir

    # ----- assertions -------------------------------------------------------------------------
    def convert_to_numpy(self, x):
        if isinstance(x, np.ndarray):
            return x
        if nd.ops.is_tensor(x) or isinstance(x, nd.Variable):
            return nd.ops.convert_to_numpy(x)
        return np.array(x)

    def assertAllClose(self, actual, desired, atol=1e-6, rtol=1e-6, tpu_atol=None,  # noqa: N802
                       tpu_rtol=None, msg=None):
        np.testing.assert_allclose(self.convert_to_numpy(actual), self.convert_to_numpy(desired),
                                   atol=atol, rtol=rtol, err_msg=msg or "")

    def assertNotAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None):  # noqa: N802
        a, b = self.convert_to_numpy(x1), self.convert_to_numpy(x2)
        if a.shape == b.shape and np.allclose(a, b, atol=atol, rtol=rtol):
            raise AssertionError(f"The two values are close at all elements. {msg or ''}\n"
                                 f"Values: {x1}")

    def assertAlmostEqual(self, actual, desired, decimal=3, tpu_decimal=None,  # noqa: N802
                          msg=None):
        np.testing.assert_almost_equal(self.convert_to_numpy(actual),
                                       self.convert_to_numpy(desired), decimal=decimal,
                                       err_msg=msg or "")

    def assertAllEqual(self, actual, desired, msg=None):  # noqa: N802
        np.testing.assert_array_equal(self.convert_to_numpy(actual),
                                      self.convert_to_numpy(desired), err_msg=msg or "")

    def assertLen(self, iterable, expected_len, msg=None):  # noqa: N802
        self.assertEqual(len(iterable), expected_len, msg=msg)

    def assertSparse(self, x, sparse=True):  # noqa: N802
        # numdeep has no sparse tensors: only "not sparse" can hold.
        self.assertFalse(sparse, "numdeep does not support sparse tensors")

    def assertRagged(self, x, ragged=True):  # noqa: N802
        self.assertFalse(ragged, "numdeep does not support ragged tensors")

    def assertDType(self, x, dtype, msg=None):  # noqa: N802
        got = nd.backend.standardize_dtype(x.dtype if hasattr(x, "dtype") else type(x))
        want = nd.backend.standardize_dtype(dtype)
        self.assertEqual(got, want, msg=msg or f"The dtype of x does not match the expected "
                                                f"one. Received: x.dtype={got}, dtype={want}")

    def assertFileExists(self, path):  # noqa: N802
        if not Path(path).is_file():
            raise AssertionError(f"File {path} does not exist")

    # ----- serialization ----------------------------------------------------------------------
    def run_class_serialization_test(self, instance, custom_objects=None):
        """``from_config(get_config())`` and ``deserialize(serialize())`` give an object with the
        same config and the same attributes."""
        cls = type(instance)
        config = instance.get_config()
        config_json = _to_json(config)
        ref_dir = set(dir(instance)) - {"__annotations__"}
        with nd.saving.custom_object_scope(custom_objects or {}):
            revived = cls.from_config(config)
        self.assertEqual(config_json, _to_json(revived.get_config()))
        self.assertEqual(ref_dir, set(dir(revived)) - {"__annotations__"})
        serialized = json.loads(_to_json(nd.saving.serialize_keras_object(instance)),
                                object_hook=_tuples)
        with nd.saving.custom_object_scope(custom_objects or {}):
            revived = nd.saving.deserialize_keras_object(serialized)
        self.assertEqual(config_json, _to_json(revived.get_config()))
        self.assertEqual(ref_dir, set(dir(revived)) - {"__annotations__"})
        return revived

    # ----- layers -----------------------------------------------------------------------------
    def run_layer_test(self, layer_cls, init_kwargs, input_shape=None, input_dtype=None,
                       input_sparse=False, input_ragged=False, input_data=None, call_kwargs=None,
                       expected_output_shape=None, expected_output_dtype=None,
                       expected_output_sparse=False, expected_output_ragged=False,
                       expected_output=None, expected_num_trainable_weights=None,
                       expected_num_non_trainable_weights=None,
                       expected_num_non_trainable_variables=None,
                       expected_num_seed_generators=None, expected_num_losses=None,
                       supports_masking=None, expected_mask_shape=None, custom_objects=None,
                       run_training_check=True, run_mixed_precision_check=True,
                       assert_built_after_instantiation=False, tpu_atol=None, tpu_rtol=None):
        """Build, call (symbolically and eagerly), serialize and train ``layer_cls``."""
        if input_shape is not None and input_data is not None:
            raise ValueError("input_shape and input_data cannot be passed at the same time.")
        if expected_output_shape is not None and expected_output is not None:
            raise ValueError("expected_output_shape and expected_output cannot be passed at the "
                             "same time.")
        if expected_output is not None and input_data is None:
            raise ValueError("In order to use expected_output, input_data must be provided.")
        if expected_mask_shape is not None and supports_masking is not True:
            raise ValueError("In order to use expected_mask_shape, supports_masking must be "
                             "True.")
        if input_sparse or input_ragged or expected_output_sparse or expected_output_ragged:
            self.skipTest("sparse and ragged tensors are out of scope for numdeep")
        init_kwargs = init_kwargs or {}
        call_kwargs = call_kwargs or {}
        has_input = input_shape is not None or input_data is not None
        if input_shape is not None and input_dtype is None:
            input_dtype = _map_shapes(lambda _: "float32", input_shape)

        if has_input:
            if input_data is None:
                input_data = _eager_tensors(input_shape, input_dtype)
            layer = layer_cls(**init_kwargs)
            _call(layer, input_data, call_kwargs)
            counts = _counts(layer)
            expected_num_trainable_weights = _default(expected_num_trainable_weights, counts[0])
            expected_num_non_trainable_weights = _default(expected_num_non_trainable_weights,
                                                          counts[1])
            expected_num_non_trainable_variables = _default(
                expected_num_non_trainable_variables, counts[2])
            expected_num_seed_generators = _default(expected_num_seed_generators, counts[3])

        layer = layer_cls(**init_kwargs)
        self.run_class_serialization_test(layer, custom_objects)
        if supports_masking is not None:
            self.assertEqual(layer.supports_masking, supports_masking,
                             msg="Unexpected supports_masking value")

        def check_built(layer):
            self.assertTrue(layer.built)
            got = _counts(layer)
            for want, have, what in (
                    (expected_num_trainable_weights, got[0], "trainable_weights"),
                    (expected_num_non_trainable_weights, got[1], "non_trainable_weights"),
                    (expected_num_non_trainable_variables, got[2], "non_trainable_variables"),
                    (expected_num_seed_generators, got[3], "seed_generators")):
                if want is not None:
                    self.assertEqual(have, want, msg=f"Unexpected number of {what}")

        def check_outputs(layer, output, eager):
            if expected_output_shape is not None:
                shapes = _flatten_like(output, expected_output_shape)
                outs = tree.flatten(output)
                ok = len(shapes) == len(outs) and all(
                    len(o.shape) == len(s) and all(e is None or e == d
                                                   for e, d in zip(s, o.shape))
                    for s, o in zip(shapes, outs))
                self.assertTrue(ok, msg=f"Expected output shapes {expected_output_shape} but "
                                        f"received {tree.map_structure(lambda x: x.shape, output)}")
            if expected_output_dtype is not None:
                dtypes = _flatten_like(output, expected_output_dtype, leaf=str)
                got = [nd.backend.standardize_dtype(o.dtype) for o in tree.flatten(output)]
                self.assertEqual(got, [nd.backend.standardize_dtype(d) for d in dtypes],
                                 msg="Unexpected output dtypes")
            if eager:
                if expected_output is not None:
                    self.assertEqual(type(expected_output), type(output))
                    for ref, val in zip(tree.flatten(expected_output), tree.flatten(output)):
                        self.assertAllClose(ref, val, msg="Unexpected output value")
                if expected_num_losses is not None:
                    self.assertLen(layer.losses, expected_num_losses)

        if has_input:
            # build() on the input shape(s).
            build_shape = input_shape if input_shape is not None else tree.map_structure(
                lambda x: tuple(nd.ops.shape(x)), input_data)
            layer = layer_cls(**init_kwargs)
            if isinstance(build_shape, dict):
                layer.build(**build_shape)
            else:
                layer.build(build_shape)
            check_built(layer)

            # A symbolic call.
            if input_shape is not None:
                symbolic = _symbolic_tensors(input_shape, input_dtype)
            else:
                symbolic = tree.map_structure(
                    lambda x: nd.KerasTensor(tuple(nd.ops.shape(x)), dtype=x.dtype), input_data)
            layer = layer_cls(**init_kwargs)
            outputs = _call(layer, symbolic, call_kwargs)
            check_built(layer)
            check_outputs(layer, outputs, eager=False)
            if expected_mask_shape is not None:
                mask = layer.compute_mask(symbolic)
                self.assertEqual(expected_mask_shape, mask.shape)

            if assert_built_after_instantiation:
                self.assertTrue(layer_cls(**init_kwargs).built,
                                msg=f"{layer_cls} is stateless: it should be built after "
                                    f"instantiation.")

                class OverriddenBuild(layer_cls):
                    def build(self, *args, **kwargs):
                        pass

                self.assertFalse(OverriddenBuild(**init_kwargs).built,
                                 msg=f"{layer_cls} with its build overridden must not count as "
                                     f"built after instantiation.")

            # An eager call, then one training step.
            layer = layer_cls(**init_kwargs)
            output = _call(layer, input_data, call_kwargs)
            check_outputs(layer, output, eager=True)
            if run_training_check:
                _train_one_step(layer, input_data, output)


# ----- helpers -----------------------------------------------------------------------------------
def _default(value, fallback):
    return fallback if value is None else value


def _call(layer, data, call_kwargs):
    if isinstance(data, dict):
        return layer(**data, **call_kwargs)
    return layer(data, **call_kwargs)


def _counts(layer):
    return (len(layer.trainable_weights), len(layer.non_trainable_weights),
            len(layer.non_trainable_variables), len(nd.random.seed_generators_of(layer)))


def _is_shape(x):
    return isinstance(x, list | tuple) and all(isinstance(e, int | type(None)) for e in x)


def _map_shapes(fn, shape, *others):
    if _is_shape(shape):
        return fn(tuple(shape), *others)
    if isinstance(shape, dict):
        return {k: _map_shapes(fn, v, *(o[k] for o in others)) for k, v in shape.items()}
    items = [_map_shapes(fn, s, *o) for s, *o in zip(shape, *others)]
    return items if isinstance(shape, list) else tuple(items)


def _strip_suffix(shape_dict):
    return {k[:-len("_shape")] if k.endswith("_shape") else k: v for k, v in shape_dict.items()}


def _eager_tensors(input_shape, input_dtype):
    rng = np.random.default_rng(0)

    def make(shape, dtype):
        return nd.ops.convert_to_tensor((rng.random(shape) * 3).astype("float32").astype(dtype))

    out = _map_shapes(make, input_shape, input_dtype)
    return _strip_suffix(out) if isinstance(out, dict) else out


def _symbolic_tensors(input_shape, input_dtype):
    out = _map_shapes(lambda s, d: nd.KerasTensor(s, dtype=d), input_shape, input_dtype)
    return _strip_suffix(out) if isinstance(out, dict) else out


def _flatten_like(output, expected, leaf=tuple):
    """``expected`` flattened to match ``output``'s leaves, shapes (or dtypes) kept whole."""
    if isinstance(output, dict):
        return [x for k in output for x in _flatten_like(output[k], expected[k], leaf)]
    if isinstance(output, list | tuple) and not (leaf is tuple and _is_shape(expected)):
        if isinstance(expected, list | tuple) and len(expected) == len(output) and not (
                leaf is str and isinstance(expected, str)):
            return [x for o, e in zip(output, expected) for x in _flatten_like(o, e, leaf)]
        return [expected] * len(tree.flatten(output))
    return [expected]


def _train_one_step(layer, input_data, output_data):
    class Wrapper(nd.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, x, training=False):
            return self.layer(x, training=training)

    class SumLoss(nd.losses.Loss):
        def __call__(self, y_true, y_pred, sample_weight=None):
            return nd.ops.sum(y_pred)

    data = tree.map_structure(nd.ops.convert_to_numpy, (input_data, output_data))

    def batches():
        while True:
            yield data

    model = Wrapper(layer)
    model.compile(optimizer="sgd", loss=SumLoss())
    model.fit(batches(), steps_per_epoch=1, verbose=0)


def _to_json(value):
    def encode(obj):
        if isinstance(obj, tuple):
            return {"__class__": "tuple", "__value__": [encode(e) for e in obj]}
        if isinstance(obj, list):
            return [encode(e) for e in obj]
        if isinstance(obj, dict):
            return {k: encode(v) for k, v in obj.items()}
        return obj

    return json.dumps(encode(value), sort_keys=True, indent=4)


def _tuples(obj):
    if isinstance(obj, dict) and set(obj) == {"__class__", "__value__"}:
        return tuple(obj["__value__"])
    return obj
