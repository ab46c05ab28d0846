"""Public handwriting sets, fetched only when a user asks: what each is, where from, how it is verified.

Every file is streamed to a hidden staging file in its destination folder, verified (its byte count
and, where the publishers give one, its checksum; an archive by its contents), and only then renamed
into place, so nothing half-written is ever where a loader looks and a failure leaves nothing behind.
Files already in place are kept: a download that failed part-way is resumed by asking again, and only
what is missing is fetched. Mirrors are tried in order.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mlcore.data.datasets import NIST36_FILES
from mlcore.data.formats import DataFormatError, load_mat, read_idx

CHUNK = 1 << 16
MAX_ARCHIVE_BYTES = 1 << 30
Progress = Callable[[int, int | None], None]


class DownloadError(RuntimeError):
    """The download failed or produced something that is not the expected file."""


@dataclass(frozen=True)
class RemoteFile:
    name: str                 # its name in the destination folder
    urls: tuple[str, ...]     # mirrors, tried in order
    size: int | None = None   # bytes, as published (None: not published)
    md5: str | None = None    # as published by the projects that mirror it (None: checked by contents)


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    about: str
    origin: str
    verified: str             # how a download is known to be right
    folder: str               # under the data directory
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if None in sizes else sum(sizes)


def _mnist_file(name: str, size: int, md5: str) -> RemoteFile:
    return RemoteFile(name, tuple(m + name for m in MNIST_MIRRORS), size, md5)


# The mirrors torchvision and TensorFlow use (LeCun's own page now refuses scripts); the sizes and MD5s
# are those torchvision's MNIST dataset publishes and checks.
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")
SOURCES = {
    "mnist": Source(
        "mnist", "MNIST digits",
        "60,000 training and 10,000 test handwritten digits (28x28), the standard set; its training and "
        "test writers are disjoint.",
        "LeCun, Cortes and Burges (yann.lecun.com/exdb/mnist), from NIST Special Databases 1 and 3, "
        "through the mirrors torchvision and TensorFlow use",
        "each file's size and the MD5 checksum torchvision publishes",
        "mnist",
        (_mnist_file("train-images-idx3-ubyte.gz", 9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
         _mnist_file("train-labels-idx1-ubyte.gz", 28881, "d53e105ee54ea40749a09fcbcd1e9432"),
         _mnist_file("t10k-images-idx3-ubyte.gz", 1648877, "9fb629c4189551a2d022fa330f9573f3"),
         _mnist_file("t10k-labels-idx1-ubyte.gz", 4542, "ec29112dd5afa0611ce80d1b7f02629c"))),
    "nist36": Source(
        "nist36", "NIST36 letters and digits",
        "The CMU 16-720 homework's own data.zip: 10,800 training, 3,600 validation and 1,800 test "
        "32x32 characters, A-Z and 0-9, from NIST Special Database 19.",
        "CMU 16-720 (www.cs.cmu.edu/~lkeselma/16720a_data/), from NIST Special Database 19",
        "its contents (no size or checksum is published): the zip's CRCs, the three .mat files readable",
        "nist36",
        (RemoteFile("data.zip", ("http://www.cs.cmu.edu/~lkeselma/16720a_data/data.zip",)),)),
}


def provides(remote: RemoteFile) -> list[str]:
    """The files a remote file leaves in the destination: an archive is not kept, what it unpacks to is."""
    return list(NIST36_FILES.values()) if remote.name.endswith(".zip") else [remote.name]


def missing(source: Source, root: Path) -> list[RemoteFile]:
    """The source's files not yet in place under root."""
    dest = Path(root) / source.folder
    return [f for f in source.files if not all((dest / n).exists() for n in provides(f))]


def _open(url: str, timeout: float):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"could not reach {url} ({reason}): is this machine offline?") from None


def _stream(url: str, out, expected: int | None, progress: Callable[[int], None], timeout: float) -> str:
    """Copy url into out, checking the byte count; returns the MD5 of what arrived."""
    limit = expected if expected is not None else MAX_ARCHIVE_BYTES
    with _open(url, timeout) as response:
        length = response.headers.get("Content-Length")
        announced = int(length) if length and length.isdigit() else None
        if announced is not None and announced > limit:
            raise DownloadError(f"{url}: the server offers {announced:,} bytes where {limit:,} are expected")
        digest, done = hashlib.md5(usedforsecurity=False), 0
        try:
            while chunk := response.read(CHUNK):
                done += len(chunk)
                if done > limit:
                    raise DownloadError(f"{url}: more than the {limit:,} bytes expected; refused")
                digest.update(chunk)
                out.write(chunk)
                progress(len(chunk))
        except http.client.IncompleteRead:
            pass   # judged below, as a short download
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"{url}: the connection broke after {done:,} bytes ({exc})") from None
    wanted = expected if expected is not None else announced
    if wanted is not None and done != wanted:
        raise DownloadError(f"{url}: received {done:,} of {wanted:,} bytes; the download was cut short")
    return digest.hexdigest()


def _fetch_verified(remote: RemoteFile, staged: Path, progress: Callable[[int], None], timeout: float) -> None:
    """Fetch remote into staged from the first mirror that gives the right bytes."""
    errors = []
    for url in remote.urls:
        with open(staged, "wb") as out:
            try:
                md5 = _stream(url, out, remote.size, progress, timeout)
            except DownloadError as exc:
                errors.append(str(exc))
                continue
        if remote.md5 is None or md5 == remote.md5:
            return
        errors.append(f"{url}: the file's checksum is {md5}, not the published {remote.md5}")
    raise DownloadError("; ".join(errors))


def _check_idx(path: Path) -> None:
    try:
        read_idx(path)
    except DataFormatError as exc:
        raise DownloadError(f"{path.name} is not a valid IDX file: {exc}") from None


def _unpack_nist36(archive: Path, staging: Path) -> list[Path]:
    """The three nist36 .mat files of data.zip, staged and checked; nothing else of the archive."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise DownloadError("the download is not a zip archive") from None
    with zf:
        bad = zf.testzip()
        if bad is not None:
            raise DownloadError(f"the archive is corrupt (bad CRC in {bad})")
        # Members are taken by their base name, so that one named '../x' cannot write outside staging.
        members = {Path(info.filename).name: info for info in zf.infolist() if not info.is_dir()}
        missing = [n for n in NIST36_FILES.values() if n not in members]
        if missing:
            raise DownloadError(f"the archive lacks {', '.join(missing)}")
        staged = []
        for split, name in NIST36_FILES.items():
            target = staging / name
            with zf.open(members[name]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            try:
                if split not in load_mat(target):
                    raise DownloadError(f"{name} has no {split}_data")
            except DataFormatError as exc:
                raise DownloadError(f"{name} is not a valid homework file: {exc}") from None
            staged.append(target)
        return staged


def _stage(remote: RemoteFile, staging: Path, progress: Callable[[int], None], timeout: float) -> list[Path]:
    """Fetch and verify one remote file in staging; returns the files to be placed."""
    staged = staging / remote.name
    _fetch_verified(remote, staged, progress, timeout)
    if remote.name.endswith(".zip"):
        return _unpack_nist36(staged, staging)
    if "idx" in remote.name:
        _check_idx(staged)
    return [staged]


def download(source: Source, root: Path, progress: Progress | None = None, timeout: float = 30.0,
             force: bool = False) -> dict:
    """Fetch what of `source` is not yet under root (all of it with force); each file placed only once
    verified, so that a failure leaves what was there before."""
    dest = Path(root) / source.folder
    dest.mkdir(parents=True, exist_ok=True)
    todo = list(source.files) if force else missing(source, root)
    total = None if any(f.size is None for f in todo) else sum(f.size for f in todo)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    placed = []
    for remote in todo:
        # A hidden folder beside the destination: the same disk (rename is atomic), never read by a loader.
        with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as staging:
            for path in _stage(remote, Path(staging), advance, timeout):
                os.replace(path, dest / path.name)
                placed.append(str(dest / path.name))
    kept = [n for f in source.files if f not in todo for n in provides(f)]
    return {"source": source.key, "folder": str(dest), "bytes": done, "placed": placed, "kept": kept}


def mirrored(source: Source, base_url: str) -> Source:
    """The source fetched from another server that holds the same file names (a local mirror)."""
    files = tuple(RemoteFile(f.name, (base_url.rstrip("/") + "/" + f.name,), f.size, f.md5) for f in source.files)
    return replace(source, files=files)


class Meter:
    """Bytes done, rate and time left of a download, as one line of text."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock, self.start = clock, clock()

    def text(self, done: int, total: int | None) -> str:
        mb = f"{done / 1e6:.1f} MB"
        elapsed = self.clock() - self.start
        if not total:
            return f"{mb} so far"
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", about {max(total - done, 0) / rate:.0f} s left" if rate > 0 and done < total else ""
        return f"{mb} of {total / 1e6:.1f} MB{left}"
