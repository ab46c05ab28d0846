"""Warm load time of the app's pages, measured in Chromium against a running server.

    streamlit run streamlit_app.py --server.port 8602 &
    python bench/page_load.py [--url http://localhost:8602] [--repeats 7] [--pages draw,home]

A warm load is a second visit on a running server: each page is visited once first (loading its
models and caches), then `repeats` times, each in a new tab of the same browser, timed from navigation to
the page's main content being visible. Prints the median and every time, per page, as JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

# Per page: its path and a Playwright selector that matches only once the page's main content is drawn.
PAGES = {
    "home": ("", "text=The shipped classifier"),
    "theory": ("theory", "text=Backprop agrees with the central differences"),
    "draw": ("draw", "canvas"),   # the drawing canvas itself, not only the text beside it
    "ocr": ("ocr", "text=Upload a photo"),
}


def visit(context, url: str, ready: str) -> float:
    page = context.new_page()
    page.set_default_timeout(120_000)
    t0 = time.perf_counter()
    page.goto(url)
    page.locator(ready).first.wait_for(state="visible")
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8602")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--pages", default="home,draw")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        # One context: a returning visitor's browser has the app's scripts cached.
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        for name in args.pages.split(","):
            path, ready = PAGES[name]
            visit(context, f"{args.url}/{path}", ready)  # the first visit warms the server
            times = [visit(context, f"{args.url}/{path}", ready) for _ in range(args.repeats)]
            results[name] = {"median_s": round(statistics.median(times), 2), "times_s": [round(t, 2) for t in times]}
        browser.close()
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
