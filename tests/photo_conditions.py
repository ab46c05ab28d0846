"""Harder photos made from the clean pages: the conditions real users shoot in."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.transform import rescale, resize, rotate


def rotated(gray: np.ndarray, degrees: float) -> np.ndarray:
    # Corners revealed by the rotation are filled with the page's own paper colour.
    return rotate(gray, degrees, resize=True, mode="constant", cval=float(np.percentile(gray, 90)))


def shrunk(gray: np.ndarray, width: int = 1000) -> np.ndarray:
    return rescale(gray, width / gray.shape[1], anti_aliasing=True)


def jpeg(gray: np.ndarray, quality: int = 30) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf), dtype=np.float32) / 255.0


def broken(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strokes cut by thin paper-coloured lines (a dry pen, a fold): gaps of about 6% of a character."""
    h, w = gray.shape
    cuts = np.zeros((h, w), dtype=bool)
    for _ in range(int(h * w / 6000)):
        r, c, angle = rng.integers(0, h), rng.integers(0, w), rng.uniform(0, np.pi)
        t = np.arange(-12, 13)
        rr, cc = (r + t * np.sin(angle)).astype(int), (c + t * np.cos(angle)).astype(int)
        ok = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        cuts[rr[ok], cc[ok]] = True
    cuts = ndimage.binary_dilation(cuts, iterations=2)
    return np.where(cuts, np.percentile(gray, 90), gray).astype(np.float32)


def on_desk(gray: np.ndarray, seed: int = 0) -> np.ndarray:
    """The page, at 70% size, lying on a dark wooden desk (grain: stretched noise)."""
    rng = np.random.default_rng(seed)
    h, w = gray.shape
    grain = ndimage.gaussian_filter(rng.standard_normal((h, w)), sigma=(1.5, 40))
    grain = (grain - grain.min()) / np.ptp(grain)
    desk = 0.18 + 0.17 * grain + 0.03 * rng.standard_normal((h, w))
    page = resize(gray, (int(h * 0.7), int(w * 0.7)), anti_aliasing=True)
    top, left = (h - page.shape[0]) // 3, (w - page.shape[1]) // 2
    out = desk.copy()
    out[top:top + page.shape[0], left:left + page.shape[1]] = page
    return np.clip(out, 0, 1).astype(np.float32)


def hand_shadow(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A hand held over the page: a soft dark blob towards a corner, down to 40% light, and a gentle
    light falloff (a steep-edged shadow with a dark core, where `shadowed` is an even ramp)."""
    h, w = gray.shape
    centre = (rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0))
    falloff = 0.15 * np.arange(w, dtype=np.float32) / w
    return (gray * (shadow_light((h, w), centre) - falloff)).astype(np.float32)


def shadow_light(shape: tuple[int, int], centre: tuple[float, float]) -> np.ndarray:
    """The light under hand_shadow's blob centred at `centre` (row, column, as shares of the sides)."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    d = np.hypot(yy / shape[0] - centre[0], xx / shape[1] - centre[1])
    return 1.0 - 0.6 * np.clip(1.2 - 2.5 * d, 0, 1)


def shadowed(gray: np.ndarray) -> np.ndarray:
    """A hand's shadow: light falling from 100% to 45% across the page, diagonally."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w]
    ramp = (xx / w + yy / h) / 2
    return (gray * (1.0 - 0.55 * ramp)).astype(np.float32)


def darkness(gray: np.ndarray) -> np.ndarray:
    """How much darker than its paper (the 95th percentile) each pixel of a page is: 0 paper, 1 black."""
    return np.clip(1.0 - gray / np.percentile(gray, 95), 0.0, 1.0)


def faint_pencil(gray: np.ndarray, seed: int = 0, contrast: float = 0.2) -> np.ndarray:
    """Pencil on grey paper: the writing `contrast` times as dark, against paper at 55% light, as it was
    against its own paper (a pencil stroke 20% darker than the sheet), with 1% sensor noise."""
    rng = np.random.default_rng(seed)
    photo = 0.55 * (1.0 - contrast * darkness(gray)) + 0.01 * rng.standard_normal(gray.shape)
    return np.clip(photo, 0.0, 1.0).astype(np.float32)


def sun_through_blinds(gray: np.ndarray, brighter: float = 0.15, bands: int = 20) -> np.ndarray:
    """Stripes of sunlight across the page: every other of `bands` bands `brighter` times as bright."""
    band = (np.arange(gray.shape[0]) // max(1, gray.shape[0] // bands)) % 2
    return np.clip(gray * (1.0 + brighter * band[:, None]), 0.0, 1.0).astype(np.float32)


CONDITIONS = {
    "rotated +15": lambda g: rotated(g, 15),
    "rotated -15": lambda g: rotated(g, -15),
    "1000 px wide": shrunk,
    "JPEG quality 30": jpeg,
    "on a dark desk": on_desk,
    "shadow gradient": shadowed,
    "faint pencil on grey paper": faint_pencil,
    "stripes of sunlight": sun_through_blinds,
}
