"""Cold start and memory of the app, measured in a real browser.

    MLCORE_DATA_DIR=../shared/data python bench/app_startup.py [--repeats 3]

Cold start: from launching `streamlit run` to the Home page rendered in
Chromium (its "The shipped classifier" section visible), median over repeats.
Memory: the server's resident set (VmRSS) and its peak (VmHWM, from /proc)
after one training with the Train page's default settings and a reading of a
sample page on the OCR page.
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


def rss_mb(pid: int) -> dict:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    starts, memory = [], {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for i in range(args.repeats):
            t0 = time.perf_counter()
            with streamlit_server(Path(tmp) / f"runs{i}") as (proc, url):
                page = browser.new_page()
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
                    page.get_by_role("button", name="Train", exact=True).click()
                    page.get_by_text("Test balanced accuracy").wait_for()
                    page.goto(f"{url}/ocr")
                    page.get_by_text("Sample page").first.click()
                    page.get_by_text("What the network sees").wait_for()
                    memory = rss_mb(proc.pid)
                page.close()
        browser.close()
    result = {"cold_start_s": {"median": statistics.median(starts), "all": starts},
              "server_rss_mb_after_training_and_ocr": memory}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
