"""A class on one server: 10 visitors train at once while an 11th browses, in real Chromium sessions.

    MLCORE_DATA_DIR=../shared/data python -m bench.load_test [--cluster embedded|external] [--no-baseline]

Starts `streamlit run` on localhost (with `--cluster external`, also `dask scheduler` and two `dask worker`
processes, which the server submits to), opens 10 visitor sessions that each press Train (5 CNNs of 3 epochs,
5 homework MLPs, each visitor with a seed of their own), and while they train times an 11th visitor's Home
and Read a page (navigation until the page's last element is drawn). The ten visitors' Chromium gets
0.3 of a core (a CPU cgroup, where the machine allows it): in a class their pages render on their own
machines, not on the server.
Samples the server's and every worker's resident memory twice a second, checks that all 10 runs end
completed with their own curves, then closes the visitors and reads the server's memory two minutes later.
The baseline is the same 10 trainings one after another through the CLI, in this same script. Everything
is bounded in time (--timeout) and stops by itself. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from mlcore.registry import Registry
from tests.app_server import CHROMIUM, FLAGS, streamlit_server
from tests.clusters import dask_cluster

ROOT = Path(__file__).resolve().parents[1]

CNN = "arch=cnn&optimizer=adam&lr=0.001&batch=64&epochs=3&augment=1&elastic=1.5"
HOMEWORK = "arch=mlp&hidden=64&activation=sigmoid&init=xavier&optimizer=sgd&lr=0.0175&batch=5&epochs=30&augment=0" \
           "&standardize=0"
CLI = {CNN: "--arch cnn --optimizer adam --lr 1e-3 --batch-size 64 --epochs 3 --augment --elastic 1.5",
       HOMEWORK: "--hidden 64 --activation sigmoid --init xavier --optimizer sgd --lr 0.0175 --batch-size 5 "
                 "--epochs 30 --no-standardize"}
WORKER_LIMIT_MB = 1024
VISITORS_CPU = 0.3   # of one core, for the ten visitors' browser


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Every descendant process of pid (an embedded cluster's workers are the server's children)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").iterdir():
            kids = [int(k) for k in (task / "children").read_text().split()]
            found += kids
            todo += kids
    return found


class Sampler(threading.Thread):
    """The server's and the workers' resident memory, twice a second."""

    def __init__(self, server: int, workers: list[int] | None):
        super().__init__(daemon=True)
        self.server, self.workers = server, workers
        self.server_mb: list[float] = []
        self.worker_peak: dict[int, float] = {}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            try:
                self.server_mb.append(rss_mb(self.server))
                for pid in self.workers or children(self.server):
                    self.worker_peak[pid] = max(self.worker_peak.get(pid, 0.0), rss_mb(pid))
            except (FileNotFoundError, ProcessLookupError):  # a process that just ended
                continue


def capped_chromium(folder: Path) -> Path:
    """A launcher of Chromium for the ten visitors, whose pages would render on their own machines, not on
    the server: in a CPU cgroup of VISITORS_CPU of one core where this machine allows it (as root), and at
    the lowest priority (which Chromium, as root, may raise again for its renderers)."""
    group = Path("/sys/fs/cgroup/cpu/mlcore-load-test-visitors")
    join = ""
    try:
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(int(VISITORS_CPU * 100000)))
        join = f"echo $$ > {group / 'tasks'}\n"
    except OSError:
        print("no CPU cgroup here: the visitors' browser runs at the lowest priority only", file=sys.stderr)
    launcher = folder / "chromium-visitors"
    launcher.write_text(f'#!/bin/sh\n{join}exec nice -n 19 {CHROMIUM} "$@"\n')
    launcher.chmod(0o755)
    return launcher


def timed_visit(page, url: str, ready_text: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.get_by_text(ready_text).first.wait_for()
    return time.perf_counter() - start


def visitors_train(browser, url: str) -> tuple[list, list[float]]:
    """Ten visitors each start a training, each with a seed of their own (so that each has its own curves)."""
    pages, clicks = [], []
    for i in range(10):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/train?{CNN if i % 2 == 0 else HOMEWORK}&seed={i}")
        page.get_by_role("button", name="Train", exact=True).click()
        clicks.append(time.time())   # the registry's clock, which dates each saved run
        pages.append(page)
    return pages, clicks


def browse_while_training(browser, url: str, runs: Registry, n: int, deadline: float) -> dict:
    """The 11th visitor's page times, until the n runs are saved (the registry, not the visitors' slow
    pages, says when a training has ended)."""
    observer = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    observer.set_default_timeout(120_000)
    times = {"home": [], "read_a_page": []}
    while len(runs.list()) < n and time.perf_counter() < deadline:
        times["home"].append(timed_visit(observer, url, "Test letters"))
        times["read_a_page"].append(timed_visit(observer, f"{url}/ocr", "test accuracy:"))
        time.sleep(1.0)
    return times


def _shows_results(page) -> bool:
    try:
        page.get_by_text("Test balanced accuracy").wait_for(timeout=60_000)
        return True
    except Exception:  # Playwright's TimeoutError: the page did not show them within a minute
        return False


def sequential_cli(data_dir: str) -> float:
    start = time.perf_counter()
    for i in range(10):
        options = CLI[CNN if i % 2 == 0 else HOMEWORK].split() + ["--seed", str(i)]
        subprocess.run([sys.executable, "-m", "mlcore", "train", "--dataset", "handwriting", "--quiet", *options],
                       cwd=ROOT, check=True, capture_output=True, env={**os.environ, "MLCORE_DATA_DIR": data_dir})
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", choices=("embedded", "external"), default="embedded")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds for the whole training phase")
    parser.add_argument("--linger", type=float, default=120.0, help="seconds to wait after the visitors left")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env, worker_pids, workers = {}, None, None
        if args.cluster == "external":
            address, workers, pids = stack.enter_context(dask_cluster(tmp / "cluster"))
            env, worker_pids = {"MLCORE_DASK_SCHEDULER": address}, list(pids.values())
        proc, url = stack.enter_context(streamlit_server(tmp / "runs", **env))
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        visitors_browser = p.chromium.launch(executable_path=str(capped_chromium(tmp)), args=FLAGS)
        warm = browser.new_page()
        warm.set_default_timeout(120_000)
        timed_visit(warm, url, "Test letters")
        idle = {"home": timed_visit(warm, url, "Test letters"),
                "read_a_page": timed_visit(warm, f"{url}/ocr", "test accuracy:")}
        sampler = Sampler(proc.pid, worker_pids)
        sampler.start()
        pages, clicks = visitors_train(visitors_browser, url)
        registry = Registry(tmp / "runs")
        during = browse_while_training(browser, url, registry, len(pages), time.perf_counter() + args.timeout)
        during_mb = list(sampler.server_mb)
        saved = [r.created for r in registry.list()]
        wall = max(saved) - clicks[0] if len(saved) == len(pages) else None
        shown = sum(_shows_results(page) for page in pages)
        for page in pages:
            page.context.close()
        time.sleep(args.linger)
        after_mb = rss_mb(proc.pid)
        sampler.done.set()
        runs = Registry(tmp / "runs").list()
    result = {
        "cluster": args.cluster,
        "idle_seconds": idle,
        "during_training_seconds": {k: {"median": statistics.median(v), "max": max(v), "n": len(v)}
                                    for k, v in during.items()},
        "server_rss_mb": {"peak_during": max(during_mb), f"after_{args.linger:.0f}s": after_mb},
        "worker_peak_rss_mb": sorted(round(v, 1) for v in sampler.worker_peak.values()),
        "worker_limit_mb": WORKER_LIMIT_MB,
        "runs": {"n": len(runs), "completed": sum(r.status == "completed" for r in runs),
                 "own_curves": len({json.dumps(r.history["train_loss"]) for r in runs}),
                 "workers": sorted({r.settings.get("worker") for r in runs}),
                 "on_the_external_workers": None if workers is None else
                 all(r.settings.get("worker") in workers for r in runs)},
        "visitor_pages_showing_their_results": shown,
        "wall_seconds_10_visitors": wall,
    }
    if args.baseline:
        sequential = sequential_cli(os.environ.get("MLCORE_DATA_DIR", str(ROOT / "data")))
        result["wall_seconds_sequential_cli"] = sequential
        result["ratio_visitors_to_sequential"] = None if wall is None else wall / sequential
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
