"""The reader under the conditions real photos are taken in, on pages whose text is known exactly.

    MLCORE_DATA_DIR=../shared/data python -m bench.ocr_conditions [--pages 3] [--first-page 0] [--model PATH]
                                                                  [--only NAME ...] [--split test|valid] [--no-verifier]

Every page is composed (`mlcore.ocr.compose`) of real characters from the `handwriting` pool's TEST
split only (never a character any shipped network trained on; --split valid writes with the validation
split's, on which the reader's parameters are chosen), written on lines of words, numbers and
mixed tokens (postcodes, "4TH", "B2"), then put through one condition: spacing (touching, overlapping
by 1-3 px, very wide), broken strokes, character heights from 12 to 80 px, a fine pen on large writing,
low resolution then JPEG, faint pencil on grey paper, blur, perspective, a hand's shadow, lined and
squared paper, a whiteboard with ghosts of erased writing, a desk around the page, a small card on a desk
in a hand's shadow. Each condition is read on --pages pages (seeds --first-page onwards, the three texts in
turn: characters and noise past the pages looked at are new); prints character accuracy (A-Z0-9, as the pages'
README scores) with a 95% interval of its mean (a bootstrap over pages, from 10 pages), line count and
word-break agreement per condition, the worst condition, and JSON. --no-verifier parts touching
characters by the classifier alone and joins no broken ones (mlcore.ocr.verifier's worth).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.transform import ProjectiveTransform, rescale, warp

from mlcore.data.datasets import load_dataset
from mlcore.data.paths import default_classifier_path
from mlcore.model_io import load_classifier
from mlcore.ocr.compose import Style, compose_page
from mlcore.ocr.reader import read_page
from mlcore.ocr.scoring import character_accuracy, word_break_accuracy
from tests.photo_conditions import broken, faint_pencil, hand_shadow, jpeg, on_desk

TEXTS = (
    "MEET ME AT GATE 14\nBRING 3 MAPS AND\nTHE RED BOOK",
    "CALL 0412 555 019\nFLAT 4B ON THE 4TH\nPOSTCODE CB2 1TN",
    "QUICK BROWN FOXES\nJUMP OVER 27 DOGS\nWALTZ NYMPH VEX",
)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32).mean(axis=2) / 255.0


def fine_pen(gray: np.ndarray, size: int) -> np.ndarray:
    """A fine pen on large writing: every dark stroke thinned by `size` - 1 pixels (the paper grown over it)."""
    return ndimage.maximum_filter(gray, size=size).astype(np.float32)


def perspective(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photographed from the side: the far edge 25% narrower, the page on its own paper."""
    h, w = gray.shape
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    dst = src + np.array([[0.12 * w, 0.04 * h], [-0.12 * w, 0.0], [0.0, 0.0], [0.0, -0.03 * h]])
    tf = ProjectiveTransform.from_estimate(dst, src)
    return warp(gray, tf, output_shape=(h, w), cval=float(np.percentile(gray, 90))).astype(np.float32)


def ruled(gray: np.ndarray, rng: np.random.Generator, squared: bool) -> np.ndarray:
    """Lined paper (a rule along each line's baseline, where the writing sits on it) or squared paper (a
    grid of 0.8 character): faint blue-grey rules the strokes cross."""
    h, w = gray.shape
    style = Style()
    rules = np.zeros((h, w), dtype=bool)
    if squared:
        step = int(style.char_px * 0.8)
        rules[int(rng.integers(0, step))::step, :] = True
        rules[:, int(rng.integers(0, step))::step] = True
    else:
        # compose_page's baselines: one margin and one character down, then every line height.
        rules[2 * style.char_px::int(style.char_px * style.line_height), :] = True
    rules = ndimage.binary_dilation(rules, iterations=1)
    return (gray * np.where(rules, 0.8, 1.0)).astype(np.float32)


def whiteboard(gray: np.ndarray, rng: np.random.Generator, ghost: np.ndarray) -> np.ndarray:
    """A whiteboard: glare, and ghosts of erased writing (another page, blurred, at 15% contrast)."""
    h, w = gray.shape
    ghost = ndimage.gaussian_filter(ghost[:h, :w], 2.0)
    ghost = np.pad(ghost, ((0, h - ghost.shape[0]), (0, w - ghost.shape[1])), constant_values=1.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    glare = 0.08 * np.exp(-(((xx - 0.3 * w) / (0.3 * w)) ** 2 + ((yy - 0.3 * h) / (0.5 * h)) ** 2))
    board = np.clip(gray / max(np.percentile(gray, 90), 1e-3), 0, 1) * 0.9
    return np.clip(board * (1 - 0.15 * (1 - ghost)) + glare, 0, 1).astype(np.float32)


def conditions(text: str, X, y, classes, seed: int, ghost_text: str) -> dict:
    """Condition name -> the photo (gray float32 or RGB uint8) of `text` under it."""
    rng = np.random.default_rng(seed)

    def page(**style):
        return compose_page(text, X, y, classes, seed, Style(**style))

    clean = _gray(page())
    ghost = _gray(compose_page(ghost_text, X, y, classes, seed + 100))
    small = _gray(page(char_px=20))
    return {
        "clean (64 px)": clean,
        "touching": _gray(page(letter_gap=(0.0, 0.0))),
        "overlapping 1-3 px": _gray(page(letter_gap=(-3 / 64, -1 / 64))),
        "very wide letters": _gray(page(letter_gap=(0.6, 0.9), word_gap=(2.0, 2.6))),
        "broken strokes": broken(clean, rng),
        "12 px high": _gray(page(char_px=12)),
        "16 px high": _gray(page(char_px=16)),
        "24 px high": _gray(page(char_px=24)),
        "80 px high": _gray(page(char_px=80)),
        "fine pen, 80 px high": fine_pen(_gray(page(char_px=80)), 7),
        "low resolution + JPEG 40": jpeg(rescale(small, 0.8, anti_aliasing=True), 40),
        "faint pencil on grey paper, 20 px": faint_pencil(small, seed),
        "blur (sigma 2.5)": ndimage.gaussian_filter(clean, 2.5),
        "perspective": perspective(clean, rng),
        "hand shadow": hand_shadow(clean, rng),
        "lined paper": ruled(clean, rng, squared=False),
        "squared paper": ruled(clean, rng, squared=True),
        "whiteboard with ghosts": whiteboard(clean, rng, ghost),
        "on a desk": on_desk(clean, seed),
        "a card on a desk in a hand's shadow, 25 px": hand_shadow(on_desk(_gray(page(char_px=36)), seed), rng),
    }


def _read_all(args, model, chars) -> dict[str, dict]:
    """Condition name -> each page's accuracy, lines exact, word breaks right and seconds to read."""
    results: dict[str, dict] = {}
    for seed in range(args.first_page, args.first_page + args.pages):
        text, ghost_text = TEXTS[seed % len(TEXTS)], TEXTS[(seed + 1) % len(TEXTS)]
        photos = conditions(text, chars.X, chars.y, model.classes, seed, ghost_text)
        unknown = set(args.only or ()) - photos.keys()
        if unknown:
            raise ValueError(f"--only: no condition named {sorted(unknown)}; the conditions are {list(photos)}")
        for name, photo in photos.items():
            if args.only and name not in args.only:
                continue
            start = time.perf_counter()
            reading = read_page(photo, model.network, model.classes, verify_cuts=args.verify_cuts)
            r = results.setdefault(name, {"accuracy": [], "lines_exact": [], "word_breaks": [], "seconds": []})
            r["seconds"].append(time.perf_counter() - start)
            r["accuracy"].append(character_accuracy(reading.text, text))
            r["lines_exact"].append(reading.text.count("\n") == text.count("\n"))
            r["word_breaks"].append(word_break_accuracy(reading.text, text))
    return results


MIN_PAGES_FOR_INTERVAL = 10   # fewer pages say too little of their spread for a bootstrap


def interval(accuracies: list[float], draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 95% interval of the condition's mean accuracy, for pages written like these (a percentile bootstrap:
    the 2.5th and 97.5th percentiles of the means of `draws` sets of as many pages, drawn from these with
    replacement; seeded, so a run repeats)."""
    if not accuracies or draws < 1:
        raise ValueError(f"an interval needs pages and draws, got {len(accuracies)} pages and {draws} draws")
    pages = np.asarray(accuracies, dtype=float)
    means = np.random.default_rng(seed).choice(pages, size=(draws, len(pages))).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _report(results: dict[str, dict]) -> None:
    print("| condition | character accuracy | 95% interval | lines exact | word breaks right | s/page |\n"
          "|---|---|---|---|---|---|")
    for name, r in results.items():
        # Word breaks can only be paired on pages whose lines have the right number of characters.
        breaks = [b for b in r["word_breaks"] if b is not None]
        paired = f"{100 * np.mean(breaks):.1f} ({len(breaks)} pages)" if breaks else "-"
        spread = "-"
        if len(r["accuracy"]) >= MIN_PAGES_FOR_INTERVAL:
            spread = "{:.1f}-{:.1f}".format(*(100 * end for end in interval(r["accuracy"])))
        print(f"| {name} | {100 * np.mean(r['accuracy']):.1f} | {spread} | "
              f"{sum(r['lines_exact'])}/{len(r['lines_exact'])} | {paired} | {np.median(r['seconds']):.2f} |")
    worst = min(results, key=lambda n: np.mean(results[n]["accuracy"]))
    print(f"\nworst: {worst} {100 * np.mean(results[worst]['accuracy']):.1f}%")
    print(json.dumps(results, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--first-page", type=int, default=0, help="the first page's seed (default 0)")
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    parser.add_argument("--only", nargs="+", default=None)
    parser.add_argument("--split", choices=("test", "valid"), default="test",
                        help="whose characters the pages are written with: valid to choose a parameter, test to report")
    parser.add_argument("--no-verifier", dest="verify_cuts", action="store_false",
                        help="part touching characters without the one-character verifier (and join no broken ones)")
    args = parser.parse_args()
    if args.pages < 1:
        parser.error(f"--pages must be at least 1, got {args.pages}")
    if args.first_page < 0:
        parser.error(f"--first-page must be at least 0, got {args.first_page}")
    model = load_classifier(args.model)
    try:
        results = _read_all(args, model, getattr(load_dataset("handwriting"), args.split))
    except ValueError as error:
        parser.error(str(error))
    _report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
