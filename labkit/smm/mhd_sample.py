"""The ``mhd`` sample's command line: ``mhd [in [nrepeat [kw [kh] [out]]]]``.

``in`` is a MetaImage file or a pseudo file name ``W[xH]`` (no such file): then a
``W x H`` test image is generated and, when ``out`` is given, stored beside it as
``WxH.mhd`` (the sample stores it in the working folder). The convolution kernel is a
normalized ``kh x kw`` Gaussian, so the output is a visibly blurred image.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.inputs import output_folder
from labkit.smm import conv, mhd
from labkit.smm.spec import positive_int
from labkit.smm.workload import check_runs

PSEUDO = re.compile(r"^(\d+)(?:x(\d+))?$")


def gaussian(kh: int, kw: int) -> np.ndarray:
    """A normalized separable Gaussian of ``kh x kw`` taps (sigma a third of the radius)."""
    def taps(n):
        x = np.arange(n) - (n - 1) / 2
        sigma = max(n / 6.0, 0.5)
        t = np.exp(-0.5 * (x / sigma) ** 2)
        return t / t.sum()
    return np.outer(taps(positive_int("kh", kh)), taps(positive_int("kw", kw)))


def load_input(name: str, out_folder: Path | None):
    """The image named on the command line, and where it came from."""
    path = Path(name)
    match = PSEUDO.match(str(name))
    if not path.exists() and match:
        w = int(match.group(1))
        h = int(match.group(2) or w)
        image = conv.synthetic_image(w, h)
        if out_folder is not None:
            mhd.write(out_folder / f"{w}x{h}.mhd", image)
        return image, f"generated {w}x{h}"
    image = mhd.read(path)
    if image.ndim != 2:
        raise InputError(f"{path}: the mhd sample convolves one 2-D single-channel image, got shape {image.shape}")
    return image, str(path)


def run(input_name="1024x768", nrepeat=5, kw=5, kh=None, output=None, threads=1) -> dict:
    """The sample's run: the image (read or generated), convolved ``nrepeat`` times by
    labkit and by scipy; sizes, the output's folder and the run time are checked first."""
    kh = kw if kh is None else kh
    kh, kw, nrepeat = positive_int("kh", kh), positive_int("kw", kw), positive_int("nrepeat", nrepeat)
    out_path = Path(output) if output else None
    if out_path is not None and out_path.suffix.lower() not in (".mhd", ".mha"):
        raise InputError(f"output {output!r} must end in .mhd or .mha")
    if out_path is not None:
        output_folder(out_path.parent, "output")
    image, source = load_input(input_name, out_path.parent if out_path else None)
    if kh > image.shape[0] or kw > image.shape[1]:
        raise InputError(f"the {kh}x{kw} kernel does not fit the {image.shape[0]}x{image.shape[1]} image")
    check_runs(f"nrepeat {nrepeat} convolutions of a {image.shape[0]}x{image.shape[1]} image by "
               f"a {kh}x{kw} kernel (labkit and scipy)", 2 * nrepeat + 2,
               2.0 * kh * kw * image.size)
    kernel = gaussian(kh, kw)
    result = conv.bench(image, kernel, repeat=nrepeat, threads=threads)
    out = result.pop("output")
    if out_path is not None:
        mhd.write(out_path, out)
    return {**result, "input": source, "written": str(out_path) if out_path else None}
