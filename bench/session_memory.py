"""What each visitor's session keeps in the server's memory, and whether it returns when they leave.

    MLCORE_DATA_DIR=../shared/data python -m bench.session_memory [--sessions 11] [--page autoencoder]

Starts `streamlit run`, opens the page in one session to warm the shared caches, then opens
--sessions more, one after another, each left open; reads the server's resident memory after each,
closes them all and reads it again after --linger seconds. Prints JSON: MB per extra session (the
slope), and the memory before, with every session open, and after they left.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.app_server import CHROMIUM, FLAGS, streamlit_server

READY = {"autoencoder": "The codes, seen from above", "ocr": "Photo of a page", "draw": "Draw a character",
         "train": "Choose settings", "runs": "Runs", "theory": "Backprop agrees"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=11)
    parser.add_argument("--page", choices=sorted(READY), default="autoencoder")
    parser.add_argument("--linger", type=float, default=60.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp) / "runs") as (proc, url), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)

        def visit():
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/{args.page}")
            page.get_by_text(READY[args.page]).first.wait_for()
            time.sleep(2)
            return page

        visit().context.close()
        time.sleep(5)
        before = rss_mb(proc.pid)
        pages, after_each = [], []
        for _ in range(args.sessions):
            pages.append(visit())
            after_each.append(rss_mb(proc.pid))
        for page in pages:
            page.context.close()
        time.sleep(args.linger)
        after = rss_mb(proc.pid)
    slope = float(np.polyfit(np.arange(1, args.sessions + 1), after_each, 1)[0])
    print(json.dumps({"page": args.page, "sessions": args.sessions, "rss_mb_before": round(before, 1),
                      "rss_mb_with_every_session": round(after_each[-1], 1),
                      "mb_per_session": round(slope, 1), f"rss_mb_{args.linger:.0f}s_after_they_left": round(after, 1),
                      "rss_mb_after_each": [round(v, 1) for v in after_each]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
