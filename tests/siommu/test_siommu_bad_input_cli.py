"""Bad input on the command line: exit 2 and one line on stderr, before any work."""

import json

import pytest

from labkit.cli import main
from labkit.siommu import image


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "src").mkdir()
    (root / "src" / "f.bin").write_bytes(b"z" * 10000)
    good = image.build(root / "src", root / "good.ext4")
    raw = good.read_bytes()
    (root / "truncated.ext4").write_bytes(raw[:50000])
    corrupt = bytearray(raw)
    corrupt[1024:2048] = b"\xff" * 1024                    # the superblock
    (root / "corrupt.ext4").write_bytes(corrupt)
    return root


def run_bad(argv, capsys, match):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("labkit: error:") and match in err, err
    assert captured.out == ""


@pytest.mark.parametrize("name,match", [("truncated.ext4", "truncated"),
                                        ("corrupt.ext4", "not an ext2/3/4")])
@pytest.mark.parametrize("command", [["files"], ["read", "/f.bin"]])
def test_bad_images(images, capsys, name, match, command):
    argv = ["siommu", "image", command[0], str(images / name), *command[1:], "--json"]
    run_bad(argv, capsys, match)


def test_good_image_reads(images, capsys):
    assert main(["siommu", "image", "read", str(images / "good.ext4"), "/f.bin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bytes"] == 10000


@pytest.mark.parametrize("argv,match", [
    (["siommu", "simulate", "--size", "0"], "positive number of bytes"),
    (["siommu", "simulate", "--requests", "0"], "requests"),
    (["siommu", "simulate", "--path", "nvme"], "unknown I/O path"),
    (["siommu", "simulate", "--engine", "fortran"], "engine"),
    (["siommu", "bypassd", "--path", "psync", "--size", "0"], "positive number of bytes"),
    (["siommu", "bypassd", "--path", "psync", "--size", "1000"], "multiple of 512"),
    (["siommu", "bypassd", "--path", "spdk", "--size", "4097"], "multiple of 512"),
    (["siommu", "bypassd", "--path", "xrp", "--size", "4096"], "unknown BypassD-study path"),
    (["siommu", "trace", "mysql", "--out", "/tmp/never.csv"], "unknown trace kind"),
])
def test_bad_settings(capsys, argv, match):
    run_bad(argv + ["--json"], capsys, match)


def test_siommu_path_takes_partial_sectors(capsys):
    assert main(["siommu", "bypassd", "--path", "siommu", "--size", "1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["breakdown_us"]["transfer"] == pytest.approx(1000 / 7200)
