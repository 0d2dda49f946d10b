"""HDF5 bytes in and out: files numdeep writes carry a SHA-256 of their content in the HDF5 user
block (ignored by HDF5, h5py and Keras), checked before the HDF5 library parses anything."""

import hashlib
import io
import os
import re

from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import LIMITS, scan_h5

__all__ = ["build_h5", "read_file_bytes", "open_h5"]

USERBLOCK = 512
MAGIC = b"NUMDEEP-SHA256 "
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HEX = re.compile(rb"[0-9a-f]{64}")


def build_h5(fill, checksum=True):
    """The bytes of a new HDF5 file filled by ``fill(h5file)``, checksummed when asked."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=USERBLOCK if checksum else 0) as f:
        fill(f)
    data = buffer.getvalue()
    if not checksum:
        return data
    digest = hashlib.sha256(memoryview(data)[USERBLOCK:]).hexdigest().encode("ascii")
    header = (MAGIC + digest + b"\n").ljust(USERBLOCK, b"\0")
    return header + data[USERBLOCK:]


def read_file_bytes(path, limit=None):
    """Read a whole file (refusing one above ``limit`` bytes) without interpreting it."""
    limit = LIMITS.max_member_bytes if limit is None else limit
    size = os.path.getsize(path)
    if size > limit:
        raise CorruptFileError(f"the file is {size} bytes, more than the limit of {limit}")
    with open(path, "rb") as f:
        return f.read()


def verify_h5_bytes(data):
    """Check the HDF5 signature and, when present, numdeep's checksum; return whether the file
    carried a checksum."""
    if not data:
        raise CorruptFileError("the file is empty")
    digest = data[len(MAGIC):len(MAGIC) + 64]
    # The header is ours when either its tag or its digest is intact (one damaged, the other
    # still identifies it, so a flip in the header cannot switch the check off).
    if data.startswith(MAGIC) or (_HEX.fullmatch(digest) and data[len(MAGIC) + 64:][:1] == b"\n"):
        actual = hashlib.sha256(memoryview(data)[USERBLOCK:]).hexdigest().encode("ascii")
        if len(data) <= USERBLOCK or digest != actual or not data.startswith(MAGIC):
            raise CorruptFileError("the content does not match its SHA-256 checksum "
                                   "(truncated, bit-flipped or modified after saving)")
        return True
    offsets = [0] + [USERBLOCK << i for i in range(12)]
    if not any(data[o:o + 8] == HDF5_SIGNATURE for o in offsets if o < len(data)):
        raise CorruptFileError("not an HDF5 file (no HDF5 signature)")
    return False


def open_h5(data):
    """Open verified HDF5 ``data`` read-only from memory and scan it (links, storage, dtypes)."""
    import h5py

    verify_h5_bytes(data)
    f = h5py.File(io.BytesIO(data), "r")
    try:
        scan_h5(f, len(data))
    except BaseException:
        f.close()
        raise
    return f
