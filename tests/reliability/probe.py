"""Load hostile files in a fresh process and measure what each load costs.

``python -m tests.reliability.probe CASES_JSON`` imports numdeep once, then forks one child per
case (``[name, loader, path]``): the child runs the loader under an address-space limit (1 GiB
above what it starts with, so that a regression fails fast with ``MemoryError`` instead of
exhausting the machine) and a time limit, and reports the error it got. The peak resident memory
of each child, minus its resident size before the load, is the memory the load took (the
``allocate_mb`` loader, which touches ``path`` MiB, calibrates it). Prints one JSON object:
``{name: {"error": class name, "classes": [its MRO names], "message": str, "peak_mb": float,
"seconds": float}}``.
"""

import json
import os
import resource
import signal
import sys
import time
import warnings

import numpy as np

import numdeep as nd
from numdeep.datasets import mnist
from numdeep.pretrained import BertModel, safetensors

_EXTRA_ADDRESS_SPACE = 1 << 30
_SECONDS = 20


def _small_model():
    return nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])


LOADERS = {
    "load_weights": lambda path: _small_model().load_weights(path),
    "load_model": lambda path: nd.saving.load_model(path),
    "read_idx": lambda path: mnist.read_idx(path),
    "mnist_load_data": lambda path: mnist.load_data(path),
    "safetensors": lambda path: safetensors.load_file(path),
    "bert_from_pretrained": lambda path: BertModel.from_pretrained(path),
    "allocate_mb": lambda path: np.ones(int(path) << 20, np.uint8).sum(),
}


def _resident_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _address_space():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(loader, path, write_fd):
    limit = _address_space() + _EXTRA_ADDRESS_SPACE
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.alarm(_SECONDS)
    # The child's own resident size, not the parent's: library pages the parent holds are not
    # resident in a fresh fork, so the parent's figure would hide about 10 MB of the load.
    out = {"error": None, "classes": [], "message": "", "start_kb": _resident_kb()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LOADERS[loader](path)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, whatever it is
        out.update(error=type(e).__name__, classes=[c.__name__ for c in type(e).__mro__],
                   message=str(e)[:2000])
    os.write(write_fd, json.dumps(out).encode())
    os._exit(0)


def run(cases):
    results = {}
    for name, loader, path in cases:
        read_fd, write_fd = os.pipe()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(loader, path, write_fd)
        os.close(write_fd)
        chunks = []
        while chunk := os.read(read_fd, 1 << 16):
            chunks.append(chunk)
        os.close(read_fd)
        _, status, usage = os.wait4(pid, 0)
        report = json.loads(b"".join(chunks) or b'{"error": "died", "classes": [], '
                            b'"message": "", "start_kb": 0}')
        report["status"] = status
        report["peak_mb"] = max(0, usage.ru_maxrss - report.pop("start_kb")) / 1024
        report["seconds"] = time.perf_counter() - start
        results[name] = report
    return results


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
