"""MetaImage I/O against files written by hand here, and the convolution against scipy."""

import json
import zlib

import numpy as np
import pytest
from scipy import signal

from labkit import InputError
from labkit.cli import main
from labkit.smm import conv, mhd, mhd_sample


def _header(path, dims, etype, data_file, extra=""):
    path.write_text(f"ObjectType = Image\nNDims = {len(dims)}\nBinaryData = True\n{extra}"
                    f"DimSize = {' '.join(map(str, dims))}\nElementType = {etype}\n"
                    f"ElementDataFile = {data_file}\n")
    return path


def test_reads_hand_written_files(tmp_path):
    data = np.arange(12, dtype="<u2")                       # x fastest: DimSize 4 3 -> (3, 4)
    data.tofile(tmp_path / "a.raw")
    got = mhd.read(_header(tmp_path / "a.mhd", (4, 3), "MET_USHORT", "a.raw"))
    np.testing.assert_array_equal(got, data.reshape(3, 4))
    assert got[1, 0] == 4

    big = np.linspace(-1, 1, 6).astype(">f8")               # big-endian, a 16-byte preamble
    (tmp_path / "b.raw").write_bytes(b"x" * 16 + big.tobytes())
    got = mhd.read(_header(tmp_path / "b.mhd", (3, 2), "MET_DOUBLE", "b.raw",
                           "BinaryDataByteOrderMSB = True\nHeaderSize = 16\n"))
    np.testing.assert_array_equal(got, big.astype("<f8").reshape(2, 3))

    pixels = np.arange(2 * 2 * 3, dtype="u1")
    inline = _header(tmp_path / "c.mha", (2, 2), "MET_UCHAR", "LOCAL", "ElementNumberOfChannels = 3\n")
    inline.write_bytes(inline.read_bytes() + pixels.tobytes())
    np.testing.assert_array_equal(mhd.read(inline), pixels.reshape(2, 2, 3))

    vals = np.arange(5, dtype="<i4")
    (tmp_path / "d.raw").write_bytes(zlib.compress(vals.tobytes()))
    got = mhd.read(_header(tmp_path / "d.mhd", (5,), "MET_INT", "d.raw", "CompressedData = True\n"))
    np.testing.assert_array_equal(got, vals)


def test_written_files_are_standard(tmp_path):
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    mhd.write(tmp_path / "w.mhd", arr, spacing=(0.5, 2.0))
    text = (tmp_path / "w.mhd").read_text()
    assert "DimSize = 3 2" in text and "ElementType = MET_FLOAT" in text
    assert "ElementSpacing = 2.0 0.5" in text and text.rstrip().endswith("ElementDataFile = w.raw")
    np.testing.assert_array_equal(np.fromfile(tmp_path / "w.raw", dtype="<f4"), arr.ravel())


def test_roundtrip_every_type_and_variant(tmp_path):
    frame = mhd.roundtrip(tmp_path)
    assert len(frame) == 3 * len(mhd.roundtrip_cases()) and frame["equal"].all()


@pytest.mark.parametrize("body, word", [
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\n", "no ElementDataFile"),
    ("NDims = 2\nDimSize = 4\nElementType = MET_UCHAR\nElementDataFile = x.raw\n", "DimSize has 1"),
    ("NDims = 2\nDimSize = 4 -3\nElementType = MET_UCHAR\nElementDataFile = x.raw\n", "positive"),
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_COMPLEX\nElementDataFile = x.raw\n", "ElementType"),
    ("NDims = two\nDimSize = 4 3\nElementType = MET_UCHAR\nElementDataFile = x.raw\n", "NDims"),
    ("garbage line\nElementDataFile = x.raw\n", "Key = Value"),
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\nCompressedData = maybe\nElementDataFile = x.raw\n", "True or False"),
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\nElementDataFile = x.raw\n", "holds 5 bytes"),
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\nElementDataFile = missing.raw\n", "not found"),
    ("NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = x.raw\n", "corrupt"),
    ("NDims = 3\nDimSize = 100000 100000 100000\nElementType = MET_DOUBLE\nElementDataFile = x.raw\n", "of memory; the limit is"),
])
def test_corrupt_headers(tmp_path, body, word):
    (tmp_path / "x.raw").write_bytes(b"12345")
    (tmp_path / "h.mhd").write_text(body)
    with pytest.raises(InputError, match=word):
        mhd.read(tmp_path / "h.mhd")


@pytest.mark.parametrize("h, w, kh, kw", [(37, 53, 5, 5), (16, 8, 1, 1), (20, 30, 3, 7), (9, 9, 9, 9), (50, 12, 2, 4)])
def test_correlation_equals_scipy(h, w, kh, kw):
    rng = np.random.default_rng(h)
    image, kernel = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    want = signal.correlate2d(image, kernel, mode="valid")
    got = conv.correlate(image, kernel, threads=2 if h > 30 else 1)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_toeplitz_holds_each_kernel_row():
    k = np.arange(6.0).reshape(2, 3)
    t = conv.toeplitz_rows(k, nb=4).reshape(2, 6, 4)       # item i: (kk, nb) = T_i
    x = np.arange(6.0)
    np.testing.assert_array_equal(x @ t[1], [np.dot(k[1], x[c:c + 3]) for c in range(4)])


def test_bad_convolutions():
    with pytest.raises(InputError, match="fit"):
        conv.correlate(np.ones((4, 4)), np.ones((5, 1)))
    with pytest.raises(InputError, match="2-D"):
        conv.correlate(np.ones(4), np.ones((1, 1)))


def test_sample_cli(tmp_path, capsys):
    out = tmp_path / "blurred.mhd"
    assert main(["smm", "mhd", "64x48", "2", "5", "3", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert (res["width"], res["height"], res["kw"], res["kh"]) == (64, 48, 5, 3)
    assert res["max_error"] < 1e-12 and res["input"] == "generated 64x48"
    source = mhd.read(tmp_path / "64x48.mhd")
    np.testing.assert_allclose(mhd.read(out), signal.correlate2d(source, mhd_sample.gaussian(3, 5), mode="valid"),
                               rtol=1e-12)
    assert main(["smm", "mhd", str(tmp_path / "64x48.mhd"), "1", "--json"]) == 0
    capsys.readouterr()
    (tmp_path / "bad.mhd").write_text("NDims = 2\nDimSize = 4\n")
    for argv in ([str(tmp_path / "bad.mhd")], ["nofile.mhd"], ["64x48", "0"], ["64x48", "1", "99"],
                 ["64x48", "1", "3", "3", str(tmp_path / "o.png")]):
        assert main(["smm", "mhd", *argv, "--json"]) == 2
        err = capsys.readouterr().err.strip()
        assert err and "\n" not in err
