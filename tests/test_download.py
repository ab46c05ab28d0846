"""Downloads against a server the tests start on 127.0.0.1, serving files built from the real data in the
real formats (MNIST's gzip IDX files, the homework's data.zip of .mat files)."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import mlcore.data.download as dl
from mlcore.cli import main
from mlcore.data.datasets import dataset_summary, load_dataset
from mlcore.data.download import DownloadError, Meter, RemoteFile, download
from mlcore.data.formats import read_idx
from mlcore.data.paths import data_dir
from tests.app_helpers import open_page
from tests.clusters import free_port


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@functools.cache
def _mnist_files() -> dict[str, bytes]:
    """MNIST's four files, in its format, made of the real digits: 600 for training, 200 for testing."""
    images = read_idx(data_dir() / "mnist" / "mnist-8000-images-idx3-ubyte.gz")
    labels = read_idx(data_dir() / "mnist" / "mnist-8000-labels-idx1-ubyte.gz")
    return {"train-images-idx3-ubyte.gz": _idx(images[:600]), "train-labels-idx1-ubyte.gz": _idx(labels[:600]),
            "t10k-images-idx3-ubyte.gz": _idx(images[600:800]), "t10k-labels-idx1-ubyte.gz": _idx(labels[600:800])}


@functools.cache
def _data_zip() -> bytes:
    """The homework's data.zip layout, its three .mat files made of real letters and digits."""
    ds = load_dataset("handwriting")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for split, part in ds.splits().items():
            keep = np.concatenate([np.flatnonzero(part.y == c)[:3] for c in range(36)])
            mat = io.BytesIO()
            scipy.io.savemat(mat, {f"{split}_data": part.X[keep].astype(np.float64),
                                   f"{split}_labels": np.eye(36, dtype=np.uint8)[part.y[keep]]})
            zf.writestr(f"data/nist36_{split}.mat", mat.getvalue())
        zf.writestr("../../evil.mat", b"x")   # a member that must not be written outside the data directory
    return buf.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves routes[path] = (body, how): how is 'ok', 'short' (a truncated file: its last 1000 bytes
    missing) or 'stop' (announces the whole file, closes the connection half-way through it)."""

    def __init__(self, routes, hits, *args, **kwargs):
        self.routes, self.hits = routes, hits
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self.hits.append(self.path)
        body, how = self.routes.get(self.path, (None, None))
        if body is None:
            self.send_error(404)
            return
        body = body[:-1000] if how == "short" else body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if how == "stop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    routes, hits = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, routes, hits))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield routes, hits, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _mnist_source(base: str, corrupt: str | None = None, mirrors: tuple[str, ...] = ()) -> dl.Source:
    """MNIST as published (names, sizes, MD5s) for the files served at base; `corrupt`: the one file whose
    published MD5 is not what the server has."""
    files = []
    for name, body in _mnist_files().items():
        md5 = hashlib.md5(body).hexdigest() if name != corrupt else "0" * 32
        files.append(RemoteFile(name, tuple(m + "/" + name for m in (*mirrors, base)), len(body), md5))
    return replace(dl.SOURCES["mnist"], files=tuple(files))


def _serve_mnist(routes, **how):
    for name, body in _mnist_files().items():
        routes["/" + name] = (body, how.get(name.split("-")[0] + "_" + name.split("-")[1], "ok"))


def _left_behind(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != "keep.txt")


@pytest.mark.real_data
def test_mnist_is_fetched_verified_and_split_by_its_published_parts(server, tmp_path):
    routes, _, base = server
    _serve_mnist(routes)
    seen = []
    result = download(_mnist_source(base), tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(_mnist_files())
    total = sum(len(b) for b in _mnist_files().values())
    assert seen[-1] == (total, total) and result["bytes"] == total
    # its training part never reaches the test split, its test part nothing else
    sizes = dataset_summary("handwriting", tmp_path)
    assert sizes["test"]["n"] == 200 and sizes["train"]["n"] + sizes["valid"]["n"] == 600
    assert load_dataset("handwriting", tmp_path).summary() == sizes


@pytest.mark.real_data
def test_a_training_sample_that_is_also_a_test_sample_is_left_out(server, tmp_path):
    routes, _, base = server
    _serve_mnist(routes)
    download(_mnist_source(base), tmp_path)
    # a third file repeats 50 of the test part's digits beside 100 of its own (as the shared 8,000 do)
    images = read_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz")[:50]
    labels = read_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz")[:50]
    own = read_idx(data_dir() / "mnist" / "mnist-8000-images-idx3-ubyte.gz")[1000:1100]
    own_labels = read_idx(data_dir() / "mnist" / "mnist-8000-labels-idx1-ubyte.gz")[1000:1100]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "more-images-idx3-ubyte.gz").write_bytes(_idx(np.concatenate([images, own])))
    (tmp_path / "other" / "more-labels-idx1-ubyte.gz").write_bytes(_idx(np.concatenate([labels, own_labels])))
    ds = load_dataset("handwriting", tmp_path)
    tested = {x.tobytes() for x in ds.test.X}
    assert not tested.intersection(x.tobytes() for x in np.concatenate([ds.train.X, ds.valid.X]))
    # the repeats that the split gave to train or valid (most of the 50) are gone
    assert 900 <= len(ds.train) + len(ds.valid) + len(ds.test) < 940
    assert dataset_summary("handwriting", tmp_path) == ds.summary()


@pytest.mark.real_data
def test_a_mirror_that_fails_is_passed_over(server, tmp_path):
    routes, hits, base = server
    _serve_mnist(routes)
    download(_mnist_source(base, mirrors=(base + "/gone",)), tmp_path)
    assert len(list((tmp_path / "mnist").iterdir())) == 4
    assert any(h.startswith("/gone/") for h in hits)


@pytest.mark.real_data
@pytest.mark.parametrize("how, corrupt, message", [
    ({"train_images": "short"}, None, "cut short"),
    ({"train_images": "stop"}, None, "cut short|broke"),
    ({}, "train-images-idx3-ubyte.gz", "checksum"),
])
def test_a_bad_download_leaves_nothing_and_loses_nothing(server, tmp_path, how, corrupt, message):
    routes, _, base = server
    _serve_mnist(routes, **how)
    earlier = tmp_path / "mnist" / "keep.txt"
    earlier.parent.mkdir()
    earlier.write_text("a file that was here before")
    with pytest.raises(DownloadError, match=message):
        download(_mnist_source(base, corrupt=corrupt), tmp_path)
    assert earlier.read_text() == "a file that was here before"
    assert _left_behind(tmp_path) == ["mnist"]     # not one partial file, no staging folder


@pytest.mark.real_data
def test_no_server_at_all_says_offline(tmp_path):
    source = _mnist_source(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DownloadError, match="offline"):
        download(source, tmp_path)
    assert _left_behind(tmp_path) == ["mnist"]


@pytest.mark.real_data
def test_asking_again_fetches_only_what_is_missing(server, tmp_path):
    routes, hits, base = server
    _serve_mnist(routes, t10k_images="stop")
    with pytest.raises(DownloadError):
        download(_mnist_source(base), tmp_path)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == ["train-images-idx3-ubyte.gz",
                                                                       "train-labels-idx1-ubyte.gz"]
    _serve_mnist(routes)
    hits.clear()
    result = download(_mnist_source(base), tmp_path)
    assert sorted(hits) == ["/t10k-images-idx3-ubyte.gz", "/t10k-labels-idx1-ubyte.gz"]
    assert sorted(result["kept"]) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


@pytest.mark.slow
@pytest.mark.real_data
def test_the_homework_archive_gives_its_three_files_and_nothing_else(server, tmp_path):
    routes, _, base = server
    routes["/data.zip"] = (_data_zip(), "ok")
    download(dl.mirrored(dl.SOURCES["nist36"], base), tmp_path)
    assert sorted(p.name for p in (tmp_path / "nist36").iterdir()) == [
        "nist36_test.mat", "nist36_train.mat", "nist36_valid.mat"]
    assert not list(tmp_path.parent.glob("evil.mat")) and load_dataset(root=tmp_path).name == "nist36"


def _without_test_file() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_data_zip())) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if "test" not in info.filename:
                dst.writestr(info, src.read(info))
    return buf.getvalue()


@pytest.mark.parametrize("body, message", [
    (lambda: b"<html>not found</html>", "not a zip"),
    pytest.param(_without_test_file, "lacks", marks=pytest.mark.real_data),   # made of real characters
])
def test_a_bad_archive_leaves_nothing(server, tmp_path, body, message):
    routes, _, base = server
    routes["/data.zip"] = (body(), "ok")
    with pytest.raises(DownloadError, match=message):
        download(dl.mirrored(dl.SOURCES["nist36"], base), tmp_path)
    assert _left_behind(tmp_path) == ["nist36"]


@pytest.mark.real_data
def test_the_train_page_offers_the_downloaded_data(server, tmp_path, monkeypatch):
    routes, _, base = server
    _serve_mnist(routes)
    download(_mnist_source(base), tmp_path)
    monkeypatch.setenv("MLCORE_DATA_DIR", str(tmp_path))
    at = open_page("app_pages/train.py")
    assert at.selectbox(key="ts_dataset").options[0].startswith("handwriting")
    assert "synthetic" in " ".join(at.selectbox(key="ts_dataset").options)


@pytest.mark.real_data
def test_cli_download(server, tmp_path, capsys, monkeypatch):
    routes, _, base = server
    _serve_mnist(routes)
    monkeypatch.setitem(dl.SOURCES, "mnist", _mnist_source("http://unused"))
    assert main(["download", "mnist", "--dest", str(tmp_path), "--mirror", base]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)[0]["placed"] and "MB of" in out.err
    with pytest.raises(SystemExit) as usage:
        main(["download", "emnist", "--dest", str(tmp_path)])
    assert usage.value.code == 2 and "unknown data 'emnist'" in capsys.readouterr().err
    assert main(["download", "nist36", "--dest", str(tmp_path), "--mirror", f"http://127.0.0.1:{free_port()}"]) == 2
    err = capsys.readouterr().err
    assert "offline" in err and "Traceback" not in err


def test_the_meter_tells_bytes_and_time_left():
    now = iter([0.0, 2.0, 2.0])
    meter = Meter(clock=lambda: next(now))
    assert meter.text(4_000_000, 10_000_000) == "4.0 MB of 10.0 MB, about 3 s left"
    assert meter.text(1_000_000, None) == "1.0 MB so far"
