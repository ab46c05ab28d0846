"""Loading any common image safely, as a grayscale float image.

Pillow decodes; we refuse what is not an image, is truncated, or has more
pixels than MAX_PIXELS (a decompression bomb), before decoding the pixels.
EXIF orientation is applied (phones store portrait photos sideways with a
rotation tag); 16-bit, RGBA, palette, grayscale and CMYK are all normalised to
a float32 luminance in [0, 1], transparent areas becoming white paper.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 60_000_000     # ~ a 60-megapixel photo; more is refused
MAX_BYTES = 50 * 2**20
MIN_SIDE = 16               # smaller than this cannot hold a line of text
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"]   # the file name endings offered for upload


class ImageLoadError(ValueError):
    """An input that cannot be read as a photo of a page."""


def _to_gray(img: Image.Image) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        return np.clip(a / top, 0, 1).astype(np.float32)
    if img.mode == "F":
        a = np.asarray(img, dtype=np.float32)
        return np.clip(a / max(float(a.max()), 1e-6), 0, 1)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A grayscale float32 image in [0, 1] (1 = white), upright as the photo was taken."""
    return load_photo(source, None, max_pixels)[0]


def load_photo(source: str | Path | bytes, max_side: int | None,
               max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, float]:
    """Like load_image, but at most `max_side` pixels on the longest side; returns the image and
    its scale (returned pixels per original pixel).

    A JPEG is decoded directly at a reduced size (its DCT allows 1/2, 1/4 and
    1/8), several times faster than decoding 12 megapixels and shrinking them.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        name = "the upload"
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageLoadError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise ImageLoadError(f"{path}: larger than {MAX_BYTES // 2**20} MB")
        data = path.read_bytes()
        name = str(path)
    if not data:
        raise ImageLoadError(f"{name} is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise ImageLoadError(f"{name} is larger than {MAX_BYTES // 2**20} MB")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on bombs: we decide ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > max_pixels:
                raise ImageLoadError(f"{name} is {w}x{h} pixels, more than the {max_pixels // 10**6} "
                                     "megapixels accepted; please send a smaller photo")
            if max_side and max(w, h) > max_side and img.format == "JPEG":
                img.draft(img.mode, (max(1, w * max_side // max(w, h)), max(1, h * max_side // max(w, h))))
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
    img = ImageOps.exif_transpose(img)
    if min(img.size) < MIN_SIDE:
        raise ImageLoadError(f"{name} is only {img.size[0]}x{img.size[1]} pixels: too small to hold text")
    original_side = max(w, h)
    gray = _to_gray(img)
    if max_side and max(gray.shape) > max_side:
        f = max_side / max(gray.shape)
        size = (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f)))
        gray = np.asarray(Image.fromarray(gray, mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32)
    return gray, max(gray.shape) / original_side
