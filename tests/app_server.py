"""The real app for tests and benchmarks: `streamlit run` on a free localhost port, and the Chromium that
drives it (Debian's, through Playwright)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlcore.data.paths import REPO_ROOT
from tests.clusters import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def need_browser():
    """Skip without Chromium and Playwright (fail where MLCORE_REQUIRE_BROWSER is set, as in CI)."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        chromium = None
    else:
        chromium = CHROMIUM
    if chromium:
        return
    if os.environ.get("MLCORE_REQUIRE_BROWSER"):
        pytest.fail("Chromium or Playwright is missing but MLCORE_REQUIRE_BROWSER is set")
    pytest.skip("Chromium or Playwright is not installed")


@contextmanager
def streamlit_server(runs_dir: Path, secrets: Path | None = None, **env_vars: str):
    """`streamlit run` on a free localhost port, its runs in runs_dir, its secrets from `secrets` (a TOML
    file), `env_vars` added to its environment; SIGKILLed on exit."""
    port = free_port()
    env = {**os.environ, "MLCORE_RUNS_DIR": str(runs_dir), "PYTHONPATH": str(REPO_ROOT), **env_vars}
    flags = ["--secrets.files", str(secrets)] if secrets else []
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true", *flags],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
