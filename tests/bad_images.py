"""Every kind of bad or unusual input a user can upload, built in memory."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image
from scipy import ndimage

from tests.known_pages import written_page


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png_header(side: int = 30000) -> bytes:
    """A valid PNG header claiming side x side pixels (the pixel data never needs to exist)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (side + 1))  # one row; a decoder would fail later, we refuse first
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def page_like(size=(400, 300)) -> np.ndarray:
    """A light page with a dark bar: enough to tell orientation and colour handling apart."""
    a = np.full(size[::-1], 230, np.uint8)
    a[40:80, 30:250] = 20  # a dark bar near the top
    return a


def exif_rotated_jpeg() -> bytes:
    """A JPEG stored sideways with EXIF orientation 6 (rotate 90 clockwise to view)."""
    img = Image.fromarray(np.rot90(page_like(), 1).copy())  # stored rotated counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(img, "JPEG", exif=exif.tobytes(), quality=95)


BAD = {
    "non-image bytes": b"this is a text file, not a photo\n" * 20,
    "0-byte file": b"",
    "truncated JPEG": encode(Image.fromarray(page_like()), "JPEG")[:600],
    "1x1 image": encode(Image.new("L", (1, 1), 255), "PNG"),
    "30000x30000 PNG": huge_png_header(),
}

UNUSUAL = {
    "16-bit PNG": encode(Image.fromarray((page_like().astype(np.uint16) * 257)), "PNG"),
    "RGBA PNG": encode(Image.fromarray(np.dstack([page_like()] * 3 + [np.full((300, 400), 255, np.uint8)])), "PNG"),
    "grayscale image": encode(Image.fromarray(page_like()), "PNG"),
    "CMYK JPEG": encode(Image.fromarray(page_like()).convert("CMYK"), "JPEG"),
    "EXIF-rotated JPEG": exif_rotated_jpeg(),
    "WebP": encode(Image.fromarray(page_like()), "WEBP"),
    "BMP": encode(Image.fromarray(page_like()), "BMP"),
    "TIFF": encode(Image.fromarray(page_like()), "TIFF"),
}


def _gray_png(gray: np.ndarray) -> bytes:
    return encode(Image.fromarray((np.clip(gray, 0.0, 1.0) * 255).astype(np.uint8)), "PNG")


def streaks(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A wooden desk's grain: dark streaks along the rows, 1 at their darkest."""
    grain = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=(1.5, 40))
    dark = np.clip(grain / grain.std() - 1.0, 0.0, None)
    return dark / dark.max()


def fibres(rng: np.random.Generator, shape: tuple[int, int], n: int = 900) -> np.ndarray:
    """Recycled paper's fibres: `n` short straight strokes 6-25 px long, softened, 1 at their darkest."""
    centre, angle = rng.uniform(0, 1, (n, 2)) * shape, rng.uniform(0, np.pi, n)
    along = rng.uniform(6, 25, n)[:, None] * np.linspace(-0.5, 0.5, 30)
    rows = np.clip(centre[:, :1] + along * np.sin(angle)[:, None], 0, shape[0] - 1).astype(int)
    cols = np.clip(centre[:, 1:] + along * np.cos(angle)[:, None], 0, shape[1] - 1).astype(int)
    fibres = np.zeros(shape)
    fibres[rows, cols] = 1.0
    fibres = ndimage.gaussian_filter(fibres, 0.8)
    return fibres / fibres.max()


def not_writing() -> dict[str, bytes]:
    """Photos with marks or texture but no writing to read: an erased whiteboard's ghosts, a sheet's back
    with the writing showing through, a covered lens, an overexposed blank sheet with 3% grain, a wooden
    desk with no page on it, recycled paper's fibres, a coffee ring and an eraser's smudge. All but the
    lens and the overexposed sheet read as text with the lower ink floors for faint pencil of two earlier
    tries (bench/results/ocr_robustness.md); the faint floor that shipped reads none of them: the ghosts'
    and show-through's strongest marks are under its FAINT_PEAK, the rest are not read as writing is."""
    rng = np.random.default_rng(0)
    writing = written_page("MEET ME AT GATE 14\nBRING 3 MAPS AND\nTHE RED BOOK")
    writing /= writing.max()
    noise = rng.standard_normal(writing.shape)

    def faded(ghost: np.ndarray, contrast: float, grain: float) -> bytes:
        return _gray_png(0.9 * (1 - contrast * (1 - ghost)) + grain * noise)

    rows, cols = np.mgrid[0:600, 0:800]
    radius = np.hypot(rows - 300, cols - 400)
    ring = np.exp(-((radius - 90) ** 2) / 8.0) + 0.3 * (radius < 90)
    smudge = np.exp(-(((rows - 250) / 20) ** 2 + ((cols - 350) / 80) ** 2))
    grain = 0.004 * rng.standard_normal((600, 800))
    big = (1200, 1600)   # a desk's grain and paper's fibres as a 2-megapixel photo shows them
    return {
        "erased whiteboard (ghosts at 15%)": faded(ndimage.gaussian_filter(writing, 2.0), 0.15, 0.005),
        "erased whiteboard (ghosts at 12%, sharper)": faded(ndimage.gaussian_filter(writing, 1.0), 0.12, 0.005),
        "back of a written sheet (show-through at 12%)": faded(ndimage.gaussian_filter(writing[:, ::-1], 1.5),
                                                               0.12, 0.01),
        "covered lens (dark noise)": _gray_png(0.06 + 0.006 * rng.standard_normal((600, 800))),
        "overexposed blank sheet": _gray_png(1.0 + 0.03 * rng.standard_normal((600, 800))),
        "wooden desk, no page (grain at 15%)": _gray_png(0.6 * (1 - 0.15 * streaks(rng, big))
                                                          + 0.004 * rng.standard_normal(big)),
        "recycled paper's fibres at 16%": _gray_png(0.88 * (1 - 0.16 * fibres(rng, big))
                                                     + 0.004 * rng.standard_normal(big)),
        "a coffee ring at 14%": _gray_png(0.85 * (1 - 0.14 * ring) + grain),
        "an eraser's smudge at 15%": _gray_png(0.88 * (1 - 0.15 * smudge) + grain),
    }


EMPTY_PAGES = {
    "blank white page": encode(Image.new("L", (800, 600), 250), "PNG"),
    "all-black image": encode(Image.new("L", (800, 600), 0), "PNG"),
    **not_writing(),
}
