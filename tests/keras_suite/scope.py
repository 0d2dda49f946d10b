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
OPS_FILES = ["ops/core_test.py", "ops/math_test.py", "ops/nn_test.py", "ops/numpy_test.py",
             "ops/linalg_test.py", "ops/image_test.py"]

_QUANT = "quantization: numdeep has no quantized layers or kernels"
_MIXED = "mixed precision / bfloat16 dtype policies: numdeep computes in float16/32/64 only"
_SPARSE = "sparse and ragged tensors: numdeep arrays are dense"
_DIST = "keras.distribution (device meshes, sharding): numdeep runs on one device"
_EXPORT = "TF SavedModel / TF-specific export: numdeep has no TensorFlow"
_KERNELS = "cuDNN and flash-attention kernels: GPU-only fused kernels"

OUT_OF_SCOPE = [
    (r"quantiz|_int8|_int4|int4_|int8_|float8|gptq|awq|quantizer", _QUANT),
    (r"mixed_precision|mixed_float16|mixed_bfloat16|bfloat16|dtype_polic|"
     r"autocast|loss_scale|lossscale", _MIXED),
    # Not SparseCategorical* or sparse_top_k: those are dense.
    (r"(?<![a-z])sparse(?!_?categorical|_?top_?k)|ragged", _SPARSE),
    (r"distribution_lib|device_mesh|devicemesh|data_parallel|model_parallel|layout_map|"
     r"sharding|test_distribution", _DIST),
    (r"saved_model|savedmodel|tf_saved|export_archive|test_export|_export_", _EXPORT),
    (r"cudnn|flash_attention|flash_attn", _KERNELS),
]

OUT_OF_SCOPE_MODULES = {
    "keras.src.quantizers": _QUANT,
    "keras.src.dtype_policies": _MIXED,
    "keras.src.mixed_precision": _MIXED,
    "keras.src.distribution": _DIST,
    "keras.src.export": _EXPORT,
}

_COMPILED = [(re.compile(p, re.IGNORECASE), reason) for p, reason in OUT_OF_SCOPE]


def out_of_scope(test_id):
    """The reason ``test_id`` is out of scope, or None when it counts."""
    for pattern, reason in _COMPILED:
        if pattern.search(test_id):
            return reason
    return None
