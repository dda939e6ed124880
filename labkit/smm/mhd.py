"""MetaImage files (``.mhd`` header + ``.raw`` data, or ``.mha`` with the data inline), as
the LIBXSMM ``mhd`` sample reads and writes them.

A small reader rather than SimpleITK: the format is a text header of ``Key = Value``
lines and raw samples, and SimpleITK (a ~50 MB binary wheel) would be a dependency for
reading one array. Supported: ``NDims`` 1-4, the ``MET_*`` element types below, several
channels (``ElementNumberOfChannels``), either byte order (``BinaryDataByteOrderMSB``),
zlib compression (``CompressedData``), ``HeaderSize`` skipping, ``ElementDataFile`` a
file next to the header or ``LOCAL``. Arrays are returned C-ordered as
``(DimSize[-1], ..., DimSize[0])`` (x varies fastest on disk), with channels last.
Everything in a header is checked before any data is read or memory allocated.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.inputs import regular_file
from labkit.lab.limits import check_memory

TYPES = {"MET_CHAR": "i1", "MET_UCHAR": "u1", "MET_SHORT": "i2", "MET_USHORT": "u2",
         "MET_INT": "i4", "MET_UINT": "u4", "MET_LONG_LONG": "i8", "MET_ULONG_LONG": "u8",
         "MET_FLOAT": "f4", "MET_DOUBLE": "f8"}
NAMES = {np.dtype(code).str[1:]: name for name, code in TYPES.items()}
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _bool(path, key, value) -> bool:
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise InputError(f"{path}: {key} = {value!r} is not True or False")


def _ints(path, key, value, count=None) -> list[int]:
    try:
        values = [int(v) for v in value.split()]
    except ValueError:
        raise InputError(f"{path}: {key} = {value!r} is not a list of integers") from None
    if count is not None and len(values) != count:
        raise InputError(f"{path}: {key} has {len(values)} values, NDims says {count}")
    if any(v <= 0 for v in values):
        raise InputError(f"{path}: {key} = {value!r} must be positive")
    return values


def read_header(path) -> tuple[dict, int]:
    """The header's fields (validated, typed) and the byte offset where it ends."""
    path = regular_file(path, "MetaImage file")
    raw = path.read_bytes()
    fields, end = {}, 0
    for line in raw.split(b"\n"):
        end += len(line) + 1
        text = line.decode("latin-1").strip()
        if not text:
            continue
        if "=" not in text:
            raise InputError(f"{path}: header line {text[:40]!r} is not 'Key = Value'")
        key, value = (part.strip() for part in text.split("=", 1))
        fields[key] = value
        if key == "ElementDataFile":
            break
    else:
        raise InputError(f"{path}: the header has no ElementDataFile line")
    for key in ("NDims", "DimSize", "ElementType"):
        if key not in fields:
            raise InputError(f"{path}: the header has no {key}")
    ndims = _ints(path, "NDims", fields["NDims"], 1)[0]
    if ndims > 4:
        raise InputError(f"{path}: NDims = {ndims} (1 to 4 supported)")
    header = {"NDims": ndims, "DimSize": _ints(path, "DimSize", fields["DimSize"], ndims),
              "ElementType": fields["ElementType"],
              "channels": _ints(path, "ElementNumberOfChannels", fields.get("ElementNumberOfChannels", "1"), 1)[0],
              "msb": _bool(path, "BinaryDataByteOrderMSB", fields.get("BinaryDataByteOrderMSB",
                                                                    fields.get("ElementByteOrderMSB", "False"))),
              "compressed": _bool(path, "CompressedData", fields.get("CompressedData", "False")),
              "spacing": fields.get("ElementSpacing", fields.get("ElementSize")),
              "data_file": fields["ElementDataFile"], "header_size": 0}
    if header["ElementType"] not in TYPES:
        raise InputError(f"{path}: ElementType {header['ElementType']!r} is not one of {', '.join(TYPES)}")
    if "HeaderSize" in fields:
        try:
            header["header_size"] = int(fields["HeaderSize"])
        except ValueError:
            raise InputError(f"{path}: HeaderSize = {fields['HeaderSize']!r} is not an integer") from None
        if header["header_size"] < 0:
            raise InputError(f"{path}: HeaderSize = {header['header_size']} is negative")
    return header, end


def read(path) -> np.ndarray:
    """The image stored by the MetaImage file ``path`` (see the module doc for the shape)."""
    path = Path(path)
    header, end = read_header(path)
    dtype = np.dtype(TYPES[header["ElementType"]]).newbyteorder(">" if header["msb"] else "<")
    count = int(np.prod(header["DimSize"])) * header["channels"]
    nbytes = count * dtype.itemsize
    check_memory(f"{path} ({header['DimSize']})", nbytes * (2 if header["compressed"] else 1))
    if header["data_file"] == "LOCAL":
        data_path, start = path, end
    else:
        data_path, start = path.parent / header["data_file"], header["header_size"]
        regular_file(data_path, f"{path}: ElementDataFile")
    with open(data_path, "rb") as fh:
        fh.seek(start)
        blob = fh.read() if header["compressed"] else fh.read(nbytes)
    if header["compressed"]:
        try:
            blob = zlib.decompress(blob)
        except zlib.error as exc:
            raise InputError(f"{path}: compressed data is corrupt ({exc})") from None
    if len(blob) < nbytes:
        raise InputError(f"{data_path}: holds {len(blob)} bytes of data, the header needs {nbytes}")
    array = np.frombuffer(blob[:nbytes], dtype=dtype).astype(dtype.newbyteorder("="))
    shape = tuple(reversed(header["DimSize"])) + ((header["channels"],) if header["channels"] > 1 else ())
    return array.reshape(shape)


def write(path, array, spacing=None, compressed: bool = False, channels: bool = False) -> Path:
    """Write ``array`` as ``path`` (``.mhd`` + a ``.raw`` beside it, or ``.mha`` inline).
    ``channels``: the last axis holds the channels of one pixel."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    if not isinstance(array, np.ndarray) or array.size == 0:
        raise InputError("write needs a non-empty array")
    name = NAMES.get(array.dtype.str[1:])
    if name is None:
        raise InputError(f"dtype {array.dtype} has no MetaImage element type")
    dims = array.shape[:-1] if channels else array.shape
    if not 1 <= len(dims) <= 4:
        raise InputError(f"MetaImage stores 1 to 4 dimensions, the array has {len(dims)}")
    spacing = [1.0] * len(dims) if spacing is None else list(spacing)
    if len(spacing) != len(dims):
        raise InputError(f"spacing has {len(spacing)} values for {len(dims)} dimensions")
    data = array.astype(array.dtype.newbyteorder("<")).tobytes()
    if compressed:
        data = zlib.compress(data)
    inline = path.suffix.lower() == ".mha"
    raw_name = "LOCAL" if inline else path.with_suffix(".raw").name
    lines = ["ObjectType = Image", f"NDims = {len(dims)}", "BinaryData = True",
             "BinaryDataByteOrderMSB = False", f"CompressedData = {compressed}"]
    if compressed:
        lines.append(f"CompressedDataSize = {len(data)}")
    lines += [f"DimSize = {' '.join(str(d) for d in reversed(dims))}",
              f"ElementSpacing = {' '.join(repr(float(s)) for s in reversed(spacing))}",
              f"ElementNumberOfChannels = {array.shape[-1] if channels else 1}",
              f"ElementType = {name}", f"ElementDataFile = {raw_name}"]
    header = ("\n".join(lines) + "\n").encode()
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    if inline:
        tmp.write_bytes(header + data)
    else:
        raw_tmp = path.with_suffix(f".raw.{os.getpid()}.tmp")
        raw_tmp.write_bytes(data)
        os.replace(raw_tmp, path.with_suffix(".raw"))
        tmp.write_bytes(header)
    os.replace(tmp, path)
    return path


def roundtrip_cases():
    """Arrays of every element type, 1-4 dimensions, channels: what :func:`roundtrip` writes."""
    rng = np.random.default_rng(0)
    cases = []
    for code in TYPES.values():
        dtype = np.dtype(code)
        if dtype.kind == "f":
            arr = rng.standard_normal((7, 11)).astype(dtype)
        else:
            info = np.iinfo(dtype)
            arr = rng.integers(info.min, info.max, (7, 11), dtype=dtype, endpoint=True)
        cases.append((f"{code} 2-D", arr, False))
    cases += [("f8 1-D", rng.standard_normal(13), False), ("u2 3-D", rng.integers(0, 999, (3, 4, 5)).astype("u2"), False),
              ("f4 4-D", rng.standard_normal((2, 3, 4, 5)).astype("f4"), False),
              ("u1 RGB", rng.integers(0, 255, (6, 8, 3)).astype("u1"), True)]
    return cases


def roundtrip(folder) -> "pd.DataFrame":
    """Write and read back every case as .mhd+.raw, compressed and inline .mha; one row each
    with ``equal`` (bit for bit, same shape and dtype)."""
    import pandas as pd

    folder = Path(folder)
    rows = []
    for name, arr, chans in roundtrip_cases():
        for variant, suffix, compressed in (("mhd+raw", ".mhd", False), ("compressed", ".mhd", True), ("mha", ".mha", False)):
            path = write(folder / f"{name.replace(' ', '_')}_{variant}{suffix}", arr, compressed=compressed, channels=chans)
            back = read(path)
            rows.append({"case": name, "variant": variant, "shape": arr.shape, "dtype": str(arr.dtype),
                         "equal": back.shape == arr.shape and back.dtype == arr.dtype and np.array_equal(back, arr)})
    return pd.DataFrame(rows)
