"""Every layer configuration of numdeep's layer tables exports to ONNX: ``onnx.checker`` accepts
the graph (inside ``to_onnx``) and onnxruntime's outputs equal numdeep's within 1e-5, with the
batch axis free (the data's batch differs from any size seen while building)."""

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import numdeep as nd  # noqa: E402
from numdeep.onnx import to_onnx  # noqa: E402
from tests.onnx.common import assert_outputs_close, run_onnxruntime  # noqa: E402
from tests.onnx.export_cases import EXTRA, extra_inputs  # noqa: E402
from tests.saving.layer_cases import CASES, build, inputs_for  # noqa: E402


def _check(model, inputs):
    proto = to_onnx(model)
    for graph_input in proto.graph.input:
        assert graph_input.type.tensor_type.shape.dim[0].dim_param == "batch"
    want = model(inputs, training=False)
    got = run_onnxruntime(proto.SerializeToString(),
                          inputs if isinstance(inputs, list) else [inputs])
    assert_outputs_close(got, want, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_table_case_exports_and_matches_onnxruntime(name):
    nd.utils.set_random_seed(0)
    _check(build(nd, name), inputs_for(name))


@pytest.mark.parametrize("name", list(EXTRA))
@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_extra_configuration_exports_and_matches_onnxruntime(name):
    nd.utils.set_random_seed(0)
    xs = extra_inputs(name, batch=4)
    _check(EXTRA[name][0](), xs if len(xs) > 1 else xs[0])
