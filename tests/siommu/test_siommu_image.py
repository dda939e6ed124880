"""Real ext4 layouts and real bytes: every byte read through the SIOMMU model from an
image built by mke2fs equals the file's content; faults; bad images. Needs e2fsprogs
(mke2fs, debugfs) on the PATH or in /sbin."""

import json

import numpy as np
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.siommu import direct, emulation, image

SIZES = {"empty.txt": 0, "one.bin": 1, "block.bin": 4096, "block_plus.bin": 4097,
         "medium.bin": 300_000, "sub/deeper/large.bin": 2_000_003}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("img")
    rng = np.random.default_rng(0)
    contents = {}
    for name, size in SIZES.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        contents["/" + name] = rng.bytes(size)
        path.write_bytes(contents["/" + name])
    sparse = bytearray(40 * 4096 + 123)       # 13 data islands: a depth-1 extent tree
    for island in range(13):
        at = island * 3 * 4096 + 7
        sparse[at:at + 5000] = rng.bytes(5000)
    contents["/sparse.bin"] = bytes(sparse)
    with open(root / "src" / "sparse.bin", "wb") as f:
        for island in range(13):            # write only the islands: the rest stays holes
            at = island * 3 * 4096 + 7
            f.seek(at)
            f.write(sparse[at:at + 5000])
        f.truncate(len(sparse))
    img = image.build(root / "src", root / "fs.ext4")
    return root, img, contents


def test_e2fsprogs_is_installed():
    """Not a skip: these tests need mke2fs and debugfs (CI installs e2fsprogs)."""
    assert image._tool("mke2fs") and image._tool("debugfs")


def test_listing_and_extents_cover_every_file(tree):
    _, img, contents = tree
    layouts = {f.path: f for f in image.files(img)}
    assert set(layouts) == set(contents)
    for path, data in contents.items():
        assert layouts[path].size == len(data)
        if path != "/sparse.bin":
            assert layouts[path].blocks == -(-len(data) // 4096)
    sparse = layouts["/sparse.bin"]
    assert len(sparse.extents) >= 13 and sparse.blocks < 41   # holes hold no blocks
    assert sparse.index_of(0) == 0 and sparse.index_of(2) is None


def test_every_byte_read_through_the_model_equals_the_file(tree):
    _, img, contents = tree
    rng = np.random.default_rng(1)
    with direct.DirectImage(img, tlb_entries=8) as emu:
        for path, data in contents.items():
            if not data:
                continue
            fd = emu.open(1, path)
            assert emu.read(1, fd, 0, len(data)) == data
            for _ in range(20):
                offset = int(rng.integers(0, len(data)))
                length = int(rng.integers(1, len(data) - offset + 1))
                assert emu.read(1, fd, offset, length) == data[offset:offset + length]


def test_reads_translate_through_the_siommu_and_hit_the_real_blocks(tree):
    _, img, contents = tree
    with direct.DirectImage(img) as emu:
        layout = emu.layouts["/medium.bin"]
        fd = emu.open(1, "/medium.bin")
        assert emu.read(1, fd, 4096 * 3, 10) == contents["/medium.bin"][3 * 4096:3 * 4096 + 10]
        raw = open(img, "rb").read()
        _, physical, _ = layout.extents[0]
        assert raw[(physical + 3) * 4096:(physical + 3) * 4096 + 10] == contents["/medium.bin"][3 * 4096:3 * 4096 + 10]


def test_faults_past_end_other_process_and_after_close(tree):
    _, img, contents = tree
    with direct.DirectImage(img) as emu:
        fd = emu.open(1, "/medium.bin")
        with pytest.raises(direct.Fault, match="past_end"):
            emu.read(1, fd, 300_000 - 5, 6)
        address = emu.virtual_address(1, fd, 0)
        other = emu.open(2, "/one.bin")                # process 2 has a file of its own
        assert emu.read(2, other, 0, 1) == contents["/one.bin"]
        with pytest.raises(direct.Fault, match="no_entry"):
            emu.read_virtual(2, address, 4096)          # process 1's blocks, under PASID 2
        emu.close(1, fd)
        with pytest.raises(direct.Fault, match="not_open"):
            emu.read(1, fd, 0, 10)
        with pytest.raises(direct.Fault, match="no_entry"):
            emu.read_virtual(1, address, 10)            # the old address, after close
        with pytest.raises(InputError, match="length"):
            emu.read(2, other, 0, 0)


def test_corrupt_and_truncated_images(tree, tmp_path):
    _, img, _ = tree
    raw = bytearray(open(img, "rb").read())
    truncated = tmp_path / "truncated.ext4"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="truncated"):
        image.files(truncated)
    no_magic = bytearray(raw)
    no_magic[1080:1082] = b"\0\0"
    (tmp_path / "nomagic.ext4").write_bytes(no_magic)
    with pytest.raises(InputError, match="not an ext2/3/4"):
        image.files(tmp_path / "nomagic.ext4")
    (tmp_path / "short.ext4").write_bytes(b"x" * 100)
    with pytest.raises(InputError, match="not an ext2/3/4"):
        image.files(tmp_path / "short.ext4")
    with pytest.raises(InputError, match="not found"):
        image.files(tmp_path / "missing.ext4")


def test_cli_build_files_read_and_bad_input(tree, tmp_path, capsys):
    root, img, contents = tree
    out = tmp_path / "cli.ext4"
    assert main(["siommu", "image", "build", str(root / "src"),
                 "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == len(SIZES) + 1
    assert main(["siommu", "image", "files", str(out), "--json"]) == 0
    listed = {f["path"]: f["size"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert listed == {p: len(d) for p, d in contents.items()}
    copy = tmp_path / "copy.bin"
    assert main(["siommu", "image", "read", str(out), "/sub/deeper/large.bin", "--out", str(copy),
                 "--json"]) == 0
    assert copy.read_bytes() == contents["/sub/deeper/large.bin"]
    capsys.readouterr()
    for argv in (["siommu", "image", "read", str(out), "/one.bin", "--offset", "0", "--length", "0"],
                 ["siommu", "image", "read", str(out), "/one.bin", "--offset", "-1", "--length", "1"],
                 ["siommu", "image", "read", str(out), "/one.bin", "--length", "2"],
                 ["siommu", "image", "read", str(out), "/nope.bin"],
                 ["siommu", "image", "files", str(tmp_path / "copy.bin")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("labkit: error:"), err


def test_emulation_measurement_compares_bytes(tmp_path):
    s = emulation.setup(tmp_path, file_mib=1)
    lat, stages = emulation.measure(s["source"], s["image"], s["file"], sizes_kib=[4, 16], reads=4)
    assert set(lat.path) == {"kernel pread", "emulated direct"} and len(lat) == 16
    assert (stages[stages.stage == "same_bytes"].us_per_read == 1.0).all()
    assert set(stages.stage) == {"userlib", "translate", "device", "assemble", "same_bytes"}
    dist = emulation.distribution(lat)
    assert (dist.p10_us <= dist.median_us).all() and (dist.median_us <= dist.p90_us).all()
