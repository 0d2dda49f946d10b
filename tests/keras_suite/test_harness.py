"""The Keras-suite harness must be able to fail: negative controls for numdeep's ``TestCase``.

Each control is a small Keras-style test that runs through the shim exactly as Keras's own test
files do (a subprocess with ``shim/`` first on ``sys.path``). The correct expectations pass; a
wrong output shape, wrong values, wrong weight counts, a broken config round trip and a wrong
mask each fail. A harness that turned failures into passes would fail this file.
"""

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

CONTROLS = '''
import numpy as np

from keras.src import layers
from keras.src import testing


class BrokenConfigDense(layers.Dense):
    def get_config(self):
        config = super().get_config()
        config["units"] = config["units"] + 1  # the round trip builds another layer
        return config


class Controls(testing.TestCase):
    def test_correct_expectations_pass(self):
        self.run_layer_test(layers.Dense, init_kwargs={"units": 3}, input_shape=(2, 4),
                            expected_output_shape=(2, 3), expected_num_trainable_weights=2,
                            expected_num_non_trainable_weights=0)

    def test_wrong_output_shape_fails(self):
        self.run_layer_test(layers.Dense, init_kwargs={"units": 3}, input_shape=(2, 4),
                            expected_output_shape=(2, 4))

    def test_wrong_trainable_weight_count_fails(self):
        self.run_layer_test(layers.Dense, init_kwargs={"units": 3}, input_shape=(2, 4),
                            expected_output_shape=(2, 3), expected_num_trainable_weights=3)

    def test_wrong_non_trainable_weight_count_fails(self):
        self.run_layer_test(layers.BatchNormalization, init_kwargs={}, input_shape=(2, 4),
                            expected_output_shape=(2, 4), expected_num_non_trainable_weights=1)

    def test_wrong_values_fail(self):
        self.run_layer_test(layers.Dense,
                            init_kwargs={"units": 2, "kernel_initializer": "ones"},
                            input_data=np.ones((1, 3), "float32"),
                            expected_output=np.full((1, 2), 4.0, "float32"))

    def test_broken_config_round_trip_fails(self):
        self.run_layer_test(BrokenConfigDense, init_kwargs={"units": 3}, input_shape=(2, 4),
                            expected_output_shape=(2, 3),
                            custom_objects={"BrokenConfigDense": BrokenConfigDense})

    def test_wrong_mask_support_fails(self):
        self.run_layer_test(layers.Dense, init_kwargs={"units": 3}, input_shape=(2, 4),
                            expected_output_shape=(2, 3), supports_masking=False)

    def test_assert_all_close_fails_on_other_values(self):
        self.assertAllClose(np.ones(3), np.ones(3) * 1.01)
'''

EXPECTED = {
    "test_correct_expectations_pass": "passed",
    "test_wrong_output_shape_fails": "failed",
    "test_wrong_trainable_weight_count_fails": "failed",
    "test_wrong_non_trainable_weight_count_fails": "failed",
    "test_wrong_values_fail": "failed",
    "test_broken_config_round_trip_fails": "failed",
    "test_wrong_mask_support_fails": "failed",
    "test_assert_all_close_fails_on_other_values": "failed",
}


def _run_controls(tmp_path):
    test_file = tmp_path / "controls_test.py"
    test_file.write_text(textwrap.dedent(CONTROLS))
    junit = tmp_path / "controls.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE / "shim"), str(HERE)]),
           "OPENBLAS_NUM_THREADS": "1"}
    env.pop("KERAS_BACKEND", None)
    env.pop("NUMDEEP_KERAS_MODULES", None)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                    "-p", "no:randomly", "--junitxml", str(junit), str(test_file)],
                   cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                   check=False)
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcomes[case.get("name")] = ("skipped" if "skipped" in kinds else
                                      "failed" if kinds & {"failure", "error"} else "passed")
    return outcomes


@pytest.mark.filterwarnings("ignore")
def test_test_case_fails_on_wrong_shapes_values_weights_configs_and_masks(tmp_path):
    pytest.importorskip("absl")  # Keras's tests (and the shim's TestCase) use absl's parameterized
    assert _run_controls(tmp_path) == EXPECTED
