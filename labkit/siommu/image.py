"""Real ext4 layouts: build an image with ``mke2fs -d`` and read each file's extents.

No mount: e2fsprogs writes the image from a directory (``mke2fs -t ext4 -b 4096 -d DIR``)
and ``debugfs`` reads it (``ls -p`` for names and sizes, ``ex`` for a file's extent tree,
whose leaves map logical to physical blocks). The superblock is checked first (magic,
block size, and that the image file holds every block it declares), so a corrupt or
truncated image is an :class:`InputError`, not a debugfs failure later.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labkit.lab.errors import InputError

BLOCK_SIZE = 4096
EXT4_MAGIC = 0xEF53
_LEAF = re.compile(r"^\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*(\w*)")


@dataclass(frozen=True)
class FileLayout:
    """A regular file of the image: its size and its extents ``(logical, physical, length)``
    in blocks, sorted by logical block; logical blocks no extent covers are holes."""

    path: str
    size: int
    extents: tuple[tuple[int, int, int], ...]

    @property
    def blocks(self) -> int:
        """Blocks with data (a sparse file's holes have none)."""
        return sum(length for _, _, length in self.extents)

    def index_of(self, logical: int) -> int | None:
        """Position of logical block ``logical`` among the file's data blocks (the order
        the model's file system lists them), or None inside a hole."""
        index = 0
        for start, _, length in self.extents:
            if logical < start:
                return None
            if logical < start + length:
                return index + logical - start
            index += length
        return None


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/sbin:/usr/sbin")
    if found is None:
        raise InputError(f"{name} not found: install e2fsprogs (Debian: apt-get install e2fsprogs)")
    return found


def build(source_dir, image, *, size_mib: int | None = None) -> Path:
    """Write an ext4 image of ``source_dir``'s tree to ``image`` (4 KB blocks); the size
    defaults to twice the tree's bytes plus 8 MiB."""
    source, image = Path(source_dir), Path(image)
    if not source.is_dir():
        raise InputError(f"image source {str(source)!r} is not a directory")
    if size_mib is None:
        total = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
        size_mib = 8 + 2 * (total >> 20)
    if isinstance(size_mib, bool) or not isinstance(size_mib, int) or size_mib < 1:
        raise InputError(f"image size must be a positive number of MiB, got {size_mib!r}")
    image.unlink(missing_ok=True)
    done = subprocess.run([_tool("mke2fs"), "-q", "-F", "-t", "ext4", "-b", str(BLOCK_SIZE),
                           "-d", str(source), str(image), f"{size_mib}M"],
                          capture_output=True, text=True)
    if done.returncode:
        raise InputError(f"mke2fs failed on {str(source)!r}: "
                         f"{(done.stderr or done.stdout).strip().splitlines()[-1]}")
    return image


def check(image) -> dict:
    """The superblock's block size and count; InputError if not an ext4 image or truncated."""
    image = Path(image)
    try:
        with open(image, "rb") as f:
            f.seek(1024)
            sb = f.read(1024)
            length = f.seek(0, 2)
    except FileNotFoundError:
        raise InputError(f"image {str(image)!r} not found") from None
    except IsADirectoryError:
        raise InputError(f"image {str(image)!r} is a directory") from None
    if len(sb) < 1024 or struct.unpack_from("<H", sb, 56)[0] != EXT4_MAGIC:
        raise InputError(f"image {str(image)!r} is not an ext2/3/4 file system "
                         "(no superblock magic 0xEF53 at byte 1080)")
    blocks_lo, log_size = struct.unpack_from("<I", sb, 4)[0], struct.unpack_from("<I", sb, 24)[0]
    blocks_hi = struct.unpack_from("<I", sb, 0x150)[0] if struct.unpack_from("<I", sb, 0x60)[0] & 0x80 else 0
    if log_size > 6:
        raise InputError(f"image {str(image)!r}: corrupt superblock (block size 2^{10 + log_size})")
    block_size, count = 1024 << log_size, blocks_lo | (blocks_hi << 32)
    if length < block_size * count:
        raise InputError(f"image {str(image)!r} is truncated: {length} bytes, its superblock "
                         f"declares {count} blocks of {block_size}")
    return {"block_size": block_size, "blocks": count, "bytes": length}


def _debugfs(image, command: str) -> str:
    done = subprocess.run([_tool("debugfs"), "-R", command, str(image)],
                          capture_output=True, text=True)
    err = [line for line in done.stderr.splitlines() if not line.startswith("debugfs ")]
    if done.returncode or any("error" in line.lower() or "bad" in line.lower() for line in err):
        raise InputError(f"image {str(image)!r}: debugfs {command!r} failed: "
                         f"{(err or ['exit ' + str(done.returncode)])[-1].strip()}")
    return done.stdout


def _listing(image, directory: str):
    """``(path, mode, size)`` of every entry under ``directory``, recursively."""
    out = []
    for line in _debugfs(image, f'ls -p "{directory}"').splitlines():
        fields = line.split("/")
        if len(fields) < 7 or fields[5] in (".", ".."):
            continue
        mode, name, size = int(fields[2], 8), fields[5], fields[6]
        path = f"{directory.rstrip('/')}/{name}"
        if mode & 0o170000 == 0o040000:
            if name != "lost+found":
                out += _listing(image, path)
        elif mode & 0o170000 == 0o100000:
            out.append((path, int(size)))
    return out


def extents(image, path: str) -> tuple[tuple[int, int, int], ...]:
    """The leaves of ``path``'s extent tree: ``(logical, physical, length)``, by logical."""
    leaves = []
    for line in _debugfs(image, f'ex "{path}"').splitlines():
        m = _LEAF.match(line)
        if m and m.group(1) == m.group(2):        # a leaf: level == depth
            logical, physical, length, flags = (int(m.group(3)), int(m.group(5)),
                                                int(m.group(7)), m.group(8))
            if flags.lower().startswith("uninit"):
                raise InputError(f"image file {path!r} has an unwritten extent (not supported)")
            leaves.append((logical, physical, length))
    return tuple(sorted(leaves))


def files(image) -> list[FileLayout]:
    """Every regular file of the image with its size and extents (superblock checked)."""
    info = check(image)
    if info["block_size"] != BLOCK_SIZE:
        raise InputError(f"image {str(image)!r} has {info['block_size']}-byte blocks; "
                         f"the SIOMMU model maps {BLOCK_SIZE}-byte blocks")
    out = []
    for path, size in _listing(image, "/"):
        layout = FileLayout(path, size, extents(image, path) if size else ())
        end = 0
        for logical, physical, length in layout.extents:
            if logical < end or physical + length > info["blocks"]:
                raise InputError(f"image {str(image)!r}: file {path!r} has overlapping extents "
                                 f"or one outside the image at logical block {logical}")
            end = logical + length
        out.append(layout)
    return out
