"""Warm load time of pages, measured in a real browser.

    MLCORE_DATA_DIR=../shared/data python bench/page_load.py [--repeats 5] [--pages home runs autoencoder]

Starts `streamlit run` with a few saved runs (classifiers and an autoencoder), visits each page once
(the cold visit fills the caches), then `repeats` times more, each in a new browser tab (a new
session): the time from navigation to the page's last section visible. Prints each page's median.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_browser import CHROMIUM, FLAGS, streamlit_server  # noqa: E402

from mlcore.architectures import build_mlp  # noqa: E402
from mlcore.registry import Registry  # noqa: E402

# Each page's last section: the page is loaded when it is on screen.
READY = {"home": "The shipped classifier", "runs": "Click column headers to sort",
         "autoencoder": "Your own character"}


def seed_runs(root: Path, n: int = 6) -> None:
    """`n` shared classifier runs, as a class would have after an afternoon."""
    reg = Registry(root)
    for i in range(n):
        net = build_mlp((64,), "relu", n_in=1024, n_out=36, seed=i)
        run = reg.add(net, {"classes": [str(c) for c in range(36)]}, kind="classifier", name=f"run {i}",
                      status="completed", seconds=10.0, settings={"arch": "mlp", "hidden": [64], "lr": 0.00175},
                      metrics={"test_all": 0.8}, history={"epoch": [1, 2], "train_loss": [1.0, 0.5]},
                      owner="cli")
        reg.publish(run.id)


def load_time(browser, url: str, ready: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_text(ready).first.wait_for()
    seconds = time.perf_counter() - t0
    page.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pages", nargs="+", default=list(READY), choices=list(READY))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        seed_runs(Path(tmp) / "runs")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        with streamlit_server(Path(tmp) / "runs") as (_, url):
            for name in args.pages:
                page_url = url if name == "home" else f"{url}/{name}"
                load_time(browser, page_url, READY[name])  # cold: fills the caches
                times[name] = [load_time(browser, page_url, READY[name]) for _ in range(args.repeats)]
        browser.close()
    print(json.dumps({name: {"median_s": round(statistics.median(t), 2), "all": [round(s, 2) for s in t]}
                      for name, t in times.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
