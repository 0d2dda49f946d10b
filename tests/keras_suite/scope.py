"""What of Keras's test suite is measured against numdeep, and what is out of scope (and why).

``FILES`` are the test files (relative to ``keras/src``) that make up the conformance figure of
the contract issue; ``OPS_FILES`` the ``keras.ops`` files of the breadth issue. ``OUT_OF_SCOPE``
matches test ids (``path::Class::test_name``, case-insensitive) that exercise a feature numdeep
does not claim; each match is skipped with its reason and leaves the denominator. Only these
reasons are allowed; a test that fails for any other reason counts as a failure.

``OUT_OF_SCOPE_MODULES`` are Keras modules that exist only for those features: importing them
gives a module whose every name skips the test that uses it (with the reason), so a test file
that merely imports, say, the quantizers for its quantization tests can still run its other
tests.
"""

import re

FILES = [
    "layers/layer_test.py",
    "layers/core/", "layers/convolutional/", "layers/pooling/", "layers/normalization/",
    "layers/regularization/", "layers/reshaping/", "layers/rnn/", "layers/attention/",
    "layers/merging/", "layers/activations/",
    "losses/", "metrics/", "optimizers/", "callbacks/",
    "models/sequential_test.py", "models/functional_test.py", "models/model_test.py",
    "models/cloning_test.py",
    "trainers/trainer_test.py", "trainers/compile_utils_test.py",
    "trainers/epoch_iterator_test.py",
    "trainers/data_adapters/array_data_adapter_test.py",
    "trainers/data_adapters/generator_data_adapter_test.py",
    "trainers/data_adapters/py_dataset_adapter_test.py",
    "trainers/data_adapters/torch_data_loader_adapter_test.py",
    "random/",
    "saving/saving_api_test.py", "saving/saving_lib_test.py",
    "saving/serialization_lib_test.py", "saving/object_registration_test.py",
]
# Files that pick backend-specific code by `keras.backend.backend()` at import and refuse any
# backend but Keras's own (trainer_test imports its `Trainer` class that way). They run with
# numdeep answering "torch": the reference backend whose test ids and skips make the
# denominator. Only the name changes; `TorchTrainer` is numdeep's `Trainer`.
AS_TORCH = {"trainers/trainer_test.py"}
OPS_FILES = ["ops/core_test.py", "ops/math_test.py", "ops/nn_test.py", "ops/numpy_test.py",
             "ops/linalg_test.py", "ops/image_test.py"]

_QUANT = "quantization: numdeep has no quantized layers or kernels"
_MIXED = "mixed precision / bfloat16 dtype policies: numdeep computes in float16/32/64 only"
_SPARSE = "sparse and ragged tensors: numdeep arrays are dense"
_DIST = "keras.distribution (device meshes, sharding): numdeep runs on one device"
_EXPORT = "TF SavedModel / TF-specific export: numdeep has no TensorFlow"
_KERNELS = "cuDNN and flash-attention kernels: GPU-only fused kernels"
_IMPORT = ("deserializes a class defined in the test module by importing the module its config "
           "names: numdeep never imports code a config names (classes must be registered or "
           "passed as custom_objects)")
_CODE = ("deserializes a Lambda's marshalled Python bytecode (safe_mode=False): numdeep never "
         "executes code from a saved file or config")
_TFDATA = "tf.data pipelines (adapter.get_tf_dataset): numdeep has no TensorFlow"
_FIXTURE = "its test data file is not in the Keras wheel: it cannot run from the installed Keras"
_ASYNC = ("non-blocking tensor-to-NumPy transfer of a device backend: numdeep's tensors are NumPy "
          "arrays already (Keras skips this test on its torch backend for the same reason)")

OUT_OF_SCOPE = [
    (r"quantiz|_int8|_int4|int4_|int8_|float8|gptq|awq|quantizer", _QUANT),
    # These load stores into int8/int4/float8/GPTQ/AWQ-quantized Dense, EinsumDense and
    # Embedding layers (dtype="int8_from_float32", ...) after one float32 case.
    (r"core/(dense|einsum_dense|embedding)_test\.py::.*test_legacy_load_own_variables",
     _QUANT),
    (r"mixed_precision|mixed_float16|mixed_bfloat16|bfloat16|dtype_polic|"
     r"autocast|loss_scal|lossscale", _MIXED),
    # Each losses_test `test_dtype_arg` builds its loss with dtype="bfloat16" and only checks
    # that the result is bfloat16.
    (r"losses/losses_test\.py::\w+::test_dtype_arg$", _MIXED),
    # These set the global policy to "mixed_float16" and check losses/metrics ignore it.
    (r"(losses/loss|metrics/metric)_test\.py::\w+::test_default_dtype$", _MIXED),
    # Not SparseCategorical* or sparse_top_k: those are dense.
    (r"(?<![a-z])sparse(?!_?categorical|_?top_?k)|ragged", _SPARSE),
    # Each ends with `assertSparse(one_hot(x, 5, sparse=True))` on its symbolic shape checks.
    (r"ops/nn_test\.py::NNOps(Dynamic|Static)ShapeTest::test_(one|multi)_hot$", _SPARSE),
    # It checks that `sparse=True` KerasTensors stay sparse through convert_to_tensor.
    (r"ops/core_test\.py::CoreOpsStaticShapeTest::test_convert_to_tensor$", _SPARSE),
    (r"distribution_lib|device_mesh|devicemesh|data_parallel|model_parallel|layout_map|"
     r"sharding|test_distribution", _DIST),
    (r"saved_model|savedmodel|tf_saved|export_archive|test_export|_export_", _EXPORT),
    (r"cudnn|flash_attention|flash_attn", _KERNELS),
    # Keras's eligibility checks for the cuDNN-fused bidirectional LSTM/GRU kernel.
    (r"rnn/bidirectional_test\.py::\w+::test_fused_(lstm|gru)_eligibility$", _KERNELS),
    # Their layer configs name cells/wrapped layers defined in the test file, which Keras loads
    # by importing the test module.
    (r"rnn/rnn_test\.py::\w+::test_(basics|serialization)$|"
     r"rnn/dropout_rnn_cell_test\.py::\w+::test_basics$|"
     r"core/wrapper_test\.py::\w+::test_wrapper_basics$", _IMPORT),
    # Each serializes a Lambda wrapping a Python lambda and loads it back with safe_mode=False.
    (r"models/sequential_test\.py::\w+::test_serialization_with_lambda_layer$|"
     r"core/lambda_layer_test\.py::\w+::test_correctness(_lambda_shape)?$", _CODE),
    # Each round-trips a Python lambda (alone or in a Lambda layer) and loads it back with
    # safe_mode=False.
    (r"saving/serialization_lib_test\.py::\w+::test_(lambda_fn|lambda_layer|safe_mode_scope)$|"
     r"saving/saving_lib_test\.py::SavingAPITest::test_safe_mode$", _CODE),
    (r"::test_\w*tf_data", _TFDATA),
    # After the NumPy iterator (which counts) each turns the data into a tf.data.Dataset.
    (r"data_adapters/array_data_adapter_test\.py::\w+::test_multi_inputs_and_outputs$|"
     r"data_adapters/py_dataset_adapter_test\.py::\w+::test_dict_inputs$", _TFDATA),
    # It wraps an optimizer in a LossScaleOptimizer (mixed-precision loss scaling) first.
    (r"optimizers/multi_optimizer_test\.py::\w+::test_multi_optimizer_blocks_nested_optimizers$",
     _MIXED),
    # Its data file (keras/src/saving/test_data/) is not shipped in the Keras wheel, so it fails
    # under Keras itself too.
    (r"saving/saving_lib_test\.py::\w+::test_legacy_load_skips_missing_nested_containers$",
     _FIXTURE),
    (r"callbacks/tensorboard_test\.py::\w+::test_TensorBoard_non_blocking$", _ASYNC),
]

OUT_OF_SCOPE_MODULES = {
    "keras.src.quantizers": _QUANT,
    "keras.src.dtype_policies": _MIXED,
    "keras.src.mixed_precision": _MIXED,
    "keras.src.distribution": _DIST,
    "keras.src.export": _EXPORT,
}

# Names inside those modules that numdeep does answer: the losses and metrics tests save and
# restore the global dtype policy in setUp/tearDown (numdeep's is its one float dtype), which
# must not skip their other tests.
IN_SCOPE_NAMES = {
    "keras.src.dtype_policies.dtype_policy.dtype_policy": "numdeep.backend.config.dtype_policy",
    "keras.src.dtype_policies.dtype_policy.set_dtype_policy":
        "numdeep.backend.config.set_dtype_policy",
}

_COMPILED = [(re.compile(p, re.IGNORECASE), reason) for p, reason in OUT_OF_SCOPE]


def out_of_scope(test_id):
    """The reason ``test_id`` is out of scope, or None when it counts."""
    for pattern, reason in _COMPILED:
        if pattern.search(test_id):
            return reason
    return None
