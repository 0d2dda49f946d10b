"""Data-parallel scaling of numdeep on MPI: 1 process vs 2 processes, one thread each.

For the tutorial MLP (Flatten(28x28) -> Dense(128, relu) -> Dropout(0.2) -> Dense(10)) and the
tutorial CNN (Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool -> Flatten -> Dense(64) -> Dense(10)),
on MNIST-shaped random data, with ``MPIStrategy`` and the unchanged ``model.fit``:

- step time and throughput (samples per second) for 1 and 2 processes, each with
  ``OPENBLAS_NUM_THREADS=1``;
- the gradient synchronisation time per step (packing, the bucketed allreduce, unpacking; it
  includes waiting for the slower rank);
- scaling = 2-process throughput / 1-process throughput, in two settings: *weak* (each process
  keeps the per-process batch, so the global batch doubles: Horovod's usual measure) and
  *strong* (the global batch stays, each process takes half of it);
- the ceiling this machine sets, with no exchange at all: two independent 1-process jobs
  started together (row "2 alone"); two busy cores share caches, memory bandwidth and the
  host, so each computes slower than a process alone, and no gradient exchange can beat it;
- the raw allreduce cost on 2 processes for buffers of 40 KB to 16 MB (and the two models'
  gradient sizes), one barrier-aligned call at a time (best and median of 60), the best calls
  fitted to ``t = a + b * bytes``: the inputs of the ring-allreduce cost model in
  docs/distributed.md;
- an estimate for a machine with a free core per process: each rank's CPU time per step outside
  MPI's waits (what it computes, packing the buckets included), plus the best allreduce times
  measured alone (the gradients' and the per-step stop check's). On a shared
  machine the wall-clock figures include waiting for a descheduled rank at every step; the
  estimate shows what the code does without that.

Each configuration runs in its own ``mpiexec`` job; 1- and 2-process jobs alternate for
``--rounds`` rounds and the best epoch is kept (a busy machine only ever slows a run down). The
Linux CPU pressure (share of time some task waited for a CPU) is printed for each job.

Usage:
    python benchmarks/distributed.py            # the run whose figures go in docs/distributed.md
    python benchmarks/distributed.py --quick    # a smoke run
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path)

TARGET_SCALING = 1.7
SIDE_BY_SIDE = "2 alone"  # two 1-process jobs side by side, no exchange: the machine's ceiling


# ----- inside an mpiexec job ------------------------------------------------------------------
def build(kind):
    import numdeep as nd
    from numdeep import layers

    if kind == "mlp":
        body = [layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.2)]
    else:
        body = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dense(64, activation="relu")]
    model = nd.Sequential([nd.Input(shape=(28, 28, 1)), *body,
                           layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def worker(args):
    import numdeep as nd
    from numdeep.distribute import MPIStrategy

    strategy = MPIStrategy(seed=0, verbose=False)
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    nd.utils.set_random_seed(0)
    with strategy.scope():
        model = build(args.model)
    model.fit(x[:args.batch * 4], y[:args.batch * 4], batch_size=args.batch, epochs=1,
              verbose=0)  # warm-up: first-call allocations, the optimizer's slots
    epochs = []
    reducer = strategy.reducer
    comm = strategy.comm
    for _ in range(args.epochs):
        reducer.seconds, reducer.cpu_seconds, reducer.calls = 0.0, 0.0, 0
        comm.wait_seconds = comm.wait_cpu_seconds = 0.0
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # MPI polls while it waits: CPU time in collectives is not computation (packing the
        # gradient buckets is, and stays in).
        epochs.append({"seconds": seconds, "steps": reducer.calls, "sync": reducer.seconds,
                       "compute_cpu": cpu - comm.wait_cpu_seconds})
    params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    result = {"epochs": epochs, "params": params}
    if args.allreduce and strategy.size > 1:
        result["allreduce"] = allreduce_costs(strategy.comm, args.sizes)
    if strategy.is_chief:
        print("RESULT " + json.dumps(result), flush=True)


def allreduce_costs(comm, extra_sizes, calls=60):
    """``(bytes, best, median)`` seconds of one float32 allreduce per size. Each call starts
    right after a barrier and counts as long as the slower rank took; the best call is the
    cost when both ranks hold a core (a loaded machine only ever adds to it), the median what
    this machine gave while the benchmark ran."""
    out = []
    for n in sorted({1, 10_000, 100_000, 1_000_000, 4_000_000, *extra_sizes}):
        buf = np.ones(n, np.float32)
        times = np.empty(calls)
        for i in range(calls):
            comm.barrier()
            start = time.perf_counter()
            comm.allreduce_buffers([buf])
            times[i] = time.perf_counter() - start
        times = comm.allreduce(times, op="max")
        out.append((n * 4, float(times.min()), float(np.median(times))))
    return out


# ----- the driver -------------------------------------------------------------------------------
def cpu_pressure():
    try:
        with open("/proc/pressure/cpu") as f:
            return float(f.readline().split()[1].split("=")[1])  # "some avg10=..."
    except (OSError, IndexError, ValueError):
        return float("nan")


def _command(n, model, batch, samples, epochs, allreduce=()):
    mpiexec = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("no mpiexec: pip install 'numdeep[mpi]'")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    command = [mpiexec, "-n", str(n), sys.executable, __file__, "--worker", "--model", model,
               "--batch", str(batch), "--samples", str(samples), "--epochs", str(epochs)]
    if allreduce:
        command += ["--allreduce", "--sizes", *map(str, allreduce)]
    return command, env


def _result(stdout, stderr, returncode):
    if returncode != 0:
        sys.exit(f"worker failed:\n{stdout}\n{stderr}")
    line = next(x for x in stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def launch(n, model, batch, samples, epochs, allreduce=()):
    command, env = _command(n, model, batch, samples, epochs, allreduce)
    before = cpu_pressure()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    result = _result(proc.stdout, proc.stderr, proc.returncode)
    result["pressure"] = max(before, cpu_pressure())
    return result


def launch_side_by_side(model, batch, samples, epochs):
    """Two independent 1-process jobs at the same time: what two ranks compute when nothing
    is exchanged. Their summed throughput bounds what any gradient exchange can reach on this
    machine (two busy cores share caches, memory and the host)."""
    command, env = _command(1, model, batch, samples, epochs)
    before = cpu_pressure()
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=1800)
        results.append(_result(stdout, stderr, proc.returncode))
    pressure = max(before, cpu_pressure())
    # One "epoch" per pair of epochs run together: both processes' samples over the slower
    # one's time, so the pair counts as one job of twice the batch.
    epochs = [{"seconds": max(a["seconds"], b["seconds"]), "steps": a["steps"],
               "sync": 0.0, "compute_cpu": max(a["compute_cpu"], b["compute_cpu"])}
              for a, b in zip(results[0]["epochs"], results[1]["epochs"])]
    return {"epochs": epochs, "params": results[0]["params"], "pressure": pressure}


def best_epoch(results, global_batch):
    epochs = [e for r in results for e in r["epochs"]]
    e = min(epochs, key=lambda e: e["seconds"])
    compute = min(e["compute_cpu"] / e["steps"] for e in epochs)
    return {"step_ms": 1e3 * e["seconds"] / e["steps"], "sync_ms": 1e3 * e["sync"] / e["steps"],
            "throughput": global_batch * e["steps"] / e["seconds"], "compute_ms": 1e3 * compute}


def measure(model, batch, samples, rounds, epochs):
    """Rows for one model: 1 process (batch), 2 processes weak (2 x batch), strong (batch)."""
    runs = {"1": [], "2 weak": [], "2 strong": [], SIDE_BY_SIDE: []}
    batches = {"1": batch, "2 weak": 2 * batch, "2 strong": batch, SIDE_BY_SIDE: 2 * batch}
    for _ in range(rounds):
        for name, n in (("1", 1), ("2 weak", 2), ("2 strong", 2), (SIDE_BY_SIDE, 0)):
            runs[name].append(launch(n, model, batches[name], samples, epochs) if n else
                              launch_side_by_side(model, batch, samples, epochs))
            print(f"  {model} {name:<8} global batch {batches[name]:>4}: CPU pressure "
                  f"{runs[name][-1]['pressure']:.0f}%, load average {os.getloadavg()[0]:.1f}",
                  flush=True)
    return {name: {**best_epoch(r, batches[name]), "batch": batches[name],
                   "pressure": min(x["pressure"] for x in r),
                   "params": r[0]["params"]} for name, r in runs.items()}


def fit_line(points, largest=4 << 20):
    """``(a, b)`` of ``t = a + b * bytes`` over buffers up to ``largest`` bytes (the gradients
    here; larger ones leave the cache), fitted on relative error so 4-byte and 4 MB calls
    both count."""
    points = [p for p in points if p[0] <= largest]
    sizes = np.array([p[0] for p in points], float)
    times = np.array([p[1] for p in points], float)
    b, a = np.polyfit(sizes, times, 1, w=1.0 / times)
    return a, b


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--allreduce", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="*", default=(), help=argparse.SUPPRESS)
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--samples", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    rounds = 1 if args.quick else args.rounds
    print(f"numdeep data-parallel scaling: {cpu_model()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}, 1 BLAS thread per process")
    configs = (("mlp", 64, 2048 if args.quick else 16384),
               ("cnn", 32, 256 if args.quick else 2048))
    rows = {}
    for model, batch, samples in configs:
        rows[model] = measure(model, batch, samples, rounds, 1 if args.quick else args.epochs)
    sizes = [table["1"]["params"] + 8 for table in rows.values()]  # + one flag per weight
    cost = launch(2, "mlp", 64, 256, 1, allreduce=sizes)["allreduce"]
    by_size = {nbytes // 4: best for nbytes, best, _ in cost}
    a, b = fit_line([(nbytes, best) for nbytes, best, _ in cost])
    print()
    print("| model | processes | global batch | step | gradient sync / step | samples/s "
          "| scaling | CPU pressure | estimate, free cores |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model, table in rows.items():
        base = table["1"]["throughput"]
        # The gradient allreduce, plus the 1-number stop check every step.
        sync = by_size[table["1"]["params"] + 8] + by_size[1]
        base_estimate = table["1"]["batch"] / table["1"]["compute_ms"]
        for name, r in table.items():
            scaling = r["throughput"] / base
            mark = "" if name == "1" else f"{scaling:.2f}x"
            step = r["compute_ms"] + (0 if name in ("1", SIDE_BY_SIDE) else 1e3 * sync)
            estimate = f"{step:.2f} ms/step" if name == "1" else \
                f"{step:.2f} ms/step, {r['batch'] / step / base_estimate:.2f}x"
            print(f"| {model} ({r['params']:,} params) | {name} | {r['batch']} | "
                  f"{r['step_ms']:.2f} ms | {r['sync_ms']:.3f} ms | {r['throughput']:,.0f} | "
                  f"{mark} | {r['pressure']:.0f}% | {estimate} |")
    print()
    for model, table in rows.items():
        weak = table["2 weak"]["throughput"] / table["1"]["throughput"]
        verdict = "pass" if weak >= TARGET_SCALING else "miss"
        ceiling = table[SIDE_BY_SIDE]["throughput"] / table["1"]["throughput"]
        print(f"{model}: weak scaling {weak:.2f}x (target >= {TARGET_SCALING}x: {verdict}), "
              f"strong scaling {table['2 strong']['throughput'] / table['1']['throughput']:.2f}x"
              f"; two 1-process jobs side by side, exchanging nothing: {ceiling:.2f}x (weak "
              f"scaling reaches {weak / ceiling:.0%} of it)")
    print()
    print("allreduce on 2 processes (one call after a barrier; best and median of 60):")
    for nbytes, best, median in cost:
        print(f"  {nbytes / 1e6:8.2f} MB: best {best * 1e6:9.1f} us ({nbytes / best / 1e9:.2f} "
              f"GB/s), median {median * 1e6:9.1f} us")
    print(f"  fit to the best calls, t = a + b * bytes: a = {a * 1e6:.1f} us, "
          f"b = {b * 1e9:.3f} ns/byte ({1 / b / 1e9:.2f} GB/s), i.e. {4 * b * 1e9:.2f} ns per "
          f"float32 parameter")


if __name__ == "__main__":
    main()
