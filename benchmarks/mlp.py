"""numdeep vs PyTorch eager on the tutorial MLP, timed in one run on one machine.

Measures, with the same number of threads for both libraries:

- one training epoch of Flatten(28x28) -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax)
  with Adam (lr 1e-3) on MNIST-shaped random data (60,000 x 28x28 float32 in [0, 1), labels 0-9),
  at batch sizes 32 and 128: numdeep through ``model.fit(..., epochs=1, verbose=0)``, PyTorch
  through the standard loop (randperm, zero_grad, forward, CrossEntropyLoss on logits, backward,
  step). Every timed epoch starts from a freshly built model with the same seed, after a warm-up
  on a throwaway one, so all runs do the same work;
- single-sample predict latency: numdeep ``model.predict(x1, verbose=0)`` and ``model(x1)`` under
  ``nd.no_grad()`` vs PyTorch ``model(x1)`` under ``torch.inference_mode()``;
- import time of ``numdeep`` and ``torch``, each in a fresh interpreter;
- where the time goes inside one training step, for both libraries.

Each library is timed in its own child process, the two alternating round by round: in one
process, NumPy's OpenBLAS threads and PyTorch's OpenMP threads spin-wait on the same cores and
slow each other down (up to 1.6x on 2 cores). Busy machines distort timings far more (10x and
worse with 2 BLAS threads on 2 busy cores), so each run is printed with the Linux CPU pressure
during it (the share of time some task waited for a CPU) and each worker first waits, up to
``--max-wait`` seconds, for the pressure to drop; the summary takes the best run.

Usage:
    python benchmarks/mlp.py              # the full run whose figures go in BENCHMARKS.md
    python benchmarks/mlp.py --quick      # 6,000 samples, one round: a smoke run
    python benchmarks/mlp.py --threads 1  # both libraries on one thread
    python benchmarks/mlp.py --no-torch   # numdeep only (ratios print as "skipped")
    python benchmarks/mlp.py --profile    # also print cProfile's top numdeep functions
"""

import argparse
import cProfile
import ctypes
import importlib.util
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path)

TARGET_EPOCH = 1.0  # numdeep epoch time / PyTorch epoch time
TARGET_LATENCY = 0.5  # numdeep single-sample latency / PyTorch latency
TARGET_IMPORT_S = 0.25  # seconds for `import numdeep`
BATCH_SIZES = (32, 128)
WARMUP_BATCHES = 20
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ----- machine and threads --------------------------------------------------------------------
def blas_info():
    """(threads, description) of the BLAS NumPy uses: threadpoolctl, else OpenBLAS via ctypes."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _openblas_via_ctypes()
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    pools.sort(key=lambda p: "numpy" not in p.get("filepath", ""))  # NumPy's own BLAS first
    if not pools:
        return _openblas_via_ctypes()
    pool = pools[0]
    desc = (f"{pool.get('internal_api')} {pool.get('version')}, "
            f"kernel {pool.get('architecture')} (threadpoolctl)")
    return int(pool["num_threads"]), desc


def _openblas_via_ctypes():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        paths = set()
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas_", "64_"), ("openblas_", ""), ("openblas_", "64_")):
            get_threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            get_core = getattr(lib, f"{prefix}get_corename{suffix}", None)
            if get_threads is None:
                continue
            core = "?"
            if get_core is not None:
                get_core.restype = ctypes.c_char_p
                core = get_core().decode()
            return int(get_threads()), f"OpenBLAS, kernel {core} (read via ctypes)"
    n = int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
            or os.cpu_count() or 1)
    return n, "BLAS thread count not readable (install threadpoolctl); assumed"


def git_revision():
    """The commit numdeep's checkout is at, and whether it has uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"git {head}" + (" + uncommitted changes" if dirty.strip() else "")


def print_machine(threads, blas_desc):
    import numdeep as nd

    print(f"machine : {cpu_model()}, {os.cpu_count()} cores ({platform.machine()}), "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"software: Python {platform.python_version()}, NumPy {np.__version__}, "
          f"numdeep {nd.__version__} ({git_revision()})")
    print(f"BLAS    : {blas_desc}; {threads} thread(s) -> torch.set_num_threads({threads})")
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    env = {k: os.environ[k] for k in names if k in os.environ}
    print(f"env     : {env or 'no OPENBLAS_* / OMP_NUM_THREADS variables set'}")


# ----- models and epochs ----------------------------------------------------------------------
def numdeep_mlp():
    """The tutorial MLP, compiled, from the same seed every time (so every run is the same)."""
    import numdeep as nd
    from numdeep import layers

    nd.utils.set_random_seed(0)
    model = nd.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def torch_mlp(torch):
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()


def numdeep_epoch(model, x, y, batch_size):
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


def torch_epoch(torch, net, x, y, batch_size):
    model, opt, loss_fn = net
    model.train()
    start = time.perf_counter()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), batch_size):
        idx = perm[i:i + batch_size]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def numdeep_warmup(x, y, batch_size):
    """A few batches on a throwaway model, so that one-time costs stay out of the timings."""
    n = batch_size * WARMUP_BATCHES
    numdeep_epoch(numdeep_mlp(), x[:n], y[:n], batch_size)


def torch_warmup(torch, x, y, batch_size):
    n = batch_size * WARMUP_BATCHES
    torch_epoch(torch, torch_mlp(torch), x[:n], y[:n], batch_size)


def _median_call_ns(fn, calls):
    for _ in range(max(20, calls // 20)):
        fn()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples)


# ----- per-step breakdown ---------------------------------------------------------------------
class Timers:
    """Accumulates seconds per named part; `wrap` times a callable without changing it."""

    def __init__(self):
        self.seconds = defaultdict(float)

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed


class Patches:
    """Replace attributes for the duration of a `with` block, restoring them afterwards."""

    def __init__(self):
        self._undo = []

    def set(self, owner, name, value):
        self._undo.append((owner, name, name in vars(owner), getattr(owner, name, None)))
        setattr(owner, name, value)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for owner, name, had, old in reversed(self._undo):
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)


def _instrument(patches, timers, model):
    """Wrap each part of numdeep's training step (the parts `Model.train_step` calls)."""
    from numdeep.autograd import Tensor
    from numdeep.callbacks import CallbackList
    from numdeep.models.data_adapter import ArrayDataAdapter as ArrayData

    wrap = timers.wrap
    patches.set(ArrayData, "__init__", wrap("fit setup (ArrayData checks)", ArrayData.__init__))
    patches.set(ArrayData, "take", wrap("data slicing (ArrayData.take)", ArrayData.take))
    patches.set(type(model), "__call__", wrap("forward (model(x, training=True))",
                                              type(model).__call__))
    for layer in model.layers:
        patches.set(layer, "call", wrap(f"  forward: {layer.name}.call", layer.call))
    patches.set(model, "compute_loss", wrap("loss (compute_loss)", model.compute_loss))
    patches.set(Tensor, "backward", wrap("backward (loss.backward)", Tensor.backward))
    opt = model.optimizer
    patches.set(opt, "apply", wrap(f"optimizer ({type(opt).__name__}.apply)", opt.apply))
    tracker = model._loss_tracker
    patches.set(tracker, "update_state", wrap("loss tracker (Mean.update_state)",
                                              tracker.update_state))
    patches.set(model, "compute_metrics", wrap("metrics (compute_metrics)", model.compute_metrics))
    for hook in ("on_train_batch_begin", "on_train_batch_end"):
        def hook_call(self, *args, _hook=hook, **kwargs):
            return CallbackList.__getattr__(self, _hook)(*args, **kwargs)

        patches.set(CallbackList, hook, wrap("callbacks (batch hooks)", hook_call))


def numdeep_breakdown(x, y, batch_size):
    """Microseconds per step of each part of one `fit` epoch, instrumented from outside."""
    numdeep_warmup(x, y, batch_size)
    model = numdeep_mlp()
    timers = Timers()
    with Patches() as patches:
        _instrument(patches, timers, model)
        total = numdeep_epoch(model, x, y, batch_size)
    parts = dict(timers.seconds)
    top = sum(v for k, v in parts.items() if not k.startswith("  "))
    parts["other (fit loop, batching, float(loss), ...)"] = total - top
    steps = -(-len(x) // batch_size)
    return {"parts": {k: v / steps * 1e6 for k, v in parts.items()},
            "per_step": total / steps * 1e6}


def torch_breakdown(torch, x, y, batch_size):
    """Microseconds per step of each part of the standard PyTorch loop."""
    torch_warmup(torch, x, y, batch_size)
    model, opt, loss_fn = torch_mlp(torch)
    names = ("data slicing", "zero_grad", "forward", "loss", "backward", "optimizer step")
    parts = dict.fromkeys(names, 0.0)
    clock = time.perf_counter
    start = clock()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), batch_size):
        marks = [clock()]
        idx = perm[i:i + batch_size]
        xb, yb = x[idx], y[idx]
        marks.append(clock())
        opt.zero_grad()
        marks.append(clock())
        out = model(xb)
        marks.append(clock())
        loss = loss_fn(out, yb)
        marks.append(clock())
        loss.backward()
        marks.append(clock())
        opt.step()
        marks.append(clock())
        for name, a, b in zip(names, marks, marks[1:]):
            parts[name] += b - a
    total = clock() - start
    parts["other (loop)"] = total - sum(parts.values())
    steps = -(-len(x) // batch_size)
    return {"parts": {k: v / steps * 1e6 for k, v in parts.items()},
            "per_step": total / steps * 1e6}


# ----- workers: each library measured in its own process --------------------------------------
def make_data(n):
    rng = np.random.default_rng(0)
    return (rng.random((n, 28, 28), dtype=np.float32),
            rng.integers(0, 10, size=n, dtype=np.int64))


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def timed_run(epoch_fn, *args):
    """[seconds, CPU pressure share or None] of one epoch; pressure flags a disturbed run."""
    before = cpu_pressure()
    seconds = epoch_fn(*args)
    after = cpu_pressure()
    share = None if before is None else (after[0] - before[0]) / seconds
    return [seconds, share]


def run_numdeep(args):
    import numdeep as nd

    x, y = make_data(args.samples)
    result = {"version": nd.__version__, "blas_threads": blas_info()[0], "epochs": {},
              "breakdown": {}}
    for bs in BATCH_SIZES:
        numdeep_warmup(x, y, bs)
        runs = [timed_run(numdeep_epoch, numdeep_mlp(), x, y, bs) for _ in range(args.repeats)]
        result["epochs"][str(bs)] = runs
        _log(f"  numdeep, batch {bs:>3}: epochs of {_fmt_runs(runs)}")
    model = numdeep_mlp()
    x1 = x[:1]
    model.predict(x1, verbose=0)

    def call():
        with nd.no_grad():
            return model(x1)

    result["latency"] = {
        "predict": _median_call_ns(lambda: model.predict(x1, verbose=0), args.calls) / 1e9,
        "__call__": _median_call_ns(call, args.calls) / 1e9,
    }
    for bs in BATCH_SIZES:
        result["breakdown"][str(bs)] = numdeep_breakdown(x, y, bs)
    if args.profile:
        print_profile(x, y)
    return result


def run_torch(args):
    import torch

    torch.set_num_threads(args.threads)
    xn, yn = make_data(args.samples)
    x, y = torch.from_numpy(xn), torch.from_numpy(yn)
    result = {"version": torch.__version__, "threads": torch.get_num_threads(), "epochs": {},
              "breakdown": {}}
    for bs in BATCH_SIZES:
        torch_warmup(torch, x, y, bs)
        runs = [timed_run(torch_epoch, torch, torch_mlp(torch), x, y, bs)
                for _ in range(args.repeats)]
        result["epochs"][str(bs)] = runs
        _log(f"  PyTorch, batch {bs:>3}: epochs of {_fmt_runs(runs)}")
    model = torch_mlp(torch)[0].eval()
    x1 = x[:1]

    def call():
        with torch.inference_mode():
            return model(x1)

    result["latency"] = {"__call__": _median_call_ns(call, args.calls) / 1e9}
    for bs in BATCH_SIZES:
        result["breakdown"][str(bs)] = torch_breakdown(torch, x, y, bs)
    return result


def print_profile(x, y, batch_size=32, top=25):
    numdeep_warmup(x, y, batch_size)
    model = numdeep_mlp()
    prof = cProfile.Profile()
    prof.runcall(model.fit, x, y, batch_size=batch_size, epochs=1, verbose=0)
    _log(f"\ncProfile of one numdeep epoch at batch {batch_size}, top {top} by own time:")
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(top)


def cpu_pressure():
    """Seconds so far that some runnable task waited for a CPU (Linux PSI), or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            fields = dict(kv.split("=") for kv in f.readline().split()[1:])
        return int(fields["total"]) / 1e6, float(fields["avg10"])
    except (OSError, KeyError, ValueError):
        return None


def wait_for_quiet(max_wait_s, threshold=5.0):
    """Wait (up to max_wait_s) until other processes leave the CPUs alone; returns the wait."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait_s:
        psi = cpu_pressure()
        if psi[1] < threshold if psi else os.getloadavg()[0] < os.cpu_count() * 0.75:
            break
        time.sleep(2)
    return time.perf_counter() - start


def spawn_worker(library, args, threads, last_round):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library,
           "--samples", str(args.samples), "--repeats", str(args.repeats),
           "--calls", str(args.calls), "--threads", str(threads)]
    if last_round and args.profile:
        cmd.append("--profile")
    env = dict(os.environ)
    if args.threads:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    waited = wait_for_quiet(args.max_wait)
    before, start = cpu_pressure(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = cpu_pressure()
    stall = "n/a" if before is None else f"{(after[0] - before[0]) / wall:.0%}"
    print(f"  {library} worker: {wall:.1f} s after waiting {waited:.0f} s for a quiet machine; "
          f"CPU pressure during it (share of time some task waited for a CPU): {stall}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rounds(args, threads, libraries):
    """Alternate the workers round by round so slow drift on the machine hits both alike.

    Epoch times of all rounds are pooled; latency is the best round's median; each batch
    size's breakdown is the fastest round's.
    """
    results = {}
    for r in range(args.rounds):
        for name, library in libraries:
            res = spawn_worker(library, args, threads, last_round=r == args.rounds - 1)
            if name not in results:
                results[name] = res
                continue
            pooled = results[name]
            for bs, runs in res["epochs"].items():
                pooled["epochs"][bs] += runs
                pooled["epochs"][bs].sort()
            for key, value in res["latency"].items():
                pooled["latency"][key] = min(pooled["latency"][key], value)
            for bs, bd in res["breakdown"].items():
                if bd["per_step"] < pooled["breakdown"][bs]["per_step"]:
                    pooled["breakdown"][bs] = bd
    return results


def measure_import(module, runs):
    """Median seconds of `import module` timed inside a fresh interpreter (startup excluded)."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            f"print(time.perf_counter() - t)")
    times = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


# ----- report ---------------------------------------------------------------------------------
def _fmt_runs(runs):
    return ", ".join(f"{t:.3f} s ({_pct(p)})" for t, p in runs)


def _pct(share):
    return "pressure n/a" if share is None else f"pressure {share:.0%}"


def _verdict(value, target):
    if value is None:
        return "skipped"
    if value <= target:
        return "PASS"
    miss = value / target - 1
    return f"MISS by {miss:.0%}" if miss >= 0.1 else f"MISS by {miss:.1%}"


def _ratio(a, b):
    return None if b is None else a / b


def _s(seconds, unit="s"):
    if seconds is None:
        return "-"
    return f"{seconds * 1e6:.1f} us" if unit == "us" else f"{seconds:.3f} s"


def print_breakdowns(results):
    for bs in BATCH_SIZES:
        for name, res in results.items():
            bd = res["breakdown"][str(bs)]
            step = bd["per_step"]
            print(f"\n{name}, batch {bs}: {step:.1f} us per step, instrumented "
                  "(indented rows are inside the row above)")
            for part, us in bd["parts"].items():
                print(f"  {part:<52} {us:8.1f} us  {us / step:6.1%}")


def summary_rows(results, imports):
    nd_res, t_res = results["numdeep"], results.get("PyTorch")
    rows = []
    for bs in BATCH_SIZES:
        nd_best = min(nd_res["epochs"][str(bs)])[0]
        t_best = min(t_res["epochs"][str(bs)])[0] if t_res else None
        ratio = _ratio(nd_best, t_best)
        rows.append((f"epoch, batch {bs} (best)", _s(nd_best), _s(t_best), ratio,
                     f"<= {TARGET_EPOCH:.2f}x", _verdict(ratio, TARGET_EPOCH)))
    t_lat = t_res["latency"]["__call__"] if t_res else None
    for key, value in nd_res["latency"].items():
        ratio = _ratio(value, t_lat)
        rows.append((f"1-sample latency, {key} (median)", _s(value, "us"), _s(t_lat, "us"),
                     ratio, f"<= {TARGET_LATENCY:.2f}x", _verdict(ratio, TARGET_LATENCY)))
    nd_imp, t_imp = imports["numdeep"], imports.get("torch")
    rows.append(("import (median, fresh process)", _s(nd_imp), _s(t_imp), _ratio(nd_imp, t_imp),
                 f"<= {TARGET_IMPORT_S:.2f} s", _verdict(nd_imp, TARGET_IMPORT_S)))
    return rows


def print_summary(results, imports):
    head = ("measure", "numdeep", "PyTorch", "ratio", "target", "result")
    widths = [36, 10, 10, 8, 10, 12]
    print("\nSummary (ratio = numdeep / PyTorch)")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for row in summary_rows(results, imports):
        cells = list(row)
        cells[3] = "skipped" if row[3] is None else f"{row[3]:.2f}x"
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip())


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="6,000 samples, one round (a smoke run, not for BENCHMARKS.md)")
    p.add_argument("--no-torch", action="store_true", help="time numdeep only")
    p.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    p.add_argument("--samples", type=int, default=None, help="training samples (default 60000)")
    p.add_argument("--repeats", type=int, default=2,
                   help="epochs timed per library, batch size and round (default 2)")
    p.add_argument("--calls", type=int, default=None, help="calls per latency median")
    p.add_argument("--rounds", type=int, default=None,
                   help="times each library's worker process runs, alternating (default 3; "
                        "1 with --quick)")
    p.add_argument("--max-wait", type=float, default=None,
                   help="seconds to wait for other processes to quiet down before each worker "
                        "(default 120; 0 with --quick)")
    p.add_argument("--worker", choices=("numdeep", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=None,
                   help="force this many threads on both libraries (sets "
                        f"{', '.join(THREAD_VARIABLES)} for the workers); default: NumPy's BLAS "
                        "thread count, left as is")
    args = p.parse_args(argv)
    args.samples = args.samples or (6000 if args.quick else 60000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.max_wait is None:
        args.max_wait = 0.0 if args.quick else 120.0
    args.calls = args.calls or (300 if args.quick else 3000)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        result = (run_numdeep if args.worker == "numdeep" else run_torch)(args)
        print(json.dumps(result))
        return
    threads, blas_desc = blas_info()
    print_machine(threads, blas_desc)
    if args.threads:
        threads = args.threads
        print(f"threads : forced to {threads} for both libraries via "
              f"{', '.join(THREAD_VARIABLES)} and torch.set_num_threads({threads})")
    use_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    if not use_torch:
        why = "--no-torch" if args.no_torch else "PyTorch is not installed"
        print(f"PyTorch : skipped ({why}); ratios print as 'skipped'")
    print(f"\nOne epoch on {args.samples} x 28x28 float32 samples, timed {args.repeats} times "
          f"per library and batch size in each of {args.rounds} round(s) of separate processes; "
          f"latency: median of {args.calls} calls")
    libraries = [("numdeep", "numdeep")] + [("PyTorch", "torch")] * use_torch
    results = run_rounds(args, threads, libraries)
    print(f"numdeep : BLAS threads in its worker: {results['numdeep']['blas_threads']}")
    if use_torch:
        print(f"PyTorch : {results['PyTorch']['version']}, torch.get_num_threads() = "
              f"{results['PyTorch']['threads']}")
    runs = 3 if args.quick else 7
    imports = {m: measure_import(m, runs) for m in ("numpy", "numdeep") + ("torch",) * use_torch}
    print(f"import, median of {runs} fresh interpreters: "
          + ", ".join(f"{k} {v:.3f} s" for k, v in imports.items()) + " (numdeep includes numpy)")
    for name, res in results.items():
        for bs, runs in res["epochs"].items():
            seconds = [t for t, _ in runs]
            print(f"epoch, {name}, batch {bs:>3}: best {min(seconds):.3f} s, median "
                  f"{statistics.median(seconds):.3f} s; all runs: {_fmt_runs(runs)}")
    for name, res in results.items():
        print(f"latency, {name}: " + ", ".join(f"{k} {_s(v, 'us')}"
                                               for k, v in res["latency"].items()))
    print_breakdowns(results)
    print_summary(results, imports)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
