"""Run Keras's own unit tests against numdeep and report ``passed / in-scope`` per file.

Usage: ``python tests/keras_suite/run_suite.py [--ops] [--files PATH ...] [--report FILE]
[--json FILE] [-n WORKERS]``

1. The test files come from the installed ``keras`` wheel (3.15.1) and are copied into a
   temporary folder at run time; nothing of Keras is stored in this repository.
2. Their test ids are collected once with the real Keras (torch backend): that list, minus the
   out-of-scope ids of ``scope.py``, is the denominator, so a file numdeep cannot even import
   counts every one of its tests as failed.
3. The same files then run with ``shim/`` first on ``sys.path`` (``keras`` answered by
   numdeep); a test passes only if pytest reports it passed.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scope  # noqa: E402

KERAS_VERSION = "3.15.1"
TEST_TIMEOUT = 120
CONFTEST = '''
import sys
import pytest

sys.path.insert(0, {here!r})
import scope
import unavailable

unavailable.install()


def pytest_configure(config):
    for name in ("requires_trainable_backend", "skip_if_backend", "large", "extra_large"):
        config.addinivalue_line("markers", name)


def skip_if_backend(given_backend, reason):
    # Keras's own conftest helper, imported by some test files (`from conftest import ...`).
    from keras.src.backend import backend

    return pytest.mark.skipif(backend() == given_backend, reason=reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = scope.out_of_scope(item.nodeid)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason="out of scope: " + reason))
'''


def keras_src():
    spec = importlib.util.find_spec("keras")
    if spec is None:
        raise SystemExit("keras is not installed: `pip install keras==3.15.1` (test oracle)")
    root = Path(spec.submodule_search_locations[0])
    version = (root / "src" / "version.py").read_text()
    if f'"{KERAS_VERSION}"' not in version:
        raise SystemExit(f"keras {KERAS_VERSION} is required for comparable figures")
    return root / "src"


def select(src, patterns):
    files = []
    for pattern in patterns:
        path = src / pattern
        if pattern.endswith("/"):
            files += sorted(path.rglob("*_test.py"))
        elif path.is_file():
            files.append(path)
    return files


def copy_tests(src, files, dest):
    # Every test module: the selected ones run, the others only serve imports between them.
    for path in src.rglob("*_test.py"):
        target = dest / "keras" / "src" / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    (dest / "conftest.py").write_text(CONFTEST.format(here=str(HERE)))
    names = sorted(".".join(("keras", "src", *p.relative_to(src).with_suffix("").parts))
                   .removesuffix(".__init__") for p in src.rglob("*.py"))
    (dest / "keras_modules.txt").write_text("\n".join(names))
    return [dest / "keras" / "src" / f.relative_to(src) for f in files]


def _pytest(args, cwd, env, log):
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    with open(log, "w") as out:
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              check=False).returncode


def collect_with_keras(files, workdir):
    """The test ids each file has under the real Keras (torch backend)."""
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    env.pop("NUMDEEP_KERAS_TESTS", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                          "--collect-only", "--continue-on-collection-errors", "-q",
                          *map(str, files)], cwd=workdir, env=env,
                         capture_output=True, text=True, check=False)
    ids = [line.strip() for line in run.stdout.splitlines() if "::" in line]
    if not ids:
        raise SystemExit("could not collect Keras's tests with Keras itself:\n"
                         + run.stdout[-3000:] + run.stderr[-3000:])
    return ids


def run_with_numdeep(files, workdir, workers):
    """Run ``files`` on numdeep; those of ``scope.AS_TORCH`` in a second run in which numdeep
    answers ``keras.backend.backend()`` as ``"torch"`` (see ``scope.py``)."""
    as_torch = [f for f in files if _relative(f) in scope.AS_TORCH]
    others = [f for f in files if _relative(f) not in scope.AS_TORCH]
    outcomes = {}
    for group, name, tag in ((others, None, "numdeep"), (as_torch, "torch", "numdeep_torch")):
        if group:
            outcomes.update(_run_group(group, workdir, workers, name, tag))
    return outcomes


def _relative(path):
    text = str(path).replace(os.sep, "/")
    return text[text.find("keras/src/") + len("keras/src/"):]


def _run_group(files, workdir, workers, backend_name, tag):
    env = {**os.environ, "NUMDEEP_KERAS_TESTS": str(workdir),
           "NUMDEEP_KERAS_MODULES": str(workdir / "keras_modules.txt"),
           # The checkout's own numdeep first, so a runner in a second worktree measures that tree.
           "PYTHONPATH": os.pathsep.join([str(HERE / "shim"), str(HERE), str(HERE.parents[1])]),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("KERAS_BACKEND", None)
    if backend_name:
        env["NUMDEEP_KERAS_BACKEND_NAME"] = backend_name
    junit = workdir / f"{tag}.xml"
    # One file that numdeep cannot import must not stop the others from running.
    # A test that hangs (an endless generator read without steps, a deadlock) fails after
    # TEST_TIMEOUT seconds instead of stopping the run.
    args = ["--junitxml", str(junit), "-o", "junit_family=xunit1",
            "--continue-on-collection-errors", f"--timeout={TEST_TIMEOUT}"]
    if workers > 1:
        args += ["-n", str(workers)]
    _pytest([*args, *map(str, files)], workdir, env, workdir / f"{tag}.log")
    return _junit_outcomes(junit)


def _junit_outcomes(path):
    outcomes = {}
    if not path.exists():
        return outcomes
    for case in ET.parse(path).getroot().iter("testcase"):
        file = case.get("file", "")
        module_path = file[:-3].replace("/", ".")
        cls = case.get("classname", "")
        cls = cls[len(module_path) + 1:] if cls.startswith(module_path + ".") else ""
        node = "::".join(p for p in (file, cls, case.get("name")) if p)
        kinds = {child.tag for child in case}
        outcome = "passed"
        if "skipped" in kinds:
            outcome = "skipped"
        elif kinds & {"failure", "error"}:
            outcome = "failed"
        outcomes[_key(node)] = outcome
    return outcomes


def _key(node_id):
    """``path::Class::test`` with the path taken from ``keras/src`` on."""
    path, rest = node_id.split("::", 1)
    path = path.replace(os.sep, "/")
    # pytest's junit writer reads a "[" inside a test name (absl names such as
    # `test_logspace_[0, 10]_0_float16`) as the start of pytest params and closes it with an
    # extra "]": drop that one so the junit name matches the collected id.
    if rest.endswith("]") and rest.count("]") > rest.count("["):
        rest = rest[:-1]
    return path[path.find("keras/src/"):] + "::" + rest


def tally(ids, outcomes):
    per_file = {}
    for node in ids:
        path = node.split("::")[0]
        row = per_file.setdefault(path, {"passed": 0, "failed": 0, "out_of_scope": 0,
                                          "skipped": 0, "failures": []})
        if scope.out_of_scope(node):
            row["out_of_scope"] += 1
            continue
        outcome = outcomes.get(_key(node), "failed")
        if outcome == "skipped":
            row["skipped"] += 1  # skipped by the test itself (another backend's branch)
        elif outcome == "passed":
            row["passed"] += 1
        else:
            row["failed"] += 1
            row["failures"].append(node.split("::", 1)[1])
    return per_file


def report(per_file, title):
    passed = sum(r["passed"] for r in per_file.values())
    counted = passed + sum(r["failed"] for r in per_file.values())
    out_of_scope = sum(r["out_of_scope"] for r in per_file.values())
    skipped = sum(r["skipped"] for r in per_file.values())
    pct = 100 * passed / max(counted, 1)
    lines = [f"## {title}", "",
             f"**{passed} / {counted} in-scope tests pass ({pct:.1f}%).** Out of scope: "
             f"{out_of_scope}; skipped by the tests themselves (other backends): {skipped}.",
             "", "| file | passed | in scope | % |", "|---|---|---|---|"]
    for path in sorted(per_file):
        r = per_file[path]
        n = r["passed"] + r["failed"]
        pct = f"{100 * r['passed'] / n:.0f}" if n else "-"
        lines.append(f"| {path.split('keras/src/', 1)[-1]} | {r['passed']} | {n} | {pct} |")
    return "\n".join(lines) + "\n", passed, counted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", action="store_true", help="run the keras.ops files instead")
    parser.add_argument("--files", nargs="*", help="paths under keras/src to run")
    parser.add_argument("--report", help="write the markdown table here")
    parser.add_argument("--json", help="write the per-file results here")
    parser.add_argument("-n", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--workdir", help="keep the copied tests and logs in this folder")
    parser.add_argument("--min-percent", type=float,
                        help="exit with status 1 when fewer in-scope tests pass (CI's floor)")
    args = parser.parse_args(argv)
    src = keras_src()
    patterns = args.files or (scope.OPS_FILES if args.ops else scope.FILES)
    files = select(src, patterns)
    with tempfile.TemporaryDirectory(prefix="keras-suite-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        copied = copy_tests(src, files, work)
        ids = collect_with_keras(copied, work)
        outcomes = run_with_numdeep(copied, work, args.n)
        per_file = tally(ids, outcomes)
        title = "keras.ops conformance" if args.ops else "Keras conformance"
        text, passed, counted = report(per_file, title)
    print(text)
    print(f"passed/in-scope: {passed}/{counted}")
    if args.report:
        Path(args.report).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(per_file, indent=1))
    if args.min_percent is not None and 100 * passed < args.min_percent * max(counted, 1):
        print(f"below the floor of {args.min_percent}% in-scope tests passing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
