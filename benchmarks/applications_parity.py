"""Every ``numdeep.applications`` architecture against real Keras 3 (torch backend), offline.

For each architecture, with the classifier top and without it (``pooling="avg"``): Keras builds
the model with random weights (normalization statistics, biases and layer scales randomized
too), predicts on preprocessed random images and saves ``.weights.h5``, a full legacy ``.h5``
and a weights-only legacy ``.h5`` laid out like Keras's published ImageNet files; numdeep builds
the same architecture from each file (``weights=path``) and predicts (with the top: logits,
``classifier_activation=None``, since a softmax of random weights saturates). A row passes when
the largest difference, relative to the largest Keras output, is at most 1e-4 and (with the top)
the top-5 classes of every sample are the same.

Usage (from the repository root):
    python benchmarks/applications_parity.py                 # every architecture
    python benchmarks/applications_parity.py ResNet50 VGG16  # some of them
    python benchmarks/applications_parity.py --side 224      # at another image side
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.applications import parity  # noqa: E402


def _run(keras, nd, name, include_top, side):
    pooling = None if include_top else "avg"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        x, expected, paths = parity.keras_reference(keras, name, tmp, include_top=include_top,
                                                    pooling=pooling, side=side)
        keras_s = time.perf_counter() - start
        for fmt, path in paths.items():
            start = time.perf_counter()
            try:
                found = parity.numdeep_predictions(nd, name, x, path, include_top=include_top,
                                                   pooling=pooling)
                error, top5 = parity.compare(expected, found, include_top)
                status = "ok"
            except Exception as e:  # noqa: BLE001 - a failing row is reported, not fatal
                error, top5, status = float("nan"), False, f"FAIL {type(e).__name__}: {e}"
            rows.append((name, "top" if include_top else "avg", x.shape[1], fmt, error, top5,
                         keras_s, time.perf_counter() - start, status))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="architectures (default: all)")
    parser.add_argument("--side", type=int, default=None,
                        help="image side (default: the smallest each architecture takes)")
    args = parser.parse_args()
    import keras

    import numdeep as nd

    names = args.names or list(parity.ARCHITECTURES)
    print(f"keras {keras.__version__} ({keras.backend.backend()}), numdeep {nd.__version__}")
    print(f"{'model':<17} {'top':<4} {'side':>4} {'file':<18} {'rel. err':>9} {'top5':<5} "
          f"{'keras s':>7} {'numdeep s':>9}  status")
    failures = 0
    for name in names:
        for include_top in (True, False):
            for row in _run(keras, nd, name, include_top, args.side):
                name_, top, side, fmt, error, top5, ks, ns, status = row
                failures += status != "ok"
                print(f"{name_:<17} {top:<4} {side:>4} {fmt:<18} {error:>9.1e} "
                      f"{str(top5):<5} {ks:>7.1f} {ns:>9.1f}  {status[:200]}", flush=True)
    print(f"{failures} failing row(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
