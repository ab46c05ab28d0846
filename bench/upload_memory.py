"""Peak memory of hostile pictures: through the OCR reader, and uploaded to a real server.

    MLCORE_DATA_DIR=../shared/data python -m bench.upload_memory

The pictures: a 7700x7700 16-bit white PNG (133 KB), a 7700x7700 8-bit RGB PNG, a 20 MB PNG of noise, a
60-megapixel JPEG and a 16-bit TIFF. Each goes (1) through `read_page` in a fresh process, whose peak
resident memory above its idle state (the model loaded) is read from the kernel (VmHWM, reset just
before), and (2) to a `streamlit run` server, uploaded in Chromium on Read a page, Draw and Autoencoder,
the server's peak above its state just before the upload read the same way. Prints JSON: per picture
and path, the peak in MB above idle and what the visitor was told.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mlcore.data.paths import REPO_ROOT
from tests.app_server import CHROMIUM, FLAGS, streamlit_server

# What each page says once it has handled an upload, refused or read.
# Streamlit's own refusal of a file over maxUploadSize never reaches the server.
ANSWERS = re.compile("Could not read this|What the network sees|No writing found|No ink found|The network reads|"
                     "Your character as the networks see it|File must be")
PAGES = {"read_a_page": ("ocr", None), "draw": ("draw", "Upload a picture"), "autoencoder": ("autoencoder", None)}


def pictures(folder: Path) -> dict[str, Path]:
    """The hostile pictures, written once into `folder`."""
    rng = np.random.default_rng(0)
    page = np.full((6667, 9000), 235, np.uint8)
    page[1000:1100:4, 500:8500] = 30                     # a few dark strokes, so the JPEG is a page
    made = {
        "7700x7700 16-bit white PNG": (Image.fromarray(np.full((7700, 7700), 65535, np.uint16)), "png", {}),
        "7700x7700 8-bit RGB PNG": (Image.new("RGB", (7700, 7700), (255, 255, 255)), "png", {}),
        # just under the server's 20 MB upload limit
        "20 MB noise PNG": (Image.fromarray(rng.integers(0, 256, (2420, 2420, 3), dtype=np.uint8)), "png", {}),
        "60-megapixel JPEG": (Image.fromarray(page).convert("RGB"), "jpg", {"quality": 85}),
        "7000x7000 16-bit TIFF": (Image.fromarray(np.full((7000, 7000), 60000, np.uint16)), "tif",
                                  {"compression": "tiff_deflate"}),
    }
    paths = {}
    for i, (name, (img, ext, options)) in enumerate(made.items()):
        paths[name] = folder / f"{i}.{ext}"
        img.save(paths[name], **options)
    return paths


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")   # the kernel forgets the peak (VmHWM) so far


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def through_reader(path: Path) -> dict:
    """In a child process: read_page of the picture; its peak above idle and the answer."""
    from mlcore.data.paths import default_classifier_path
    from mlcore.model_io import load_classifier
    from mlcore.ocr.image_io import ImageLoadError
    from mlcore.ocr.reader import read_page

    model = load_classifier(default_classifier_path())
    data = path.read_bytes()
    idle = memory_mb(os.getpid(), "VmRSS")
    reset_peak(os.getpid())
    try:
        answer = f"read {len(read_page(data, model.network, model.classes).characters)} characters"
    except ImageLoadError as exc:
        answer = str(exc)
    return {"peak_above_idle_mb": round(memory_mb(os.getpid(), "VmHWM") - idle, 1), "answer": answer}


def upload(browser, url: str, server_pid: int, page_name: str, path: Path) -> dict:
    slug, mode = PAGES[page_name]
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/{slug}")
    if mode is not None:
        page.get_by_text(mode).click()
    page.locator("input[type=file]").first.wait_for(state="attached")
    time.sleep(2)
    idle = memory_mb(server_pid, "VmRSS")
    reset_peak(server_pid)
    page.locator("input[type=file]").first.set_input_files(path)
    answer = page.get_by_text(ANSWERS).first
    try:
        answer.wait_for()
    except Exception:
        page.screenshot(path=f"/tmp/upload_{page_name}.png", full_page=True)
        raise
    time.sleep(1)
    result = {"peak_above_idle_mb": round(memory_mb(server_pid, "VmHWM") - idle, 1),
              "answer": answer.inner_text()[:160]}
    page.context.close()
    return result


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(through_reader(Path(sys.argv[2]))))
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        paths = pictures(Path(tmp))
        result = {name: {"file_mb": round(p.stat().st_size / 2**20, 2)} for name, p in paths.items()}
        for name, path in paths.items():
            done = subprocess.run([sys.executable, "-m", "bench.upload_memory", "--child", str(path)], cwd=REPO_ROOT,
                                  capture_output=True, text=True,
                                  check=True)
            result[name]["reader"] = json.loads(done.stdout)
            print(name, result[name], file=sys.stderr, flush=True)
        with streamlit_server(Path(tmp) / "runs") as (proc, url), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for page_name in PAGES:
                for name, path in paths.items():
                    result[name][f"server_{page_name}"] = upload(browser, url, proc.pid, page_name, path)
                    print(name, page_name, result[name][f"server_{page_name}"], file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
