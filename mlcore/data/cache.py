"""Arrays the project computes from data once per machine (drawn characters), kept in the cache folder.

A file holds named arrays; reading checks them with the caller's `valid`, and anything absent, damaged or
not as expected reads as None (computed again). Writing goes through a private temporary file renamed
into place, so two processes filling the cache at once each leave a whole file, and a cache that cannot
be written (a full or read-only disk) only makes the next start slower.
"""
from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def read_arrays(path: Path, names: tuple[str, ...],
                valid: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in names}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return arrays if valid(arrays) else None


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as f:
            np.savez(f, **arrays)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
