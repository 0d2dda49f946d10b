"""Every row of issue 13's table, numdeep vs PyTorch eager, at 1 and 2 threads, in one command.

Each (row, library, thread count, round) runs in a fresh child process (BLAS and OpenMP thread
pools of two libraries in one process spin against each other), the two libraries alternating
within a round and swapping order between rounds. A child builds its model, warms it up, then
times ``--repeats`` calls, recording for each the wall time and the process CPU time (user +
system of all its threads). The parent reports per row: medians of both, the ratios
numdeep / PyTorch, peak RSS of each child, the load average and the Linux CPU pressure (share of
the time some task waited for a CPU) during the timed calls, and GFLOP/s against the sgemm
ceiling measured by NumPy in the same thread setting.

On a shared machine wall time is only meaningful when the pressure is low; the verdict then uses
the wall-time ratio, otherwise the CPU-time ratio (marked ``cpu``), which stays steady under load
for one thread. At 2 threads, CPU time counts both threads, spin-waiting included: a
2-thread verdict taken on CPU time says how much work each library spent, not how fast it ran.

Usage:
    python benchmarks/suite.py                       # all rows, 1 and 2 threads, 3 rounds
    python benchmarks/suite.py --quick               # 1 round, 3 repeats: a smoke run
    python benchmarks/suite.py --rows predict_1 call_1 --threads 1
    python benchmarks/suite.py --json out.json       # also keep the raw samples
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
QUIET_PRESSURE = 0.10  # above this share of CPU waiting, wall times are not trusted

# name, what it measures, target ratio (numdeep / PyTorch), repeats factor
ROWS = [
    ("predict_1", "1-sample `predict` (MLP)", 0.5, 200),
    ("call_1", "1-sample `model(x)` under no_grad (MLP)", 0.5, 200),
    ("mlp_train_32", "MLP training step, batch 32 (`fit`, 50 steps)", 0.6, 1),
    ("mlp_train_128", "MLP training step, batch 128 (`fit`, 50 steps)", 0.5, 1),
    ("cnn_train_128", "tutorial CNN training step, batch 128 (`fit`, 10 steps)", 0.8, 1),
    ("cnn_infer_1024", "tutorial CNN inference, batch 1024", 0.6, 1),
    ("lstm_train", "LSTM training step, batch 64 x 50 (`fit`, 5 steps)", 1.0, 1),
    ("lstm_infer", "LSTM inference, batch 64 x 50", 1.0, 1),
    ("minilm_32x128", "MiniLM encoder inference, 32 x 128 tokens", 1.0, 1),
    ("train_conv_transpose", "Conv2DTranspose autoencoder training step, batch 64", 1.0, 1),
    ("train_separable", "Depthwise/SeparableConv2D training step, batch 32", 1.0, 1),
    ("train_pooling", "Max/AveragePooling2D training step, batch 64", 1.0, 1),
    ("train_batchnorm", "Conv + BatchNormalization training step, batch 32", 1.0, 1),
    ("train_embedding", "Embedding bag training step, batch 64 x 200", 1.0, 1),
    ("train_gru", "GRU training step, batch 64 x 50", 1.0, 1),
    ("train_attention", "MultiHeadAttention training step, batch 32 x 64", 1.0, 1),
]
ROW_NAMES = [r[0] for r in ROWS]


def cpu_pressure_total():
    """Seconds so far that some task waited for a CPU (Linux PSI), or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            fields = dict(kv.split("=") for kv in f.readline().split()[1:])
        return int(fields["total"]) / 1e6
    except (OSError, KeyError, ValueError):
        return None


def versions():
    """Versions of the libraries the children import (numdeep's from the child's own path)."""
    from importlib import metadata

    code = "import numdeep, numpy; print(numdeep.__file__, numpy.__version__)"
    where, numpy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  cwd=HERE).stdout.split()
    try:
        torch = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch = "not installed"
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=HERE).stdout.strip()
    return f"NumPy {numpy}, PyTorch {torch}, numdeep from {os.path.dirname(where)} (git {rev})"


def row_flops(row):
    """FLOPs of one unit of ``row`` (the tutorial CNN rows only), else None."""
    if not row.startswith("cnn_"):
        return None
    from cnn import model_flops

    forward, train = model_flops(128 if row == "cnn_train_128" else 1024)
    return train if row == "cnn_train_128" else forward


# ----- child ----------------------------------------------------------------------------------
def worker(args):
    if args.worker == "ceiling":
        from cnn import matmul_gflops

        print(json.dumps({"gflops": matmul_gflops()}))
        return
    if args.worker == "numdeep":
        # First, as a script starting with `import numdeep as keras` does: numdeep then sets
        # OpenBLAS's thread timeout before NumPy loads OpenBLAS (see numdeep/__init__.py).
        import numdeep  # noqa: F401, I001

        from _cases import numdeep_row  # noqa: I001

        fn, units = numdeep_row(args.row)
    else:
        from _torch_cases import torch_row

        fn, units = torch_row(args.row, args.threads[0])
    fn()
    walls, cpus = [], []
    load, psi = os.getloadavg()[0], cpu_pressure_total()
    start = time.perf_counter()
    for _ in range(args.repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append((time.process_time() - c) / units)
        walls.append((time.perf_counter() - w) / units)
    span = time.perf_counter() - start
    psi_after = cpu_pressure_total()
    print(json.dumps({
        "wall": walls, "cpu": cpus, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        / 1024, "load": (load + os.getloadavg()[0]) / 2,
        "pressure": None if psi is None else (psi_after - psi) / span}))


def spawn(library, row, threads, repeats, timeout=None):
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(threads))}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library, "--row", row,
           "--threads", str(threads), "--repeats", str(repeats)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----- parent ---------------------------------------------------------------------------------
def measure(args):
    results = {}
    for threads in args.threads:
        ceiling = spawn("ceiling", "-", threads, 1).get("gflops")
        results[threads] = {"ceiling": ceiling, "rows": {}}
        print(f"\n== {threads} thread(s): NumPy sgemm ceiling {ceiling:.1f} GFLOP/s", flush=True)
        for name, _, _, factor in ROWS:
            if name not in args.rows:
                continue
            pooled = {"numdeep": [], "torch": []}
            for r in range(args.rounds):
                order = ["numdeep", "torch"] if r % 2 == 0 else ["torch", "numdeep"]
                for lib in order:
                    if lib == "torch" and args.no_torch:
                        continue
                    res = spawn(lib, name, threads, args.repeats * factor, args.timeout)
                    pooled[lib].append(res)
                    print(f"  {name:<22} {lib:<8} round {r + 1}: {_brief(res)}", flush=True)
            results[threads]["rows"][name] = pooled
    return results


def _brief(res):
    if "error" in res:
        return f"FAILED: {res['error']}"
    return (f"median wall {_t(statistics.median(res['wall']))}, cpu "
            f"{_t(statistics.median(res['cpu']))}, rss {res['rss_mb']:.0f} MB, load "
            f"{res['load']:.1f}, pressure {_pct(res['pressure'])}")


def summarize(runs):
    """Medians over every call of every round, peak RSS, mean load and worst pressure."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return None
    pressures = [r["pressure"] for r in ok if r["pressure"] is not None]
    return {"wall": statistics.median(t for r in ok for t in r["wall"]),
            "cpu": statistics.median(t for r in ok for t in r["cpu"]),
            "rss_mb": max(r["rss_mb"] for r in ok),
            "load": statistics.mean(r["load"] for r in ok),
            "pressure": max(pressures) if pressures else None}


def table(results):
    lines = []
    for threads, res in results.items():
        lines += [f"\n### {threads} thread(s), sgemm ceiling {res['ceiling']:.1f} GFLOP/s\n",
                  "| row | numdeep wall / cpu | PyTorch wall / cpu | ratio wall | ratio cpu | "
                  "target | result | peak RSS nd / pt | load, pressure |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, what, target, _ in ROWS:
            if name not in res["rows"]:
                continue
            nd = summarize(res["rows"][name]["numdeep"])
            pt = summarize(res["rows"][name]["torch"])
            lines.append(_line(what, nd, pt, target, row_flops(name), res["ceiling"]))
    return "\n".join(lines)


def _line(what, nd, pt, target, flops, ceiling):
    if nd is None:
        return f"| {what} | failed | | | | <= {target}x | failed | | |"
    rw = nd["wall"] / pt["wall"] if pt else None
    rc = nd["cpu"] / pt["cpu"] if pt else None
    quiet = all(s["pressure"] is not None and s["pressure"] < QUIET_PRESSURE
                for s in (nd, pt) if s)
    ratio, basis = (rw, "wall") if quiet else (rc, "cpu")
    verdict = "skipped" if ratio is None else (
        "pass" if ratio <= target else f"**miss** by {ratio / target - 1:.0%}")
    gf = ""
    if flops:
        gf = f" ({flops / nd['wall'] / 1e9:.1f} GFLOP/s = {flops / nd['wall'] / 1e9 / ceiling:.0%})"
    p = pt or {}
    return (f"| {what} | {_t(nd['wall'])} / {_t(nd['cpu'])}{gf} | "
            f"{_t(p.get('wall'))} / {_t(p.get('cpu'))} | {_x(rw)} | {_x(rc)} | <= {target}x | "
            f"{verdict} ({basis}) | {nd['rss_mb']:.0f} / {p.get('rss_mb', 0):.0f} MB | "
            f"{nd['load']:.1f}, {_pct(nd['pressure'])} / {_pct(p.get('pressure'))} |")


def _t(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _x(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def _pct(share):
    return "n/a" if share is None else f"{share:.0%}"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", nargs="+", choices=ROW_NAMES, default=ROW_NAMES)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=None, help="default 3 (1 with --quick)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed calls per child (x200 for the 1-sample rows); default 5 (3 with "
                        "--quick)")
    p.add_argument("--quick", action="store_true", help="one round, 3 repeats")
    p.add_argument("--no-torch", action="store_true", help="time numdeep only")
    p.add_argument("--json", help="write the raw samples to this file")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds a child may take before its row is reported as failed")
    p.add_argument("--worker", choices=("numdeep", "torch", "ceiling"), help=argparse.SUPPRESS)
    p.add_argument("--row", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.repeats = args.repeats or (3 if args.quick else 5)
    return args


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, HERE)
    if args.worker:
        worker(args)
        return
    from _machine import cpu_model

    print(f"machine : {cpu_model()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    print(f"software: Python {platform.python_version()}, {versions()}")
    results = measure(args)
    print(table(results))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in results.items()}, f)


if __name__ == "__main__":
    main()
