"""Read and write "ETT" tensor containers, the small named-tensor format edgetrain's
tests use for reference data (a C++ reader/writer of the same format lives in the
engine; keep both in step).

Layout, all integers little-endian:

    magic      8 bytes   b"ETTENS01"
    count      u32       number of tensors
    per tensor, in order:
      name_len u32
      name     name_len bytes, UTF-8 (no terminator)
      dtype    u32       0 = float32, 1 = int32, 2 = int64
      rank     u32
      dims     int64[rank]
      data     prod(dims) * itemsize bytes, C (row-major) order, little-endian

A rank-0 tensor has no dims and one element. Tensors keep their file order.

Usage:
    from ettensors import write_tensors, read_tensors
    write_tensors("x.ett", {"input": arr, "labels": lab})
    tensors = read_tensors("x.ett")   # dict name -> numpy array, file order
"""
import os
import struct

import numpy as np

MAGIC = b"ETTENS01"

# dtype code <-> little-endian numpy dtype
_CODE_TO_DTYPE = {0: np.dtype("<f4"), 1: np.dtype("<i4"), 2: np.dtype("<i8")}
_KIND_TO_CODE = {("f", 4): 0, ("i", 4): 1, ("i", 8): 2}


class ETTError(ValueError):
    """Malformed file or a tensor the format cannot hold."""


def _dtype_code(arr, name):
    code = _KIND_TO_CODE.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise ETTError("tensor %r: unsupported dtype %s (ETT holds float32, int32, int64)"
                       % (name, arr.dtype))
    return code


def write_tensors(path, tensors):
    """Write a mapping name -> array-like to `path` (via path + ".tmp" and os.replace, so a
    reader never sees a half-written file). Order is the mapping's iteration order."""
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<I", len(tensors)))
        for name, value in tensors.items():
            arr = np.asarray(value)
            code = _dtype_code(arr, name)
            # (not np.ascontiguousarray: it turns rank-0 arrays into rank 1)
            arr = arr.astype(_CODE_TO_DTYPE[code], order="C", copy=False)
            raw_name = name.encode("utf-8")
            f.write(struct.pack("<I", len(raw_name)))
            f.write(raw_name)
            f.write(struct.pack("<II", code, arr.ndim))
            if arr.ndim:
                f.write(struct.pack("<%dq" % arr.ndim, *arr.shape))
            f.write(arr.tobytes(order="C"))
    os.replace(tmp, path)


def read_tensors(path):
    """Read an ETT file into a dict name -> numpy array (insertion order = file order)."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0

    def take(n, what):
        nonlocal pos
        if pos + n > len(buf):
            raise ETTError("%s: truncated while reading %s (need %d bytes at offset %d, "
                           "file has %d)" % (path, what, n, pos, len(buf)))
        out = buf[pos:pos + n]
        pos += n
        return out

    if take(len(MAGIC), "magic") != MAGIC:
        raise ETTError("%s: bad magic (not an ETTENS01 file)" % path)
    (count,) = struct.unpack("<I", take(4, "count"))
    out = {}
    for i in range(count):
        (name_len,) = struct.unpack("<I", take(4, "name length"))
        name = take(name_len, "name").decode("utf-8")
        code, rank = struct.unpack("<II", take(8, "dtype/rank of %r" % name))
        if code not in _CODE_TO_DTYPE:
            raise ETTError("%s: tensor %r has unknown dtype code %d (known: 0=float32, "
                           "1=int32, 2=int64)" % (path, name, code))
        dims = struct.unpack("<%dq" % rank, take(8 * rank, "dims of %r" % name)) if rank else ()
        if any(d < 0 for d in dims):
            raise ETTError("%s: tensor %r has a negative dim %s" % (path, name, dims))
        dtype = _CODE_TO_DTYPE[code]
        n = int(np.prod(dims, dtype=np.int64)) if rank else 1
        data = take(n * dtype.itemsize, "data of %r" % name)
        if name in out:
            raise ETTError("%s: duplicate tensor name %r" % (path, name))
        # Native-endian copy so callers get ordinary writable arrays.
        out[name] = np.frombuffer(data, dtype=dtype).astype(dtype.newbyteorder("="))\
            .reshape(dims)
    if pos != len(buf):
        raise ETTError("%s: %d trailing bytes after %d tensors" % (path, len(buf) - pos, count))
    return out
