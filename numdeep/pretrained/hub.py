"""Finding a checkpoint by name: a local folder, the Hugging Face cache, or a download.

``resolve_checkpoint("org/name")`` looks in the Hugging Face hub cache (``$HF_HUB_CACHE``, else
``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``), where ``transformers`` and
``huggingface_hub`` keep ``models--org--name/snapshots/<commit>/`` with ``refs/<branch>`` naming
the commit, so a model a user already downloaded is used as it is. When it is not there and the
optional ``huggingface_hub`` package is installed (the ``hub`` extra), the safetensors weights,
configs and tokenizer files are downloaded into that cache (never a pickle ``.bin``); otherwise
the error says how to get them.

Example:
    >>> import os, tempfile
    >>> from numdeep.pretrained.hub import resolve_checkpoint
    >>> hub = tempfile.mkdtemp()
    >>> snap = os.path.join(hub, "models--org--tiny", "snapshots", "abc123")
    >>> os.makedirs(snap); os.makedirs(os.path.join(hub, "models--org--tiny", "refs"))
    >>> _ = open(os.path.join(hub, "models--org--tiny", "refs", "main"), "w").write("abc123")
    >>> resolve_checkpoint("org/tiny", cache_dir=hub) == snap
    True
"""

import glob
import os

__all__ = ["hub_cache_dir", "resolve_checkpoint", "DOWNLOAD_PATTERNS"]

#: What a download fetches: weights as safetensors, configs, tokenizer and pooling files.
DOWNLOAD_PATTERNS = ["*.safetensors", "*.safetensors.index.json", "*.json", "vocab.txt",
                     "*.model", "1_Pooling/*"]


def hub_cache_dir():
    """The Hugging Face hub cache folder, as ``huggingface_hub`` resolves it."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return os.path.join(os.path.expanduser(home), "hub")


def _snapshot(repo_dir, revision):
    snapshots = os.path.join(repo_dir, "snapshots")
    if not os.path.isdir(snapshots):
        return None
    ref = os.path.join(repo_dir, "refs", revision or "main")
    if os.path.isfile(ref):
        with open(ref, encoding="utf-8") as f:
            commit = f.read().strip()
        if os.path.isdir(os.path.join(snapshots, commit)):
            return os.path.join(snapshots, commit)
    if revision and os.path.isdir(os.path.join(snapshots, revision)):
        return os.path.join(snapshots, revision)
    if revision:
        return None
    found = [os.path.join(snapshots, d) for d in os.listdir(snapshots)]
    found = [d for d in found if os.path.isdir(d)]
    return max(found, key=os.path.getmtime) if found else None


def _repo_dirs(name, cache):
    exact = os.path.join(cache, "models--" + name.replace("/", "--"))
    if os.path.isdir(exact) or "/" in name:
        return [exact]
    # "bert-base-uncased" now lives under its organisation ("google-bert/...").
    return sorted(glob.glob(os.path.join(cache, f"models--*--{glob.escape(name)}")))


def _download(name, revision, cache_dir):
    try:
        import huggingface_hub
    except ImportError:
        return None, "the optional huggingface_hub package is not installed"
    try:
        path = huggingface_hub.snapshot_download(name, revision=revision, cache_dir=cache_dir,
                                                 allow_patterns=DOWNLOAD_PATTERNS)
    except Exception as e:  # noqa: BLE001 - offline, unknown repo, gated model: all reported
        return None, f"downloading it failed ({type(e).__name__}: {e})"
    return path, None


def resolve_checkpoint(name_or_dir, revision=None, cache_dir=None, download=True):
    """The local folder of a checkpoint given as a folder or a Hugging Face model name.

    Args:
        name_or_dir: a checkpoint folder, or a model name such as
            ``"sentence-transformers/all-MiniLM-L6-v2"``.
        revision: a branch, tag or commit (default ``"main"``).
        cache_dir: the hub cache (default: ``hub_cache_dir()``).
        download: download with ``huggingface_hub`` when the cache lacks the model.

    Raises:
        FileNotFoundError: naming the folders searched and how to get the files.
    """
    path = os.path.expanduser(os.fspath(name_or_dir))
    if os.path.isdir(path):
        return path
    name = os.fspath(name_or_dir)
    cache = os.path.expanduser(os.fspath(cache_dir)) if cache_dir else hub_cache_dir()
    for repo_dir in _repo_dirs(name, cache):
        snapshot = _snapshot(repo_dir, revision)
        if snapshot and os.path.isfile(os.path.join(snapshot, "config.json")):
            return snapshot
    reason = "downloads were not allowed"
    if download:
        snapshot, reason = _download(name, revision, cache_dir)
        if snapshot:
            return snapshot
    hub_name = "models--" + name.replace("/", "--")
    raise FileNotFoundError(
        f"{name!r} is neither a checkpoint folder nor a model in the Hugging Face cache "
        f"({os.path.join(cache, hub_name)}), and {reason}. Get it with `pip install "
        f"huggingface_hub` (numdeep then downloads it), or `huggingface-cli download {name} "
        f"--include '*.safetensors' '*.json' 'vocab.txt'`, or pass the folder holding its "
        f"config.json and model.safetensors.")
