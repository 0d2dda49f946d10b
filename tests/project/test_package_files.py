"""The package tree itself: no symlinks, no machine paths, and a wheel without duplicated files.

A committed symlink (``numdeep/backend/backend`` pointing at one machine's checkout) once made
``import numdeep.backend.backend`` load a second copy of the module and a wheel built from a clone
nest the package 40 levels deep; these tests keep that from coming back.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "numdeep"
# A machine-specific absolute path: a home or work directory of one checkout.
ABSOLUTE = re.compile(
    r"(?<![\w.])(/work/|/root/|/home/[a-z_][\w-]*/|/Users/[A-Za-z]|[A-Z]:\\\\Users)"
)


def _package_entries():
    for dirpath, dirnames, filenames in os.walk(PACKAGE, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            yield Path(dirpath) / name


def test_package_has_no_symlinks():
    links = [str(p.relative_to(ROOT)) for p in _package_entries() if p.is_symlink()]
    assert links == [], f"symlinks in the package break every other clone: {links}"


def test_package_has_no_machine_specific_absolute_paths():
    hits = []
    for path in _package_entries():
        if path.is_file() and path.suffix in (".py", ".md", ".txt", ".json", ".cfg", ".toml"):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ABSOLUTE.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert hits == [], "absolute paths of one machine in the package:\n" + "\n".join(hits)


def test_absolute_path_check_catches_a_planted_path():
    # Negative control for the pattern above, so the check cannot pass vacuously.
    assert ABSOLUTE.search('CACHE = "/home/alice/numdeep/cache"')
    assert ABSOLUTE.search("sys.path.insert(0, '/work/main')")
    assert not ABSOLUTE.search('os.path.expanduser("~/.keras/datasets")')


def _tracked_copy(dest):
    """Copy the files git tracks (what a clone holds) into ``dest``."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files a clone holds")
    for rel in out.decode().split("\0"):
        if not rel:
            continue
        src = ROOT / rel
        if src.is_symlink() or not src.exists():
            continue  # a tracked link is reported by the tests above; a deleted file is gone
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _duplicates(names_and_bytes):
    """Problems of a wheel's file list: nested copies of a folder, and repeated non-trivial
    contents under different names."""
    problems = []
    for name, _ in names_and_bytes:
        parts = name.split("/")[:-1]
        repeated = [p for i, p in enumerate(parts) if p in parts[:i]]
        if repeated:
            problems.append(f"{name}: folder {repeated[0]!r} nested inside itself")
    seen = {}
    for name, data in names_and_bytes:
        if len(data) < 256 or name.endswith("RECORD"):
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            problems.append(f"{name} duplicates {seen[digest]}")
        seen.setdefault(digest, name)
    return problems


def test_duplicate_check_catches_a_nested_copy():
    big = b"x" * 1000
    files = [("numdeep/backend/__init__.py", big), ("numdeep/backend/backend/__init__.py", big)]
    assert len(_duplicates(files)) == 2
    assert _duplicates([("numdeep/a.py", big), ("numdeep/b.py", b"y" * 1000)]) == []


def test_wheel_built_from_a_clone_has_each_file_once(tmp_path):
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    _tracked_copy(src)
    dist = tmp_path / "dist"
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_wheel(sys.argv[1]))")
    run = subprocess.run([sys.executable, "-c", code, str(dist)], cwd=src, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    wheel = dist / run.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as zf:
        files = [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]
    names = [n for n, _ in files]
    assert len(names) == len(set(names))
    assert _duplicates(files) == []
    package_files = {n for n in names if n.startswith("numdeep/")}
    tracked = {str(p.relative_to(src)) for p in (src / "numdeep").rglob("*") if p.is_file()}
    # Every Python module of the clone is in the wheel, and the wheel holds nothing else of ours.
    assert {n for n in tracked if n.endswith(".py")} <= package_files
    assert package_files <= tracked
