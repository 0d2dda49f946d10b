"""numdeep vs PyTorch eager on the tutorial LSTM, timed in one run on one machine.

Model: LSTM(64, return_sequences=True) -> LSTM(32) -> Dense(1) on batches of 64 sequences of
50 steps with 1 feature (PyTorch: ``nn.LSTM(1, 64)``, ``nn.LSTM(64, 32)``, ``nn.Linear(32, 1)``
on the last step, ``batch_first=True``). Two measurements per library:

- training step: forward, mean squared error, backward and an Adam update (numdeep: the
  ``train_step`` that ``fit`` runs per batch; PyTorch: zero_grad, forward, MSELoss, backward,
  step);
- inference: one forward pass of the batch (numdeep ``model(x)`` under ``nd.no_grad()``,
  PyTorch ``model(x)`` under ``torch.inference_mode()``).

Each library runs in its own child process with the same number of threads (NumPy's OpenBLAS
through ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``, PyTorch through ``torch.set_num_threads``);
the workers alternate for ``--rounds`` rounds and each reports the median of its repeats. Both
wall time and process CPU time are recorded: on a machine shared with other jobs, CPU time is
the steadier of the two for single-threaded runs, so the ratios use it when ``--threads 1``.

Usage:
    python benchmarks/rnn.py                 # 1 thread, 5 rounds (the BENCHMARKS.md figures)
    python benchmarks/rnn.py --threads 2     # both libraries on 2 threads (wall time)
    python benchmarks/rnn.py --quick         # a smoke run
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path)

TARGET = 1.5  # numdeep time / PyTorch time, for both measurements
BATCH, STEPS = 64, 50


def make_data():
    import numpy as np

    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, STEPS, 1)).astype("float32"),
            rng.standard_normal((BATCH, 1)).astype("float32"))


def numdeep_case():
    import numdeep as nd
    from numdeep import layers

    nd.utils.set_random_seed(0)
    model = nd.Sequential([
        layers.LSTM(64, return_sequences=True, input_shape=(None, 1)),
        layers.LSTM(32),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x, y = make_data()
    model.train_on_batch(x, y)  # builds the optimizer state

    def train():
        model.train_step((x, y, None))

    def infer():
        with nd.no_grad():
            model(x)

    return nd.__version__, train, infer


def torch_case(threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = torch.nn.LSTM(1, 64, batch_first=True)
            self.lstm2 = torch.nn.LSTM(64, 32, batch_first=True)
            self.dense = torch.nn.Linear(32, 1)

        def forward(self, x):
            h, _ = self.lstm1(x)
            h, _ = self.lstm2(h)
            return self.dense(h[:, -1])

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    x, y = (torch.from_numpy(a) for a in make_data())

    def train():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def infer():
        with torch.inference_mode():
            model(x)

    return torch.__version__, train, infer


def time_calls(fn, repeats, warmup=5):
    """Median wall and CPU milliseconds of one call, over ``repeats`` groups of 5 calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(5):
            fn()
        wall.append((time.perf_counter() - w0) / 5 * 1e3)
        cpu.append((time.process_time() - c0) / 5 * 1e3)
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}


def worker(library, threads, repeats):
    version, train, infer = numdeep_case() if library == "numdeep" else torch_case(threads)
    return {"version": version, "train": time_calls(train, repeats),
            "infer": time_calls(infer, repeats)}


def spawn(library, args):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(args.threads),
           "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library,
           "--threads", str(args.threads), "--repeats", str(args.repeats)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    p.add_argument("--rounds", type=int, default=5, help="alternating worker rounds")
    p.add_argument("--repeats", type=int, default=20, help="timed groups per worker")
    p.add_argument("--quick", action="store_true", help="1 round of 5 repeats")
    p.add_argument("--no-torch", action="store_true", help="time numdeep only")
    p.add_argument("--worker", choices=("numdeep", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.repeats)))
        return 0
    if args.quick:
        args.rounds, args.repeats = 1, 5
    libraries = ["numdeep"]
    if not args.no_torch:
        try:
            import torch  # noqa: F401
            libraries.append("torch")
        except ImportError:
            print("PyTorch is not installed: numdeep only, ratios skipped")
    import numpy as np

    print(f"machine : {cpu_model()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start; Python {platform.python_version()}, "
          f"NumPy {np.__version__}")
    print(f"model   : LSTM(64, return_sequences) -> LSTM(32) -> Dense(1), batch {BATCH}, "
          f"{STEPS} steps, 1 feature; {args.threads} thread(s) each; {args.rounds} round(s) "
          f"x {args.repeats} x 5 calls")
    runs = {lib: [] for lib in libraries}
    for _ in range(args.rounds):
        for lib in libraries:
            runs[lib].append(spawn(lib, args))
    clock = "cpu" if args.threads == 1 else "wall"
    summary = {}
    for lib, results in runs.items():
        print(f"{lib:8s}: version {results[0]['version']}")
        for what in ("train", "infer"):
            per_round = [res[what][clock] for res in results]
            summary[lib, what] = statistics.median(per_round)
            walls = ", ".join(f"{res[what]['wall']:.2f}" for res in results)
            print(f"  {what:5s}: median {summary[lib, what]:.2f} ms {clock} time per call "
                  f"(rounds, wall ms: {walls})")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    print(f"{'':22s}{'numdeep':>10s}{'PyTorch':>10s}{'ratio':>8s}  target <= {TARGET}")
    ok = True
    for what, label in (("train", "training step (ms)"), ("infer", "inference (ms)")):
        ours = summary["numdeep", what]
        if "torch" not in runs:
            print(f"{label:22s}{ours:10.2f}{'-':>10s}{'skipped':>8s}")
            continue
        theirs = summary["torch", what]
        ratio = ours / theirs
        ok = ok and ratio <= TARGET
        print(f"{label:22s}{ours:10.2f}{theirs:10.2f}{ratio:8.2f}  "
              f"{'ok' if ratio <= TARGET else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
