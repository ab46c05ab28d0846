"""Fetch the course's data.zip on request and unpack its NIST36 .mat files.

Nothing is downloaded unless a user asks. The archive is streamed to a
temporary file with a progress callback, then sanity-checked before anything
is written beside the user's data: the byte count against Content-Length, a
plausible size, the zip's own CRCs, and the presence and shape of the three
nist36 files. Existing files are kept unless `force` is given.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from mlcore.data.datasets import NIST36_FILES
from mlcore.data.formats import DataFormatError, load_mat

DATA_URL = "http://www.cs.cmu.edu/~lkeselma/16720a_data/data.zip"
MIN_BYTES = 1 * 2**20     # the real archive is tens of MB; less is an error page
MAX_BYTES = 2 * 2**30
CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """The download failed or produced something that is not the expected archive."""


def _fetch(url: str, out, progress: Callable[[int, int | None], None] | None, timeout: float) -> tuple[int, str]:
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"could not reach {url} ({reason}). Are you offline? You can also download "
                            "data.zip by hand and put its nist36_*.mat files in your data directory.") from None
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > MAX_BYTES:
            raise DownloadError(f"{url}: {total} bytes is larger than expected; refusing")
        digest, done = hashlib.sha256(), 0
        while chunk := response.read(CHUNK):
            done += len(chunk)
            if done > MAX_BYTES:
                raise DownloadError(f"{url}: more than {MAX_BYTES} bytes; refusing")
            digest.update(chunk)
            out.write(chunk)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        raise DownloadError(f"{url}: received {done} of {total} bytes; the download was cut short")
    return done, digest.hexdigest()


def _extract_nist36(archive: Path, dest: Path, min_bytes: int) -> list[Path]:
    if archive.stat().st_size < min_bytes:
        raise DownloadError(f"the download is only {archive.stat().st_size} bytes: not the data archive")
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise DownloadError("the download is not a zip archive") from None
    with zf, tempfile.TemporaryDirectory(dir=dest) as staging:
        bad = zf.testzip()
        if bad is not None:
            raise DownloadError(f"the archive is corrupt (bad CRC in {bad})")
        # Only the three known files are taken, by their base name, so a member
        # named '../x' cannot write outside the destination.
        members = {Path(info.filename).name: info for info in zf.infolist() if not info.is_dir()}
        missing = [n for n in NIST36_FILES.values() if n not in members]
        if missing:
            raise DownloadError(f"the archive lacks {', '.join(missing)}")
        staged = []
        for split, name in NIST36_FILES.items():
            target = Path(staging) / name
            with zf.open(members[name]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            try:
                if split not in load_mat(target):
                    raise DownloadError(f"{name} has no {split}_data")
            except DataFormatError as exc:
                raise DownloadError(f"{name} is not a valid homework file: {exc}") from None
            staged.append(target)
        return [Path(shutil.move(str(p), dest / p.name)) for p in staged]


def download_nist36(dest: Path, url: str = DATA_URL, force: bool = False,
                    progress: Callable[[int, int | None], None] | None = None,
                    timeout: float = 30.0, min_bytes: int | None = None) -> dict:
    """Download data.zip and place nist36_train/valid/test.mat in `dest`."""
    dest = Path(dest)
    existing = [dest / n for n in NIST36_FILES.values() if (dest / n).exists()]
    if existing and not force:
        raise DownloadError(f"{dest} already has {', '.join(p.name for p in existing)}; use --force to replace")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest, suffix=".zip.part") as tmp:
        size, sha256 = _fetch(url, tmp, progress, timeout)
        tmp.flush()
        files = _extract_nist36(Path(tmp.name), dest, MIN_BYTES if min_bytes is None else min_bytes)
    return {"url": url, "bytes": size, "sha256": sha256, "files": [str(f) for f in files]}
