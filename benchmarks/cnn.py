"""numdeep vs PyTorch eager on the tutorial CNN, timed in one run on one machine.

The model: Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2) ->
Flatten -> Dense(64, relu) -> Dense(10, softmax) on 28x28x1 inputs, Adam (lr 1e-3), sparse
categorical cross-entropy (PyTorch: CrossEntropyLoss on logits, the standard idiom).

Measured with the same number of threads for both libraries (BLAS threads for NumPy,
``torch.set_num_threads`` for PyTorch), each library in its own child process, the processes
alternating round by round (in one process, OpenBLAS and OpenMP thread pools spin against each
other on the same cores):

- training step at batch 128 on MNIST-shaped random data: numdeep through ``model.fit`` (the
  whole loop: slicing, forward, loss, backward, Adam, metrics), PyTorch through the standard loop;
  reported per step (best epoch of several);
- inference on one batch of 1,024 images: numdeep ``model(x)`` under ``no_grad`` and
  ``model.predict(x, batch_size=1024)``, PyTorch ``model(x)`` under ``inference_mode``;
- achieved GFLOP/s of each (multiply-adds of the convolutions and dense layers counted as 2
  FLOPs; a training step counts forward, weight gradients and input gradients except the first
  layer's) against a plain float32 matmul (2048 x 2048) in the same process: the practical
  ceiling of the machine.

Usage:
    python benchmarks/cnn.py              # the run whose figures go in BENCHMARKS.md
    python benchmarks/cnn.py --quick      # fewer steps and repeats: a smoke run
    python benchmarks/cnn.py --threads 1  # both libraries on one thread
    python benchmarks/cnn.py --no-torch   # numdeep only (ratios print as "skipped")
    python benchmarks/cnn.py --profile    # also time each numdeep primitive, forward/backward
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path)

TARGET_TRAIN = 1.5  # numdeep training step / PyTorch training step
TARGET_INFER = 1.5  # numdeep inference batch / PyTorch inference batch
BATCH, INFER_BATCH = 128, 1024


# ----- shared helpers ---------------------------------------------------------------------------
def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n, dtype=np.int64)


def model_flops(batch):
    """(forward, training step) FLOPs of the tutorial CNN for ``batch`` images."""
    layers = [  # (multiply-adds per image, needs input gradient)
        (26 * 26 * 9 * 1 * 32, False),
        (11 * 11 * 9 * 32 * 64, True),
        (1600 * 64, True),
        (64 * 10, True),
    ]
    forward = sum(2 * macs for macs, _ in layers) * batch
    backward = sum(2 * macs * (2 if needs_dx else 1) for macs, needs_dx in layers) * batch
    return forward, forward + backward


def matmul_gflops(n=2048, repeats=5):
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a
    best = min(_wall(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _wall(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


_CLOCK = [time.perf_counter]  # the worker switches to process CPU time with --clock cpu


def _timed(fn):
    clock = _CLOCK[0]
    start = clock()
    fn()
    return clock() - start


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----- numdeep worker ---------------------------------------------------------------------------
def numdeep_cnn():
    import numdeep as nd

    L = nd.layers
    model = nd.Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_numdeep(args):
    import numdeep as nd

    nd.utils.set_random_seed(0)
    x, y = make_data(BATCH * args.steps)
    model = numdeep_cnn()
    model.fit(x[:BATCH * 3], y[:BATCH * 3], batch_size=BATCH, epochs=1, verbose=0)  # warm up
    steps = [_timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)) / args.steps
             for _ in range(args.repeats)]
    _log(f"  numdeep: training steps of {_fmt_ms(steps)}")
    xi = x[:INFER_BATCH] if len(x) >= INFER_BATCH else make_data(INFER_BATCH, 1)[0]

    def call():
        with nd.no_grad():
            return model(xi)

    call()
    infer = [_timed(call) for _ in range(args.repeats)]
    predict = [_timed(lambda: model.predict(xi, batch_size=INFER_BATCH, verbose=0))
               for _ in range(args.repeats)]
    _log(f"  numdeep: inference batches of {_fmt_ms(infer)} (predict {_fmt_ms(predict)})")
    result = {"version": nd.__version__, "train": steps, "infer": infer, "predict": predict,
              "matmul_gflops": matmul_gflops()}
    if args.profile:
        result["profile"] = profile_numdeep(model, x, y)
    return result


def profile_numdeep(model, x, y, steps=10):
    """Milliseconds per training step spent in each primitive's forward and backward."""
    from numdeep.autograd.function import Function

    seconds = defaultdict(float)
    classes = {c for c in _subclasses(Function)}
    originals = {}
    for cls in classes:
        for phase in ("forward", "backward"):
            if phase in vars(cls):
                originals[(cls, phase)] = vars(cls)[phase]
                setattr(cls, phase, _timer(vars(cls)[phase], f"{cls.__name__}.{phase}", seconds))
    try:
        data = x[:BATCH * steps], y[:BATCH * steps]
        total = _wall(lambda: model.fit(*data, batch_size=BATCH, epochs=1, verbose=0))
    finally:
        for (cls, phase), fn in originals.items():
            setattr(cls, phase, fn)
    rows = {k: v / steps * 1e3 for k, v in seconds.items()}
    rows["(everything else: Python, optimizer, metrics)"] = (total - sum(seconds.values())) \
        / steps * 1e3
    return {"per_step_ms": total / steps * 1e3, "rows": rows}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _timer(fn, name, seconds):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - start

    return timed


# ----- PyTorch worker ---------------------------------------------------------------------------
def run_torch(args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xn, yn = make_data(BATCH * args.steps)
    x, y = torch.from_numpy(xn).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(yn)

    def epoch(n_steps):
        model.train()
        perm = torch.randperm(BATCH * n_steps)
        for i in range(0, BATCH * n_steps, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch(3)
    steps = [_timed(lambda: epoch(args.steps)) / args.steps for _ in range(args.repeats)]
    _log(f"  PyTorch: training steps of {_fmt_ms(steps)}")
    xi = x[:INFER_BATCH] if len(x) >= INFER_BATCH else torch.from_numpy(
        make_data(INFER_BATCH, 1)[0]).permute(0, 3, 1, 2).contiguous()
    model.eval()

    def call():
        with torch.inference_mode():
            return model(xi)

    call()
    infer = [_timed(call) for _ in range(args.repeats)]
    _log(f"  PyTorch: inference batches of {_fmt_ms(infer)}")
    return {"version": torch.__version__, "threads": torch.get_num_threads(), "train": steps,
            "infer": infer}


# ----- orchestration ----------------------------------------------------------------------------
def blas_threads():
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return int(pools[0]["num_threads"])
    except ImportError:
        pass
    return int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
               or os.cpu_count() or 1)


def spawn(library, args, threads, profile):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library, "--steps",
           str(args.steps), "--repeats", str(args.repeats), "--threads", str(threads),
           "--clock", args.clock]
    cmd += ["--profile"] * profile
    env = dict(os.environ)
    if args.threads:  # BLAS reads these at import: set them before the child starts
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rounds(args, threads, libraries):
    """Alternate the workers; pool every round's timings (the best counts), profile last."""
    results = {}
    for r in range(args.rounds):
        for name in libraries:
            res = spawn(name, args, threads, args.profile and r == args.rounds - 1)
            if name not in results:
                results[name] = res
                continue
            for key in ("train", "infer", "predict"):
                if key in res:
                    results[name][key] += res[key]
            results[name].update({k: v for k, v in res.items() if k == "profile"})
            if "matmul_gflops" in res:
                results[name]["matmul_gflops"] = max(results[name]["matmul_gflops"],
                                                     res["matmul_gflops"])
    return results


def _fmt_ms(values):
    return "[" + ", ".join(f"{v * 1e3:.1f}" for v in values) + "] ms"


def _verdict(ratio, target):
    if ratio is None:
        return "skipped"
    return "PASS" if ratio <= target else f"MISS by {ratio / target - 1:.0%}"


def report(results, threads, clock):
    nd_res, t_res = results["numdeep"], results.get("torch")
    pick = min if clock == "wall" else statistics.median
    fwd, step = model_flops(BATCH)
    fwd_infer = model_flops(INFER_BATCH)[0]
    peak = nd_res["matmul_gflops"]
    rows = [
        ("training step, batch 128", pick(nd_res["train"]), t_res and pick(t_res["train"]),
         step, TARGET_TRAIN),
        ("inference, batch 1024: model(x)", pick(nd_res["infer"]),
         t_res and pick(t_res["infer"]), fwd_infer, TARGET_INFER),
        ("inference, batch 1024: predict()", pick(nd_res["predict"]),
         t_res and pick(t_res["infer"]), fwd_infer, TARGET_INFER),
    ]
    print(f"\nfloat32 matmul 2048x2048 (the ceiling): {peak:.1f} GFLOP/s on {threads} thread(s)")
    print(f"FLOPs counted: training step {step / 1e9:.2f} G, forward of 1,024 images "
          f"{fwd_infer / 1e9:.2f} G (forward of 128: {fwd / 1e9:.3f} G)")
    what = "best wall times" if clock == "wall" else "median process CPU times"
    print(f"\nSummary ({what}; ratio = numdeep / PyTorch)")
    head = ("measure", "numdeep", "PyTorch", "ratio", "target", "result", "numdeep GFLOP/s",
            "PyTorch GFLOP/s")
    widths = [34, 10, 10, 7, 7, 12, 16, 15]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for name, ours, theirs, flops, target in rows:
        ratio = None if not theirs else ours / theirs
        cells = [name, f"{ours * 1e3:.1f} ms", "-" if not theirs else f"{theirs * 1e3:.1f} ms",
                 "-" if ratio is None else f"{ratio:.2f}x", f"<={target}x",
                 _verdict(ratio, target),
                 f"{flops / ours / 1e9:.1f} ({flops / ours / 1e9 / peak:.0%})",
                 "-" if not theirs else f"{flops / theirs / 1e9:.1f}"]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    if "profile" in nd_res:
        prof = nd_res["profile"]
        print(f"\nnumdeep, where a training step goes ({prof['per_step_ms']:.1f} ms per step "
              "under the profiler):")
        for name, ms in sorted(prof["rows"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:<50} {ms:7.2f} ms  {ms / prof['per_step_ms']:6.1%}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats (smoke run)")
    p.add_argument("--no-torch", action="store_true", help="time numdeep only")
    p.add_argument("--profile", action="store_true", help="time each numdeep primitive")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for both libraries (default: the BLAS default)")
    p.add_argument("--steps", type=int, default=None, help="training steps per timed epoch")
    p.add_argument("--repeats", type=int, default=None, help="timed epochs / inference calls")
    p.add_argument("--rounds", type=int, default=None, help="alternating worker rounds")
    p.add_argument("--clock", choices=("wall", "cpu"), default=None,
                   help="wall time (best of all runs), or process CPU time (median), which "
                        "stays meaningful on a loaded machine for one thread; default: cpu "
                        "with --threads 1, else wall")
    p.add_argument("--worker", choices=("numdeep", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.steps = args.steps or (5 if args.quick else 20)
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.clock = args.clock or ("cpu" if args.threads == 1 else "wall")
    if args.clock == "cpu":
        _CLOCK[0] = time.process_time
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        result = (run_numdeep if args.worker == "numdeep" else run_torch)(args)
        print(json.dumps(result))
        return
    threads = args.threads or blas_threads()
    print(f"machine : {cpu_model()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"software: Python {platform.python_version()}, NumPy {np.__version__}; "
          f"{threads} thread(s) for each library")
    use_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    libraries = ["numdeep"] + ["torch"] * use_torch
    print(f"{args.rounds} round(s) of separate processes; per round {args.repeats} epochs of "
          f"{args.steps} steps at batch {BATCH}, {args.repeats} inference calls of "
          f"{INFER_BATCH} images; clock: {args.clock}")
    results = run_rounds(args, threads, libraries)
    if use_torch:
        print(f"PyTorch : {results['torch']['version']}, {results['torch']['threads']} "
              f"thread(s)")
    report(results, threads, args.clock)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
