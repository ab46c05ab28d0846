"""Loading any common image safely, as a grayscale float image, within a fixed memory budget.

Pillow decodes; we refuse what is not an image, is truncated, or would take more
memory than DECODE_BUDGET once decoded, judged from its header before any pixel
is decoded. A JPEG is decoded straight to grayscale at a reduced size (its DCT
allows 1/2, 1/4 and 1/8). Whatever the format, the picture is brought to 8-bit
gray band by band (so that a 16-bit, RGBA or CMYK picture never exists twice at
full size), shrunk to the size asked for, and only then made float. EXIF
orientation is applied (phones store portrait photos sideways with a rotation
tag); transparent areas become white paper.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

# The most pixels a header may declare. Memory is bounded by DECODE_BUDGET, not by this: a JPEG is
# decoded at a reduced size (a 150-megapixel one at 1/8 is 2.3 megapixels); kept under the 179
# megapixels past which Pillow refuses a picture as a decompression bomb.
MAX_PIXELS = 150_000_000
# What the decoded picture may take in memory. With the 8-bit gray copy (a quarter of an RGB
# picture) and the work that follows, a load stays within 300 MB (bench/upload_memory.py): a
# 40-megapixel PNG, an 80-megapixel 16-bit gray one, or a JPEG of any accepted size.
DECODE_BUDGET = 160 * 2**20
MAX_BYTES = 50 * 2**20
MIN_SIDE = 16               # smaller than this cannot hold a line of text
BAND_ROWS = 256             # rows brought to gray at a time
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF")   # JPEG covers MPO, the JPEGs of some phone cameras
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"]   # the file name endings offered for upload
# Bytes per pixel of Pillow's decoded picture, by mode (it keeps RGB in 4 bytes); every other mode takes 4.
_STORAGE = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# EXIF orientation -> the transposition that makes the picture upright (as Pillow's ImageOps does).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}


class ImageLoadError(ValueError):
    """An input that cannot be read as a photo of a page."""


def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A grayscale float32 image in [0, 1] (1 = white), upright as the photo was taken."""
    return load_photo(source, None, max_pixels)[0]


def load_photo(source: str | Path | bytes, max_side: int | None,
               max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, float]:
    """Like load_image, but at most `max_side` pixels on the longest side; returns the image and
    its scale (returned pixels per original pixel)."""
    data, name = _read_source(source)
    img, original_side, orientation = _open(data, name, max_side, max_pixels)
    gray = Image.fromarray(_gray8(img))
    del img
    if max_side and max(gray.size) > max_side:
        f = max_side / max(gray.size)
        gray = gray.resize((max(1, round(gray.width * f)), max(1, round(gray.height * f))), Image.Resampling.BOX)
    if orientation in _UPRIGHT:
        gray = gray.transpose(_UPRIGHT[orientation])
    out = np.asarray(gray, dtype=np.float32)
    out /= 255.0
    return out, max(out.shape) / original_side


def _read_source(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "the upload"
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageLoadError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise ImageLoadError(f"{path}: larger than {MAX_BYTES // 2**20} MB")
        data, name = path.read_bytes(), str(path)
    if not data:
        raise ImageLoadError(f"{name} is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise ImageLoadError(f"{name} is larger than {MAX_BYTES // 2**20} MB")
    return data, name


def _open(data: bytes, name: str, max_side: int | None, max_pixels: int) -> tuple[Image.Image, int, int]:
    """The decoded picture, its original longest side and its EXIF orientation; every size is
    checked from the header before anything is decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on bombs: we decide ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            w, h = img.size
            _check_size(name, w, h, max_pixels)
            if max_side and max(w, h) > max_side and img.format in ("JPEG", "MPO"):
                img.draft("L", (max(1, w * max_side // max(w, h)), max(1, h * max_side // max(w, h))))
            decoded = img.width * img.height * _STORAGE.get(img.mode, 4)
            if decoded > DECODE_BUDGET:
                raise ImageLoadError(f"{name} is {w}x{h} pixels, {decoded / 2**20:.0f} MB once decoded, more than "
                                     f"the {DECODE_BUDGET // 2**20} MB accepted; please send a smaller picture "
                                     "(or a JPEG)")
            orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
            img.load()
    except ImageLoadError:
        raise
    except Image.DecompressionBombError:
        raise ImageLoadError(f"{name} has more pixels than the {max_pixels // 10**6} megapixels accepted; "
                             "please send a smaller photo") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name} is not an image (JPEG, PNG, WebP, BMP or TIFF expected)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"{name} could not be decoded; it may be truncated or corrupt ({exc})") from None
    return img, max(w, h), orientation


def _check_size(name: str, w: int, h: int, max_pixels: int) -> None:
    if w * h > max_pixels:
        raise ImageLoadError(f"{name} is {w}x{h} pixels, more than the {max_pixels // 10**6} "
                             "megapixels accepted; please send a smaller photo")
    if min(w, h) < MIN_SIDE:
        raise ImageLoadError(f"{name} is only {w}x{h} pixels: too small to hold text")


def _gray8(img: Image.Image) -> np.ndarray:
    """The picture's luminance as uint8 (255 = white), made band by band so that no full-size
    converted copy of the decoded picture ever exists."""
    out = np.empty((img.height, img.width), np.uint8)
    top = _integer_white(img)
    for row in range(0, img.height, BAND_ROWS):
        band = img.crop((0, row, img.width, min(img.height, row + BAND_ROWS)))
        out[row:row + band.height] = _band_gray8(band, top)
    return out


def _integer_white(img: Image.Image) -> float | None:
    """The value of white in a picture of integer or float pixels (16-bit, 32-bit, float); None for
    the 8-bit modes."""
    if img.mode.startswith("I;16"):
        return 65535.0
    if img.mode in ("I", "F"):
        highest = float(img.getextrema()[1])
        return (65535.0 if highest > 255 else 255.0) if img.mode == "I" else max(highest, 1e-6)
    return None


def _band_gray8(band: Image.Image, white: float | None) -> np.ndarray:
    if white is not None:
        a = np.asarray(band, dtype=np.float32)
        return np.clip(a * (255.0 / white) + 0.5, 0, 255).astype(np.uint8)
    if band.mode in ("RGBA", "LA", "PA") or (band.mode == "P" and "transparency" in band.info):
        rgba = band.convert("RGBA")
        band = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(band.convert("L"))
