"""The download command against archives that the tests build and serve on 127.0.0.1."""
import functools
import http.server
import io
import json
import threading
import zipfile

import numpy as np
import pytest
import scipy.io

from mlcore.cli import main
from mlcore.data.datasets import load_dataset
from mlcore.data.download import DownloadError, download_nist36


def _mat_bytes(split, n):
    buf = io.BytesIO()
    labels = np.arange(n) % 36
    scipy.io.savemat(buf, {f"{split}_data": np.random.default_rng(0).random((n, 1024)),
                           f"{split}_labels": np.eye(36, dtype=np.uint8)[labels]})
    return buf.getvalue()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = {f"data/nist36_{s}.mat": _mat_bytes(s, n) for s, n in (("train", 72), ("valid", 36), ("test", 36))}


class _Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, routes, *args, **kwargs):
        self.routes = routes
        super().__init__(*args, **kwargs)

    def do_GET(self):
        body, length = self.routes.get(self.path, (None, None))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    routes = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, routes))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_places_nist36_files_and_they_load(server, tmp_path):
    routes, base = server
    routes["/data.zip"] = (_zip({**GOOD, "data/readme.txt": b"x", "../../evil.mat": b"x"}), None)
    seen = []
    info = download_nist36(tmp_path, url=base + "/data.zip", min_bytes=0, progress=lambda d, t: seen.append((d, t)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nist36_test.mat", "nist36_train.mat", "nist36_valid.mat"]
    assert seen[-1][0] == seen[-1][1] == info["bytes"] and len(info["sha256"]) == 64
    assert load_dataset(root=tmp_path).name == "nist36"
    with pytest.raises(DownloadError, match="--force"):
        download_nist36(tmp_path, url=base + "/data.zip", min_bytes=0)


@pytest.mark.parametrize("body, length, message", [
    (b"<html>not found</html>" * 10, None, "not a zip"),
    (_zip(GOOD), len(_zip(GOOD)) + 1000, "cut short"),
    (_zip({"data/nist36_train.mat": GOOD["data/nist36_train.mat"]}), None, "lacks"),
    (_zip({**GOOD, "data/nist36_test.mat": b"garbage"}), None, "not a valid homework file"),
])
def test_bad_archives_leave_nothing_behind(server, tmp_path, body, length, message):
    routes, base = server
    routes["/data.zip"] = (body, length)
    with pytest.raises(DownloadError, match=message):
        download_nist36(tmp_path, url=base + "/data.zip", min_bytes=0)
    assert list(tmp_path.iterdir()) == []


def test_too_small_download_is_refused(server, tmp_path):
    routes, base = server
    routes["/data.zip"] = (_zip({"data/nist36_train.mat": b"tiny"}), None)
    with pytest.raises(DownloadError, match="not the data archive"):
        download_nist36(tmp_path, url=base + "/data.zip")  # the real minimum size


def test_http_error_and_offline_messages(server, tmp_path, capsys):
    _, base = server
    with pytest.raises(DownloadError, match="404"):
        download_nist36(tmp_path, url=base + "/missing.zip")
    # A closed port on loopback behaves like being offline: a clear message, exit code 2.
    code = main(["download", "--dest", str(tmp_path), "--url", "http://127.0.0.1:9/data.zip"])
    err = capsys.readouterr().err
    assert code == 2 and "could not reach" in err and "offline" in err and "Traceback" not in err


def test_cli_download(server, tmp_path, capsys, monkeypatch):
    import mlcore.data.download as dl
    monkeypatch.setattr(dl, "MIN_BYTES", 0)
    routes, base = server
    routes["/data.zip"] = (_zip(GOOD), None)
    assert main(["download", "--dest", str(tmp_path), "--url", base + "/data.zip"]) == 0
    out = capsys.readouterr()
    assert len(json.loads(out.out)["files"]) == 3
    assert "downloading [" in out.err
