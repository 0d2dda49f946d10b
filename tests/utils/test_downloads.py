"""get_file against a local HTTP server (never the internet): cached and verified downloads,
wrong hashes, dropped transfers (resumed with Range), server errors, offline, proxies, Keras's
cache layout and extraction."""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from numdeep.utils import downloads, get_file, hash_file, validate_file

BODY = bytes(range(256)) * 1000  # 256 kB: several read chunks
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


def _leftovers(root):
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files
            if f.endswith(".part") or f.startswith(".extracting")]


def test_download_verifies_caches_and_reuses(server, cache, capsys):
    server.files["/data/blob.bin"] = BODY
    path = get_file("blob.bin", server.url("/data/blob.bin"), file_hash=SHA)
    assert path == str(cache / "numdeep_home" / "datasets" / "blob.bin")
    assert open(path, "rb").read() == BODY
    assert "Downloading data from http://127.0.0.1" in capsys.readouterr().out
    # second call: from the cache, no request
    assert get_file("blob.bin", server.url("/data/blob.bin"), file_hash=SHA) == path
    assert len(server.requests) == 1
    # md5 (file_hash auto-detected, and the deprecated md5_hash)
    assert get_file("blob.bin", server.url("/data/blob.bin"), file_hash=MD5) == path
    assert get_file("blob.bin", server.url("/data/blob.bin"), md5_hash=MD5) == path
    assert len(server.requests) == 1
    # fname defaults to the URL's last part; force_download fetches again
    assert get_file(origin=server.url("/data/blob.bin"), force_download=True) == path
    assert len(server.requests) == 2
    assert validate_file(path, SHA) and validate_file(path, MD5)
    assert hash_file(path) == SHA and hash_file(path, "md5") == MD5


def test_wrong_hash_raises_and_caches_nothing(server, cache):
    server.files["/blob.bin"] = BODY
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected.*sha256"):
        get_file("blob.bin", server.url("/blob.bin"), file_hash="0" * 64)
    assert not os.path.exists(cache / "numdeep_home" / "datasets" / "blob.bin")
    assert _leftovers(cache) == []


def test_stale_cached_file_is_downloaded_again(server, cache, capsys):
    server.files["/blob.bin"] = BODY
    target = cache / "numdeep_home" / "datasets" / "blob.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(BODY[:100])  # a truncated earlier copy
    assert get_file("blob.bin", server.url("/blob.bin"), file_hash=SHA) == str(target)
    assert target.read_bytes() == BODY
    assert "does not match" in capsys.readouterr().out


def test_interrupted_transfer_resumes_with_range(server, cache):
    server.files["/blob.bin"] = BODY
    server.drop_first.add("/blob.bin")
    path = get_file("blob.bin", server.url("/blob.bin"), file_hash=SHA)
    assert open(path, "rb").read() == BODY
    assert len(server.requests) == 2
    first, second = server.requests
    assert first[1] is None and second[1] == f"bytes={len(BODY) // 2}-"
    assert _leftovers(cache) == []


def test_interrupted_transfer_restarts_without_range_support(server, cache):
    server.files["/blob.bin"] = BODY
    server.drop_first.add("/blob.bin")
    server.range_support = False  # answers 200 with the whole file: start over
    path = get_file("blob.bin", server.url("/blob.bin"), file_hash=SHA)
    assert open(path, "rb").read() == BODY


def test_server_error_retries_then_fails_cleanly(server, cache):
    server.errors["/blob.bin"] = 503
    with pytest.raises(downloads.DownloadError, match=r"URL fetch failure on http.*503") as e:
        get_file("blob.bin", server.url("/blob.bin"), file_hash=SHA)
    assert len(server.requests) == downloads._RETRIES
    assert str(cache / "numdeep_home" / "datasets" / "blob.bin") in str(e.value)
    assert _leftovers(cache) == [] and not os.path.exists(cache / "numdeep_home" / "datasets"
                                                          / "blob.bin")
    server.errors["/missing"] = 404  # a client error is not retried
    with pytest.raises(downloads.DownloadError, match="404"):
        get_file("x.bin", server.url("/missing"))
    assert len(server.requests) == downloads._RETRIES + 1


def test_offline_error_names_url_and_where_to_put_the_file(cache):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/mnist.npz"
    with pytest.raises(downloads.DownloadError) as e:
        get_file("mnist.npz", url)
    msg = str(e.value)
    assert url in msg and str(cache / "numdeep_home" / "datasets" / "mnist.npz") in msg
    assert "offline" in msg and isinstance(e.value, FileNotFoundError)


def test_keras_cache_is_read_and_used(server, cache, monkeypatch):
    # a file Keras downloaded earlier: ~/.keras/datasets (KERAS_HOME) is read, nothing fetched
    keras_copy = cache / "keras_home" / "datasets" / "blob.bin"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(BODY)
    assert get_file("blob.bin", server.url("/blob.bin"), file_hash=SHA) == str(keras_copy)
    models = cache / "keras_home" / "models" / "w.h5"
    models.parent.mkdir(parents=True)
    models.write_bytes(b"weights")
    assert get_file("w.h5", server.url("/w.h5"), cache_subdir="models") == str(models)
    assert server.requests == []
    # without NUMDEEP_HOME, downloads go to Keras's folder itself
    monkeypatch.delenv("NUMDEEP_HOME")
    server.files["/new.bin"] = b"new"
    assert get_file("new.bin", server.url("/new.bin")) == str(cache / "keras_home" / "datasets"
                                                              / "new.bin")


def test_proxy_from_the_environment_is_used(server, cache, monkeypatch):
    server.files["/blob.bin"] = BODY
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{server.port}")
    path = get_file("blob.bin", "http://files.example.invalid/blob.bin", file_hash=SHA)
    assert open(path, "rb").read() == BODY
    assert server.requests[0][0] == "http://files.example.invalid/blob.bin"


def test_bad_arguments():
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("a.txt")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file(os.path.join("a", "b.txt"), "http://127.0.0.1/b.txt")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1/")


def _tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_extract_tar_keras_layout(server, cache):
    archive = _tar_bytes([("pkg/a.txt", b"alpha"), ("pkg/sub/b.txt", b"beta")])
    server.files["/pkg.tar.gz"] = archive
    sha = hashlib.sha256(archive).hexdigest()
    # fname without an extension: the folder is fname, the archive fname + "_archive"
    path = get_file("pkg-target", server.url("/pkg.tar.gz"), extract=True, file_hash=sha)
    root = cache / "numdeep_home" / "datasets"
    assert path == str(root / "pkg-target")
    assert open(os.path.join(path, "pkg", "sub", "b.txt"), "rb").read() == b"beta"
    assert (root / "pkg-target_archive").is_file()
    # fname with an extension: the folder is <stem>_extracted
    path = get_file("pkg.tar.gz", server.url("/pkg.tar.gz"), extract=True)
    assert path == str(root / "pkg_extracted")
    assert os.path.isfile(os.path.join(path, "pkg", "a.txt"))
    assert _leftovers(cache) == []


def test_extract_zip_and_untar(server, cache):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner/c.txt", "gamma")
    server.files["/z.zip"] = buf.getvalue()
    path = get_file("zipped", server.url("/z.zip"), extract=True)
    assert open(os.path.join(path, "inner", "c.txt")).read() == "gamma"
    server.files["/t.tar.gz"] = _tar_bytes([("d.txt", b"delta")])
    path = get_file("t.tar.gz", server.url("/t.tar.gz"), untar=True)
    assert open(os.path.join(path, "d.txt")).read() == "delta"


def test_path_traversal_archive_is_contained(server, cache):
    archive = _tar_bytes([("ok.txt", b"fine"), ("../../escaped.txt", b"evil"),
                          ("/abs/evil.txt", b"evil")])
    server.files["/evil.tar.gz"] = archive
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        path = get_file("evil", server.url("/evil.tar.gz"), extract=True)
    assert os.listdir(path) == ["ok.txt"]
    escaped = [os.path.join(d, f) for d, _, fs in os.walk(cache) for f in fs
               if f in ("escaped.txt", "evil.txt")]
    assert escaped == []


def test_file_url_like_keras(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("Float like a butterfly")
    path = get_file("copy.txt", src.as_uri(), file_hash=hash_file(src),
                    cache_dir=tmp_path / "cache")
    assert open(path).read() == "Float like a butterfly"
    assert path == str(tmp_path / "cache" / "datasets" / "copy.txt")


def test_archive_over_the_size_or_member_limits_is_refused_and_nothing_is_left(tmp_path):
    from numdeep.utils import archives

    tar_path = tmp_path / "big.tar.gz"
    tar_path.write_bytes(_tar_bytes([("a.bin", b"x" * 600), ("b.bin", b"y" * 600)]))
    zip_path = tmp_path / "many.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        for i in range(5):
            z.writestr(f"f{i}.txt", "z")
    with pytest.raises(ValueError, match="would unpack to more than 1000 bytes"):
        archives.extract_archive(tar_path, tmp_path / "out", max_bytes=1000)
    with pytest.raises(ValueError, match="holds more than 4 members"):
        archives.extract_archive(zip_path, tmp_path / "out", max_members=4)
    assert sorted(os.listdir(tmp_path)) == ["big.tar.gz", "many.zip"]  # no staging folder
    assert archives.extract_archive(tar_path, tmp_path / "out", max_bytes=1200)
    assert (tmp_path / "out" / "b.bin").read_bytes() == b"y" * 600
