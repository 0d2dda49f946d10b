"""``onnx`` is an optional extra: numdeep (and ``numdeep.onnx`` itself) import without it, and
using the ONNX functions then raises an ImportError that names the extra."""

import subprocess
import sys
import textwrap


def test_numdeep_works_without_onnx_and_says_which_extra_to_install():
    script = textwrap.dedent("""
        import sys
        sys.modules["onnx"] = None  # as if the package were not installed
        import numdeep as nd
        import numdeep.onnx
        model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(1)])
        for call in (lambda: model.export("m.onnx"), lambda: numdeep.onnx.load_model("m.onnx")):
            try:
                call()
            except ImportError as err:
                assert "numdeep[onnx]" in str(err), err
            else:
                raise AssertionError("no ImportError")
        assert "onnx" not in [m for m in sys.modules if sys.modules[m] is not None]
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
