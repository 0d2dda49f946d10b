"""Issue 17, item 1 (and the file-driven cases of item 5): small hostile files are refused with
``CorruptFileError``/``UnsafeFileError`` (``ValueError`` for the dataset readers) before they
allocate what they declare. Each load runs in a forked child of one fresh process
(``probe.py``), which measures its peak resident memory: under 200 MB for every case."""

import json
import os
import subprocess
import sys

import pytest

from tests.reliability import hostile

PEAK_LIMIT_MB = 200
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: (builder, file name, loader, error class, words the message must hold)
CASES = {
    "weights_h5_unwritten_chunks": (hostile.weights_h5_unwritten, "w.weights.h5",
                                    "load_weights", "UnsafeFileError", "memory bomb"),
    "weights_h5_many_small_arrays": (hostile.weights_h5_many_small, "many.weights.h5",
                                     "load_weights", "UnsafeFileError", "in all"),
    "weights_h5_compressed_zeros": (hostile.weights_h5_compressed, "gz.weights.h5",
                                    "load_weights", "UnsafeFileError", "memory bomb"),
    "keras_unwritten_chunks": (hostile.keras_unwritten, "m.keras", "load_model",
                               "UnsafeFileError", "memory bomb"),
    "keras_unwritten_chunks_load_weights": (hostile.keras_unwritten, "lw.keras",
                                            "load_weights", "UnsafeFileError", "memory bomb"),
    "keras_directory_unwritten_chunks": (hostile.keras_directory_unwritten, "saved_model",
                                         "load_model", "UnsafeFileError", "memory bomb"),
    "sharded_weights_unwritten_shard": (hostile.sharded_weights_unwritten, "s.weights.json",
                                        "load_weights", "UnsafeFileError",
                                        "s_00000.weights.h5"),
    "keras_zip_member_bomb": (hostile.keras_zip_member_bomb, "zip.keras", "load_model",
                              "CorruptFileError", "bomb"),
    "keras_config_builds_1gb": (hostile.keras_config_bomb, "config.keras", "load_model",
                                "CorruptFileError", "bytes of weights the file stores"),
    "legacy_h5_unwritten": (hostile.legacy_h5_unwritten, "m.h5", "load_model",
                            "UnsafeFileError", "memory bomb"),
    "legacy_h5_unwritten_load_weights": (hostile.legacy_h5_unwritten, "lw.h5", "load_weights",
                                         "UnsafeFileError", "memory bomb"),
    "mnist_idx_gzip_3gib": (hostile.idx_gzip_bomb, "train-labels-idx1-ubyte.gz", "read_idx",
                            "ValueError", "decompression bomb"),
    "mnist_idx_trailing_1gib": (hostile.idx_trailing_bomb, "t10k-labels-idx1-ubyte.gz",
                                "read_idx", "ValueError", "trailing bytes"),
    "mnist_npz_deflate_bomb": (hostile.mnist_npz_ratio_bomb, "ratio.npz", "mnist_load_data",
                               "ValueError", "zip bomb"),
    "mnist_npz_header_10gb": (hostile.mnist_npz_header_bomb, "header.npz", "mnist_load_data",
                              "ValueError", "holds 129 bytes"),
    "safetensors_zero_dim": (hostile.safetensors_zero_dim, "z.safetensors", "safetensors",
                             "CorruptFileError", "overflows int64"),
    "safetensors_4tb": (hostile.safetensors_huge, "h.safetensors", "safetensors",
                        "CorruptFileError", "needs 4000000000000 bytes"),
    "bert_checkpoint_million_layers": (hostile.bert_layers_bomb, "bert_layers",
                                       "bert_from_pretrained", "CheckpointMismatchError",
                                       "num_hidden_layers=1000000"),
    "bert_checkpoint_200gb_width": (hostile.bert_width_bomb, "bert_width",
                                    "bert_from_pretrained", "CheckpointMismatchError",
                                    "embeddings.word_embeddings.weight: checkpoint (10, 8) vs "
                                    "config (30522, 65536)"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = []
    for name, (build, file_name, loader, *_) in CASES.items():
        path = build(folder / file_name)
        assert os.path.getsize(path) < 4 << 20, (name, os.path.getsize(path))
        cases.append([name, loader, str(path)])
    cases += [["calibrate_0", "allocate_mb", "0"], ["calibrate_64", "allocate_mb", "64"]]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-m", "tests.reliability.probe", json.dumps(cases)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_refused_within_200_mb(results, name):
    *_, error, words = CASES[name]
    report = results[name]
    assert error in report["classes"], report
    assert words in report["message"], report
    assert report["peak_mb"] < PEAK_LIMIT_MB, report
    assert report["seconds"] < 15, report


def test_peak_memory_probe_sees_what_a_load_allocates(results):
    # The figures above mean something only if the probe sees memory a load takes: touching
    # 64 MiB must read as 64 MiB (plus the interpreter's small overhead), nothing as ~0.
    assert results["calibrate_0"]["peak_mb"] < 8, results["calibrate_0"]
    assert 63 < results["calibrate_64"]["peak_mb"] < 80, results["calibrate_64"]


def test_saving_errors_are_value_errors(results):
    # Callers catch ValueError (Keras's type) or numdeep's CorruptFileError: both work.
    for name in CASES:
        assert "ValueError" in results[name]["classes"], (name, results[name])
