"""Seeded, on-the-fly augmentation of characters in the NIST convention.

Each sample gets its own small random affine map (rotation, scale, shear,
shift), optionally bent by a smooth random displacement field (elastic
distortion), applied to the whole batch with one interpolation call, and a random
stroke-width change (a 2x2 minimum filter thickens dark ink, a maximum filter
thins it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mlcore.data.glyphs import SIZE, images_to_rows, rows_to_images

CHUNK = 2048  # samples per interpolation call, to bound the coordinate arrays' memory
ELASTIC_SIGMA = 4.0  # pixels: the smoothing of elastic displacements (Simard et al. use 4 at 28 px)
MAX_ELASTIC = 4.0    # pixels: larger displacements tear a 32 px character apart


@dataclass(frozen=True)
class Augmentation:
    rotation: float = 10.0    # degrees, uniform in +-rotation
    scale: float = 0.10       # relative, uniform in 1 +- scale
    shear: float = 0.15       # shear factor, uniform in +-shear
    shift: float = 2.0        # pixels, uniform in +-shift on each axis
    stroke: float = 0.3       # probability of thickening, and again of thinning
    elastic: float = 0.0      # pixels: RMS size of a smooth random displacement field (0: none)

    def __post_init__(self):
        for name, value, hi in (("rotation", self.rotation, 45.0), ("scale", self.scale, 0.5),
                                ("shear", self.shear, 0.5), ("shift", self.shift, 8.0),
                                ("stroke", self.stroke, 0.5), ("elastic", self.elastic, MAX_ELASTIC)):
            if not np.isfinite(value) or not 0.0 <= value <= hi:
                raise ValueError(f"augmentation {name} must be in [0, {hi}], got {value!r}")

    def __call__(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augmented copies of rows (N, 1024); the input is left untouched."""
        images = rows_to_images(rows)
        out = np.empty(images.shape, dtype=np.float32)
        for start in range(0, len(images), CHUNK):
            out[start:start + CHUNK] = self._warp(images[start:start + CHUNK], rng)
        self._change_strokes(out, rng)
        return images_to_rows(out)

    def _warp(self, images: np.ndarray, rng) -> np.ndarray:
        n = len(images)
        theta = np.deg2rad(rng.uniform(-self.rotation, self.rotation, n))
        scale = 1.0 + rng.uniform(-self.scale, self.scale, n)
        shear = rng.uniform(-self.shear, self.shear, n)
        shift = rng.uniform(-self.shift, self.shift, (n, 2))
        cos, sin = np.cos(theta), np.sin(theta)
        # Inverse map from output (row, col) to input, about the image centre:
        # rotation @ shear, divided by scale.
        a = np.empty((n, 2, 2))
        a[:, 0, 0], a[:, 0, 1] = cos, cos * shear - sin
        a[:, 1, 0], a[:, 1, 1] = sin, sin * shear + cos
        a /= scale[:, None, None]
        c = (SIZE - 1) / 2.0
        grid = np.stack(np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij")).reshape(2, -1) - c
        src = np.einsum("nij,jk->nik", a, grid) + c - shift[:, :, None]     # (n, 2, S*S)
        if self.elastic:
            src += self._displacements(n, rng)
        coords = np.empty((3, n, SIZE * SIZE))
        coords[0] = np.arange(n)[:, None]
        coords[1:] = src.transpose(1, 0, 2)
        warped = ndimage.map_coordinates(images.astype(np.float32), coords.reshape(3, n, SIZE, SIZE),
                                         order=1, mode="constant", cval=1.0)
        return warped

    def _displacements(self, n: int, rng) -> np.ndarray:
        """n smooth random fields (n, 2, S*S), each of RMS length `elastic`."""
        field = smooth_random_field(n, SIZE, ELASTIC_SIGMA, rng)
        field *= self.elastic / np.sqrt((field**2).sum(axis=1).mean(axis=(1, 2)))[:, None, None, None]
        return field.reshape(n, 2, SIZE * SIZE)

    def _change_strokes(self, images: np.ndarray, rng) -> None:
        u = rng.random(len(images))
        thick, thin = u < self.stroke, u > 1.0 - self.stroke
        if thick.any():
            images[thick] = ndimage.minimum_filter(images[thick], size=(1, 2, 2))
        if thin.any():
            images[thin] = ndimage.maximum_filter(images[thin], size=(1, 2, 2))


def smooth_random_field(n: int, size: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """n random displacement fields (n, 2, size, size) for elastic distortion (Simard et al.
    2003): white noise blurred by a Gaussian of `sigma` pixels, wide enough that strokes bend
    rather than break. Not normalised: each caller sets the size of its displacements."""
    return ndimage.gaussian_filter(rng.standard_normal((n, 2, size, size)), sigma=(0, 0, sigma, sigma))
