"""Cold start, each page's warm load and memory of the app, measured in a real browser.

    MLCORE_DATA_DIR=../shared/data python -m bench.app_startup [--repeats 3]

Cold start: from launching `streamlit run` to the Home page rendered in
Chromium (its "The shipped classifier" section visible), median over repeats.
Warm load of each page: on the first server, after one training, each page is
opened once (its caches filled), then opened `repeats` times more in a new tab
(a new session, as a visitor following a link): the median seconds from the
request to the page's text and controls drawn (its READY part, the last of them) and, for a page that
draws Plotly figures as it opens, to all of them drawn.
Memory: the server's resident set (VmRSS) and its peak (VmHWM, from /proc)
after one training with the Train page's default settings, a reading of a
sample page on the OCR page and every page's loads.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.app_server import CHROMIUM, FLAGS, streamlit_server


def rss_mb(pid: int) -> dict:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}


# Each page and a Playwright selector that matches once its main content is drawn (for Draw, the
# canvas itself: its component loads after the page's text).
READY = {"": "text=How it was trained", "theory": "text=Backprop agrees with the central differences",
         "train": "text=Choose settings (or a preset)", "tune": "text=Objective:",
         "runs": "text=Click column headers to sort", "draw": "canvas", "ocr": "text=Sample page",
         "autoencoder": "text=Mean validation PSNR"}
# Pages that draw Plotly figures as they open, and how many: their figures come after the page's text,
# once the browser has loaded plotly.js, and are timed apart ("figures drawn").
FIGURES = {"theory": 8}


def _open(context, url: str, path: str) -> tuple[float, float | None]:
    """Seconds from the request to the page's READY part, and to its FIGURES drawn (None without)."""
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    t0 = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.locator(READY[path]).first.wait_for(state="visible")
    ready = time.perf_counter() - t0
    drawn = None
    if path in FIGURES:
        page.locator(".js-plotly-plot:has(.main-svg)").nth(FIGURES[path] - 1).wait_for(state="attached")
        drawn = time.perf_counter() - t0
    page.close()
    return ready, drawn


def warm_loads(context, url: str, repeats: int) -> dict[str, dict]:
    """Median seconds to open each page in a new tab (of the visitor's browser `context`, who has a run)
    of a server that has shown it before: to its READY part and, where it has them, its figures drawn."""
    medians = {}
    for path in READY:
        times = [_open(context, url, path) for _ in range(repeats + 1)][1:]   # the first fills the caches
        medians[path or "home"] = {"ready": statistics.median(t[0] for t in times),
                                   "figures": statistics.median(t[1] for t in times) if path in FIGURES else None}
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    starts, memory, loads = [], {}, {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for i in range(args.repeats):
            t0 = time.perf_counter()
            with streamlit_server(Path(tmp) / f"runs{i}") as (proc, url):
                page = browser.new_context().new_page()
                page.set_default_timeout(120_000)
                while True:
                    try:
                        page.goto(url)
                        break
                    except Exception:  # the server is not listening yet
                        time.sleep(0.05)
                page.get_by_text("The shipped classifier").wait_for()
                starts.append(time.perf_counter() - t0)
                if i == 0:
                    page.goto(f"{url}/train")
                    page.locator(READY["train"]).wait_for()   # pressed sooner, the form may not be sent
                    page.get_by_role("button", name="Train", exact=True).click()
                    page.get_by_text("Test balanced accuracy").wait_for()
                    page.goto(f"{url}/ocr")
                    page.get_by_text("Sample page").first.click()
                    page.get_by_text("What the network sees").wait_for()
                    loads = warm_loads(page.context, url, args.repeats)
                    memory = rss_mb(proc.pid)
                page.close()
        browser.close()
    print("| page | warm load, median s | its figures drawn, median s |\n|---|---|---|")
    for name, seconds in loads.items():
        figures = "-" if seconds["figures"] is None else f"{seconds['figures']:.2f}"
        print(f"| {name} | {seconds['ready']:.2f} | {figures} |")
    result = {"cold_start_s": {"median": statistics.median(starts), "all": starts}, "warm_load_s": loads,
              "server_rss_mb_after_training_and_ocr": memory}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
