import io
import json

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold
from skimage.transform import resize

from bench.ocr_conditions import TEXTS
from mlcore.cli import main
from mlcore.data.classes import CLASSES
from mlcore.data.paths import default_classifier_path, pages_dir
from mlcore.model_io import load_model
from mlcore.ocr import counting, reader, segment, word_reading
from mlcore.ocr import page as page_mod
from mlcore.ocr.compose import SAMPLE_TEXTS, Style, compose_page
from mlcore.ocr.image_io import ImageLoadError, load_image
from mlcore.ocr.layout import Box, layout
from mlcore.ocr.page import (
    clear_of_edge,
    deskew,
    find_page,
    ink_map,
    paper_at_stroke_scale,
    paper_brightness,
    threshold_ink,
    typical_stroke_width,
)
from mlcore.ocr.reader import read_ink, read_page
from mlcore.ocr.scoring import character_accuracy, edit_distance, word_break_accuracy
from tests.bad_images import BAD, EMPTY_PAGES, UNUSUAL, encode, fibres, streaks
from tests.known_pages import PAPER, written_page
from tests.photo_conditions import CONDITIONS, darkness, faint_pencil, hand_shadow, on_desk, shadow_light, shrunk


@pytest.fixture(scope="module")
def model():
    return load_model(default_classifier_path())


# ------------------------------------------------------------ layout on known pages
def test_layout_of_a_known_page():
    truth = "HELLO WORLD\nAB 12 CD\nXYZ"
    lay = layout(ink_map(written_page(truth)).mask)
    assert [len(line) for line in lay.lines] == [10, 6, 3]
    pattern = "\n".join("".join((" " if b else "") + "x" for b in brk) for brk in lay.word_breaks)
    assert pattern == "xxxxx xxxxx\nxx xx xx\nxxx"


def test_evenly_spaced_letters_are_one_word():
    lay = layout(ink_map(written_page("ABCDEFG", letter_gap=40)).mask)
    assert lay.word_breaks == [[False] * 7]


def test_large_writing_keeps_its_long_straight_strokes():
    # "TT" filling the photo: each bar and stem is a straight run longer than a quarter of the photo, as
    # a rule is, but never three parallel ones; a single character (the Draw page's upload) never has
    # rules looked for at all
    page = written_page("TT", letter_gap=20)[30:114, 20:140]
    big = np.kron(page, np.ones((8, 8), np.float32))
    assert np.array_equal(ink_map(big).mask, ink_map(big, rules=False).mask)


@pytest.mark.parametrize("text, breaks", [("WORD", "xxxx"), ("AB CD", "xx xx"), ("A BC", "x xx")])
def test_a_widely_spaced_word_with_few_gaps_stays_one_word(text, breaks):
    # letters 1.2 character heights apart (a whiteboard): too few gaps for statistics, yet evenly wide
    lay = layout(ink_map(written_page(text, letter_gap=77, word_gap=77 * 3)).mask)
    assert "".join((" " if b else "") + "x" for b in lay.word_breaks[0]) == breaks


def test_skew_is_estimated_and_undone():
    page = written_page("HELLO WORLD\nSKEWED PAGE\nTHIRD LINE")
    for angle in (-12.0, 8.0):
        tilted, _ = deskew(page, angle)  # rotating a page: deskew works on any image
        tilted = np.where(tilted == 0, 0.92, tilted)
        lay = layout(ink_map(tilted).mask)
        assert lay.skew == pytest.approx(-angle, abs=1.0)


def test_a_page_on_a_desk_is_found_whole_and_kept_clear_of_its_edge():
    """A bright sheet with a dark patch inside (a photo stuck on it) on a dark desk: the page is
    the sheet with its hole filled, eroded by 1% of the side, as scipy's morphology gives it."""
    background = np.full((300, 400), 0.3)
    sheet = np.zeros(background.shape, dtype=bool)
    sheet[40:260, 60:330] = True
    background[sheet] = 0.9
    background[100:150, 120:200] = 0.45
    expected = ndimage.binary_erosion(sheet, iterations=4)
    assert np.array_equal(clear_of_edge(find_page(background)), expected)
    assert np.array_equal(find_page(np.full((300, 400), 0.9)), np.ones((300, 400), dtype=bool))


def test_hysteresis_keeps_what_skimage_keeps():
    # Random blobs of ink at every level, some joined to strong ink only through weak ink.
    rng = np.random.default_rng(0)
    spots = (rng.random((300, 400)) > 0.995) * rng.random((300, 400))
    ink = ndimage.gaussian_filter(spots, 3).astype(np.float32)
    ink /= ink.max()
    for high in (0.5, 0.6, 0.7):
        kept = threshold_ink(ink, high)
        np.testing.assert_array_equal(kept, apply_hysteresis_threshold(ink, high / 2, high))
        assert 0 < kept.sum() < (ink > high / 2).sum()   # some weak regions kept, some dropped


def test_the_paper_estimate_is_skimages_bilinear_enlargement_within_the_border():
    # A coarse paper grid (24-px cells, as paper_brightness makes) enlarged by PIL (for speed) matches
    # skimage's bilinear resize away from the border.
    rng = np.random.default_rng(1)
    coarse = np.clip(0.8 + 0.1 * ndimage.gaussian_filter(rng.standard_normal((20, 29)), 2), 0, 1)
    h, w = 500, 700
    paper = page_mod._enlarged(coarse, (h, w))
    reference = resize(coarse, (h, w), order=1, preserve_range=True)
    np.testing.assert_allclose(paper[12:-12, 12:-12], reference[12:-12, 12:-12], atol=1e-5)
    assert np.abs(paper - reference).max() < 0.01


def _sheet_or_shadow(soft: float) -> np.ndarray:
    """A written photo whose lower right is dark (30% light): a desk beyond a sheet's straight edge when
    `soft` is 0, a shadow whose edge fades over `soft` of the photo's width otherwise."""
    page = written_page("HELLO WORLD\nTHE 42 CATS")
    h, w = page.shape
    yy, xx = np.mgrid[0:h, 0:w] / w
    edge = np.hypot(yy, xx) - 0.75 * np.hypot(h / w, 1)
    light = np.where(edge > 0, 0.3, 1.0) if soft == 0 else 1 - 0.7 * np.clip(0.5 + edge / soft, 0, 1)
    return (page * light).astype(np.float32)


def test_a_sheet_on_a_desk_has_a_sharp_edge_and_a_shadow_has_not():
    desk, shadow = _sheet_or_shadow(0.0), _sheet_or_shadow(0.2)
    sheet = find_page(paper_brightness(desk), desk)
    assert 0.3 < sheet.mean() < 0.97 and not sheet[-1, -1] and sheet[0, 0]
    # The same fall of light spread over a fifth of the photo: still the page, its writing to be read.
    assert find_page(paper_brightness(shadow), shadow).all()


@pytest.mark.parametrize("offset", range(0, 48, 6))
def test_a_desk_beyond_one_straight_edge_is_found_wherever_the_edge_falls_between_cells(offset):
    # One sheet edge in view, at every offset across two of the coarse estimate's 24-px cells (whose
    # percentile and smoothing move the edge it sees by up to three cells): the desk is never read.
    rng = np.random.default_rng(offset)
    photo = np.clip(0.9 + 0.02 * rng.standard_normal((600, 800)), 0, 1).astype(np.float32)
    photo[:, 500 + offset:] = np.clip(0.25 + 0.05 * rng.standard_normal((600, 300 - offset)), 0, 1)
    photo[100:160, 100:400] = 0.1    # something written on the sheet
    ink = ink_map(photo)
    assert not ink.mask[:, 500 + offset:].any() and ink.mask[100:160, 100:400].all()


@pytest.mark.parametrize("centre", [(0.5, 0.5), (0.8, 0.8), (0.3, 0.2)])
def test_the_paper_is_followed_into_a_hand_shadows_dark_core(centre):
    # Light falling steeply to 40% (hand_shadow's blob): the paper at stroke scale is within 3% of the
    # truth everywhere, where the coarse estimate is 44-49% too bright in the core, whose paper then
    # read as ink; what ink_map finds, soft or thresholded, is the strokes, to within their rim.
    page = written_page("HELLO WORLD\nTHE 42 CATS\nJUMP OVER")
    light = shadow_light(page.shape, centre)
    strokes, photo = page < 0.5, (page * light).astype(np.float32)
    estimate = paper_at_stroke_scale(photo, typical_stroke_width(strokes))
    assert np.abs(estimate / (PAPER * light) - 1).max() < 0.03
    found, rim = ink_map(photo), ndimage.binary_dilation(strokes, iterations=2)
    assert found.mask[strokes].all() and not (found.mask & ~rim).any()
    assert found.ink[~rim].max() < found.threshold / 2    # not even the faint end of hysteresis


def test_a_heading_in_marker_keeps_the_centres_of_its_strokes():
    # Strokes four times as wide as the text's: the paper is followed over features up to three of the
    # page's strokes wide, on block means and smoothed, which still closes over these. A known limit:
    # five times as wide, 93% of the heading's stroke pixels are kept; six times, 74% (read as outlines).
    heading = np.kron(written_page("HI")[30:114, :160], np.ones((4, 4), np.float32))
    body = written_page("THE QUICK BROWN FOX\nJUMPS OVER THE DOG\nLAZY 42 CATS")
    photo = np.full((heading.shape[0] + body.shape[0], body.shape[1]), PAPER, np.float32)
    photo[:heading.shape[0], :heading.shape[1]], photo[heading.shape[0]:] = heading, body
    strokes = photo < 0.5
    assert ink_map(photo).mask[strokes].mean() > 0.995


@pytest.mark.parametrize("width", [3, 6, 11])
def test_the_typical_stroke_width_is_the_width_strokes_are_drawn_with(width):
    # Bars and a ring `width` pixels wide, with a blot and specks that must not move the estimate.
    mask = np.zeros((400, 900), dtype=bool)
    for k in range(8):
        mask[20 + 45 * k:20 + 45 * k + width, 30:230] = True                  # horizontal bars
        mask[30:230, 300 + 30 * k:300 + 30 * k + width] = True                # vertical bars
        mask[250:380, 300 + 30 * k:300 + 30 * k + width] = True
    yy, xx = np.mgrid[0:400, 0:900]
    r = np.hypot(yy - 320, xx - 650)
    mask |= (r >= 40) & (r < 40 + width)                                       # a ring
    mask[50:130, 600:800] = True                                               # a blot, one mark in 26
    mask[::37, ::41] = True                                                    # specks
    assert typical_stroke_width(mask) == pytest.approx(width, rel=0.15)


def test_periods_and_specks_are_not_characters():
    page = written_page("AB CD")
    page[60:66, 600:606] = 0.1    # a period-sized dot between the words
    page[5:7, 5:7] = 0.1          # a speck
    lay = layout(ink_map(page).mask)
    assert sum(len(line) for line in lay.lines) == 4
    assert len(lay.dropped) >= 2


def test_reading_a_known_page(model):
    truth = "HELLO WORLD\nTHE 42 CATS"
    reading = read_page(written_page(truth), model.network, model.classes)
    assert reading.text.count("\n") == 1
    assert character_accuracy(reading.text, truth) >= 0.85
    assert word_break_accuracy(reading.text, truth) == 1.0
    c = reading.characters[0]
    assert c.line == 0 and c.word == 0 and len(c.top) == 3 and c.top[0][1] >= c.top[1][1]
    assert reading.crops.shape == (len(reading.characters), 32, 32)


# ------------------------------------------------------------ scoring
def test_scoring_definitions():
    assert edit_distance("KITTEN", "SITTING") == 3
    assert character_accuracy("HELL0 W0RLD", "HELLO WORLD") == pytest.approx(1 - 2 / 10)
    assert character_accuracy("A B\nC", "ABC") == 1.0
    assert word_break_accuracy("AB CD", "ABC D") == pytest.approx(1 / 3)  # A-B right, B-C and C-D wrong
    assert word_break_accuracy("AB\nCD", "ABCD") is None


# ------------------------------------------------------------ inputs
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_inputs_get_a_clear_message(name):
    with pytest.raises(ImageLoadError) as exc:
        load_image(BAD[name])
    message = str(exc.value)
    assert "the upload" in message and len(message) < 200


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_formats_are_normalised(name):
    gray = load_image(UNUSUAL[name])
    assert gray.dtype == np.float32 and gray.shape == (300, 400)  # EXIF rotation undone
    assert gray[40:80, 30:250].mean() < 0.2 and gray[150:].mean() > 0.8  # the bar is dark and at the top


def test_an_array_that_is_not_a_gray_image_is_refused_with_what_it_is(model):
    page = written_page("HELLO")
    rgb = (np.repeat(page[..., None], 3, axis=2) * 255).astype(np.uint8)
    for wrong, described in ((rgb, r"shape \(\d+, \d+, 3\) and type uint8"), (rgb[..., 0], "type uint8")):
        with pytest.raises(ValueError, match=described):
            read_page(wrong, model.network, model.classes)
    assert read_page(page, model.network, model.classes).text == "HELLO"     # the same page, as floats


@pytest.mark.parametrize("name", sorted(EMPTY_PAGES))
def test_pages_without_text_read_as_empty(name, model):
    reading = read_page(EMPTY_PAGES[name], model.network, model.classes)
    assert reading.text == "" and reading.characters == []


@pytest.mark.parametrize("contrast", [0.15, 0.2, 0.3])
def test_faint_pencil_is_read(model, contrast):
    # strokes 15-30% darker than grey paper at 55% light: under the ink floor of a page, or within
    # reach of only their darkest cores
    truth = "HELLO WORLD\nAB 12 CD\nXYZ"
    reading = read_page(faint_pencil(written_page(truth), contrast=contrast), model.network, model.classes)
    # as the clean page reads: this font's 1 is read as a 7 at some contrasts
    assert reading.text.count("\n") == 2 and character_accuracy(reading.text, truth) >= 0.9, reading.text


@pytest.mark.real_data
@pytest.mark.parametrize("contrast, shift", [(0.3, 37), (0.25, 37), (0.25, 80)])
def test_faint_clutter_beside_faint_writing_is_not_read_with_it(pages, model, contrast, shift):
    # Pencil at 25-30% of its contrast, which the first reading reads in full, with the mirrored writing of
    # the sheet's back showing through at 15%: the faint reading reads both, sure of more characters but
    # less sure of each, and the first reading stays (reviewers' cases: three lines of mirrored garbage,
    # which at 25% read surely enough to pass as writing themselves).
    gray, truth = pages["04_deep.jpg"]
    gray = shrunk(gray, 1400).astype(np.float32)
    back = ndimage.gaussian_filter(np.roll(darkness(gray)[::-1, ::-1], shift, axis=0), 1.0)
    photo = faint_pencil(gray, contrast=contrast) * (1 - 0.15 * back / back.max())
    assert read_page(photo.astype(np.float32), model.network, model.classes).text == truth


def test_a_stray_tick_beside_faint_writing_is_not_read_with_it(model):
    # A pencil tick pressed harder than the writing beside it: the page is read as it is without the tick
    # (a reviewer's case: one added "I", read at 0.91, made a fourth line).
    truth = "HELLO WORLD\nAB 12 CD\nXYZ"
    page = written_page(truth)
    ticked = page.copy()
    ticked[100:145, 1250:1256] = 0.92 - 0.5 * 0.85
    plain, with_tick = (read_page(faint_pencil(p, contrast=0.25), model.network, model.classes).text
                        for p in (page, ticked))
    assert with_tick == plain and plain.count("\n") == 2


def _bench_text(seed: int) -> str:
    """The text of bench/ocr_conditions.py's page `seed`."""
    return TEXTS[seed % len(TEXTS)]


@pytest.mark.real_data
def test_a_faint_page_is_read_though_its_first_reading_caught_a_speck_and_was_sure_of_it(model, real_dataset):
    # Pencil at 20% on grey paper, written with test characters at 20 px (bench/ocr_conditions.py's tenth
    # page): the floor of 18% catches one dark speck of a stroke and reads it as a 1, surely. The faint
    # reading, the whole page, is less sure of each character on average than of that one; what it adds
    # reads as writing, and it is kept.
    truth = _bench_text(10)
    rgb = compose_page(truth, real_dataset.test.X, real_dataset.test.y, CLASSES, 10, Style(char_px=20))
    photo = faint_pencil(rgb.mean(axis=2).astype(np.float32) / 255, 10)
    first = read_ink(ink_map(photo), model.network, model.classes)
    assert len(first.characters) == 1 and first.characters[0].confidence > 0.95
    reading = read_page(photo, model.network, model.classes)
    # 0.88: its 2, 1 and T are among the test split's hardest (read Z, I and 7 in ink too)
    assert reading.text.count("\n") == 2 and character_accuracy(reading.text, truth) >= 0.85, reading.text


@pytest.mark.real_data
@pytest.mark.parametrize("seed", [34, 57])
def test_a_faint_page_is_judged_writing_by_how_surely_its_shapes_read(model, real_dataset, seed):
    # Pencil at 20% on grey paper, 20 px test characters (bench/ocr_conditions.py's pages 34 and 57, which read
    # nothing, and "T 1 0"). Page 34's faint reading is right but for its postcode, yet its median character's
    # settled class had a probability under 0.9 (its "0N" made "ON", the O at 0.12): not writing. Page 57's
    # first reading caught three specks, surely enough to pass as writing, and beside a reading of writing only
    # the mean judges: the settled classes of the page's 37 characters averaged less than the specks' 0.90.
    # Judged by how surely each shape reads (before the word rule chose among look-alikes), page 34 is
    # writing, and page 57's characters are on average surer than the specks.
    truth = _bench_text(seed)
    rgb = compose_page(truth, real_dataset.test.X, real_dataset.test.y, CLASSES, seed, Style(char_px=20))
    photo = faint_pencil(rgb.mean(axis=2).astype(np.float32) / 255, seed)
    first = read_ink(ink_map(photo), model.network, model.classes)
    assert len(first.characters) <= 3
    reading = read_page(photo, model.network, model.classes)
    assert reading.text.count("\n") == 2 and character_accuracy(reading.text, truth) >= 0.85, reading.text


def _read_as(sureness: float, settled: float, label: str, box=(0, 0, 10, 10)):
    """A character whose most probable class had `sureness` and whose settled `label` had `settled`."""
    return reader.Character(box=box, corners=[], line=0, word=0, label=label, confidence=settled,
                            top=[("0", sureness), (label, settled), ("Q", 0.0)])


def test_writing_is_judged_by_how_surely_each_shape_reads_not_by_the_class_the_word_rule_settled_on():
    # Letters whose shapes read surely (0.95) though the word rule settled most on a look-alike (0.12).
    page = [_read_as(0.95, 0.95 if k % 2 else 0.12, label, (0, 12 * k, 10, 12 * k + 10))
            for k, label in enumerate("ONTHEROAD")]
    assert reader._reads_as_writing(page) and reader._is_writing(page)
    assert not reader._reads_as_writing([_read_as(0.8, 0.8, label) for label in "ONTHEROAD"])
    # Three specks read as writing, then the page beside them: on average surer by shape (0.94 against
    # 0.90), though not by the settled classes (0.59).
    specks = [_read_as(0.9, 0.9, label, (0, 200 + 12 * k, 10, 210 + 12 * k)) for k, label in enumerate("T10")]
    assert reader._is_writing(specks)
    assert reader._surer(_reading_of(specks + page), _reading_of(specks))


def _reading_of(characters) -> reader.PageReading:
    return reader.PageReading(text="", characters=characters, raw_text="", skew=0.0, char_height=10.0, scale=1.0,
                              crops=None, ink=None, layout=None, deskewed_ink=None)


@pytest.mark.parametrize("texture", ["fibres", "grain"])
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_texture_as_strong_as_faint_pencil_is_not_read_as_writing(model, texture, seed):
    # Marks 20% darker than the paper: enough for the faint floor to find ink (checked), and the reading of
    # that ink is refused as writing (fibres read as rows of 1s, grain as 4s and Ms).
    rng = np.random.default_rng(seed)
    shape = (1200, 1600)
    marks = fibres(rng, shape) if texture == "fibres" else streaks(rng, shape)
    photo = np.clip(0.8 * (1 - 0.2 * marks) + 0.004 * rng.standard_normal(shape), 0, 1).astype(np.float32)
    assert ink_map(photo, faint=True).mask.sum() > 10_000
    assert read_page(photo, model.network, model.classes).text == ""


def test_the_papers_noise_is_measured_in_standard_deviations_of_its_brightness():
    rng = np.random.default_rng(0)
    paper = np.full((400, 600), 0.55, np.float32)
    photo = paper + 0.01 * rng.standard_normal(paper.shape).astype(np.float32)
    everywhere = np.ones(paper.shape, bool)
    assert page_mod._paper_noise(photo, paper, everywhere) == pytest.approx(0.01 / 0.55, rel=0.05)
    # clipped at white, the paper's lighter side is out of sight: no faint floor at all
    assert page_mod._paper_noise(np.minimum(photo + 0.45, 1.0), paper + 0.45, everywhere) == np.inf


def test_writing_in_a_hands_shadow_on_a_card_on_a_desk_is_still_on_the_card(model):
    # The shadow darkens the card's lower right to the desk's brightness; its edge is soft, the card's sharp.
    truth = "HELLO WORLD THE 42 CATS\nAB 12 CD EF 34 GH IJ"
    card = on_desk(written_page(truth), seed=0)
    photo = card * shadow_light(card.shape, (0.6, 0.6))
    reading = read_page(photo.astype(np.float32), model.network, model.classes)
    assert character_accuracy(reading.text, truth) >= 0.95, reading.text


def test_a_sheet_grows_over_a_soft_shadow_but_not_through_a_gap_in_its_edge():
    desk = np.full((300, 400), 0.3, np.float32)
    card = desk.copy()
    card[50:250, 50:350] = 0.9
    found = np.zeros(desk.shape, dtype=bool)
    found[50:250, 50:250] = True                          # what brightness found: the shadowed right cut off
    xx = np.arange(400, dtype=np.float32)
    shadow = 1.0 - 0.6 * np.clip((xx - 200) / 100, 0, 1)  # a soft shadow over the card's right third
    grown = page_mod._within_sharp_edges(found, card * shadow)
    assert grown[60:240, 60:340].all() and not grown[:40].any() and not grown[:, 360:].any()
    # The card's right edge as soft as the shadow: growing would go on over the desk to the border.
    soft_edge = card.copy()
    soft_edge[50:250, 250:] = np.linspace(0.9, 0.3, 150)
    np.testing.assert_array_equal(page_mod._within_sharp_edges(found, soft_edge), found)


def test_cli_ocr_bad_and_good_inputs(tmp_path, capsys):
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(BAD["truncated JPEG"])
    assert main(["ocr", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "truncated" in err and "Traceback" not in err
    good = tmp_path / "page.png"
    from PIL import Image
    Image.fromarray((written_page("HI THERE") * 255).astype(np.uint8)).save(good)
    assert main(["ocr", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["characters"]) == 7 and out["text"].count(" ") == 1
    first = out["characters"][0]
    assert set(first) >= {"box", "corners", "line", "word", "label", "confidence", "top"}


# ------------------------------------------------------------ the real pages
def _pages():
    folder = pages_dir()
    truth = json.loads((folder / "ground_truth.json").read_text())
    return {name: (load_image(folder / name), text) for name, text in truth.items()}


@pytest.fixture(scope="module")
def pages():
    return _pages()


@pytest.mark.slow
@pytest.mark.real_data
def test_real_pages_lines_words_and_characters(pages, model):
    total_err = total_len = 0
    for name, (gray, truth) in pages.items():
        reading = read_page(gray, model.network, model.classes)
        assert reading.text.count("\n") == truth.count("\n"), name
        assert word_break_accuracy(reading.text, truth) >= 0.95, name
        ref = truth.replace(" ", "").replace("\n", "")
        total_err += edit_distance(reading.text.replace(" ", "").replace("\n", ""), ref)
        total_len += len(ref)
    assert 1 - total_err / total_len >= 0.98  # the target of issue 4; the default classifier reads 98.4%


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_real_pages_under_harder_conditions(pages, model, condition):
    clean, hard = [], []
    for gray, truth in pages.values():
        clean.append(character_accuracy(read_page(gray, model.network, model.classes).text, truth))
        hard.append(character_accuracy(read_page(CONDITIONS[condition](gray), model.network, model.classes).text,
                                       truth))
    assert np.mean(hard) >= np.mean(clean) - 0.05, (condition, hard, clean)


# ------------------------------------------------------------ word-level correction
def _probs(readings):
    """Probabilities for characters given as {class: p} dicts (the rest spread thinly)."""
    from mlcore.data.classes import CLASSES
    p = np.full((len(readings), len(CLASSES)), 1e-4)
    for i, r in enumerate(readings):
        for c, v in r.items():
            p[i, CLASSES.index(c)] = v
    return p / p.sum(1, keepdims=True)


def test_words_are_kept_all_letters_or_all_digits():
    from mlcore.data.classes import CLASSES
    from mlcore.ocr.postprocess import consistent_words
    probs = _probs([{"O": 0.3, "0": 0.7}, {"K": 0.9}, {"5": 0.6, "S": 0.4}, {"1": 0.9}, {"2": 0.8, "Z": 0.2}])
    pred = consistent_words(probs, [[0, 1, 2], [3, 4]])
    assert "".join(CLASSES[k] for k in pred) == "OKS12"


def test_a_character_sure_of_the_other_group_makes_a_mixed_token():
    from mlcore.data.classes import CLASSES
    from mlcore.ocr.postprocess import consistent_words
    # "4TH": the 4 is 70 times surer of being a digit than a letter, more than a change of group costs
    probs = _probs([{"4": 0.93, "A": 0.01}, {"T": 0.9}, {"H": 0.9}, {"C": 0.9}, {"B": 0.9}, {"2": 0.6, "Z": 0.35}])
    words = [[0, 1, 2], [3, 4, 5]]
    assert "".join(CLASSES[k] for k in consistent_words(probs, words)) == "4THCBZ"
    # with no change of group allowed, the strict rule of one group per word
    assert "".join(CLASSES[k] for k in consistent_words(probs, words, switch=0.0)) == "ATHCBZ"


def test_a_missed_word_gap_is_not_made_worse():
    from mlcore.data.classes import CLASSES
    from mlcore.ocr.postprocess import consistent_words
    # "NO 12345" read as one word: the strict rule made it all digits ("0012345", the N forced to its
    # likeliest digit); each part keeps its group when its characters are sure of it
    probs = _probs([{"N": 0.9}, {"O": 0.6, "0": 0.35}, {"1": 0.55, "I": 0.4}, {"2": 0.9}, {"3": 0.9},
                    {"4": 0.9}, {"5": 0.9}])
    assert "".join(CLASSES[k] for k in consistent_words(probs, [list(range(7))])) == "NO12345"
    assert "".join(CLASSES[k] for k in consistent_words(probs, [list(range(7))], switch=0.0)) == "0012345"


def test_a_reading_that_makes_no_word_may_mix_letters_and_digits_more_readily():
    from mlcore.ocr.postprocess import Lexicon, consistent_words
    lex = Lexicon(["so", "cab"], CLASSES)
    # "CB2" and "SO": the 2 and the S are each a digit at 0.8 and a letter at 0.18, which a change of group
    # within a word (GROUP_SWITCH) does not pay for, but a change within a token that is no word does
    probs = _probs([{"C": 0.9}, {"B": 0.9}, {"2": 0.8, "Z": 0.18}, {"5": 0.8, "S": 0.18}, {"O": 0.9}])
    strict = consistent_words(probs, [[0, 1, 2], [3, 4]])
    assert "".join(CLASSES[k] for k in strict) == "CBZSO"
    loose = lex.reread_nonwords(probs, [[0, 1, 2], [3, 4]], strict)
    assert "".join(CLASSES[k] for k in loose) == "CB2SO"       # "SO" is a word, and stays one
    assert "".join(CLASSES[k] for k in Lexicon(["cab"], CLASSES).reread_nonwords(
        probs, [[0, 1, 2], [3, 4]], strict)) == "CB25O"
    # a reading with a digit is left as it is, and so is a change of group the characters are unsure of
    unsure = _probs([{"0": 0.6, "O": 0.38}, {"K": 0.9}, {"Z": 0.6, "2": 0.38}])
    assert "".join(CLASSES[k] for k in lex.reread_nonwords(unsure, [[0, 1, 2]], unsure.argmax(1))) == "0KZ"
    assert "".join(CLASSES[k] for k in lex.reread_nonwords(unsure, [[0, 1, 2]], np.array(
        [CLASSES.index(c) for c in "OKZ"]))) == "OKZ"


def test_the_reader_reads_a_token_that_makes_no_word_again_only_with_the_dictionary():
    # "CB2 CAB": the same 2 as above; the reader's word rules read "CB2" with the dictionary and "CBZ" without
    probs = _probs([{"C": 0.9}, {"B": 0.9}, {"2": 0.8, "Z": 0.18}, {"C": 0.9}, {"A": 0.9}, {"B": 0.9}])
    for lexicon, text in ((True, "CB2CAB"), (False, "CBZCAB")):
        pred = reader._labels(probs, [[0, 1, 2], [3, 4, 5]], CLASSES, correct_words=True, lexicon=lexicon)
        assert "".join(CLASSES[k] for k in pred) == text


@pytest.mark.real_data
def test_postcodes_and_ordinals_written_with_test_characters_read_better_as_no_words(model, real_dataset,
                                                                                      monkeypatch):
    # bench/ocr_conditions.py's clean pages of its second text (seeds 1, 4, ..., 28): "CB2", "1TN", "4TH" and
    # "4B" read as letters that make no word ("CBZ", "ITN", "YTH") unless a token that is no word may mix
    # letters and digits more readily than a word ("4B" read "48" is a number, and stays one)
    from mlcore.ocr.postprocess import Lexicon
    truth = _bench_text(1)
    mixed = ("4B", "4TH", "CB2", "1TN")
    photos = [compose_page(truth, real_dataset.test.X, real_dataset.test.y, CLASSES, seed).mean(axis=2)
              .astype(np.float32) / 255 for seed in range(1, 30, 3)]

    def tokens_right():
        read = [read_page(photo, model.network, model.classes).text.split() for photo in photos]
        return sum(token in words for words in read for token in mixed)

    now = tokens_right()
    monkeypatch.setattr(Lexicon, "reread_nonwords", lambda self, probs, words, pred: pred)
    before = tokens_right()
    assert now >= before + 5, (before, now)   # 18 and 25 of 40


def test_lexicon_fixes_unsure_characters_but_not_confident_unknown_words():
    from mlcore.data.classes import CLASSES
    from mlcore.ocr.postprocess import Lexicon
    lex = Lexicon(["cat", "dog", "cot"], CLASSES)
    unsure = _probs([{"C": 0.9}, {"Q": 0.55, "A": 0.4}, {"T": 0.9}])
    pred = lex.correct(unsure, [[0, 1, 2]], unsure.argmax(1))
    assert "".join(CLASSES[k] for k in pred) == "CAT"
    confident = _probs([{"X": 0.95}, {"Q": 0.95}, {"Z": 0.95}])
    pred = lex.correct(confident, [[0, 1, 2]], confident.argmax(1))
    assert "".join(CLASSES[k] for k in pred) == "XQZ"


def test_of_the_words_near_a_reading_the_dictionary_takes_the_one_most_often_written():
    from mlcore.ocr.postprocess import Lexicon
    counted = Lexicon({"book": 170_000, "rook": 1_600, "dook": 50}, CLASSES)

    def read(first, lex=counted):
        probs = _probs([first, {"O": 0.95}, {"O": 0.95}, {"K": 0.95}])
        return "".join(CLASSES[k] for k in lex.correct(probs, [[0, 1, 2, 3]], probs.argmax(1)))

    # The first letter read A, with B, R and D about as likely: BOOK, far the most often written, is taken
    # even where ROOK or DOOK reads a little more probably ...
    assert read({"A": 0.5, "R": 0.2, "B": 0.15, "D": 0.15}) == "BOOK"
    # ... but never a word much less probable than the reading (LEXICON_RATIO), however common.
    assert read({"A": 0.5, "R": 0.45, "B": 0.001}) == "ROOK"
    assert read({"A": 0.6, "R": 0.03, "B": 0.005}) == "ROOK"        # BOOK below the ratio, ROOK above it
    assert read({"A": 0.9, "B": 0.001, "R": 0.001, "D": 0.001}) == "AOOK"
    # A list of words alone: each as common as the others, the most probable taken.
    assert read({"A": 0.5, "R": 0.3, "B": 0.2}, Lexicon(["book", "rook"], CLASSES)) == "ROOK"
    for count in (0, -3, 2.5, True, "often"):
        with pytest.raises(ValueError, match="whole number of times"):
            Lexicon({"book": count}, CLASSES)


def test_the_english_lexicon_holds_words_as_they_are_written_inflected():
    from mlcore.ocr.postprocess import english_lexicon
    lex = english_lexicon(CLASSES)

    def read(word, last):
        # every letter sure but the last, read D at 0.6 with `last` at 0.35
        probs = _probs([{c: 0.95} for c in word[:-1]] + [{"D": 0.6, last: 0.35}])
        return "".join(CLASSES[k] for k in lex.correct(probs, [list(range(len(word)))], probs.argmax(1)))

    # plurals, comparatives, verb forms and contractions (read without their apostrophe), which a
    # dictionary of headwords lacks
    inflected = ("MAPS", "THINGS", "DEEPER", "HOPING", "DONT")
    assert [read(w, w[-1]) for w in inflected] == list(inflected)
    assert read("XQZS", "S") == "XQZD"     # no word near: the reading stays
    assert len(lex) > 100_000


def test_a_long_word_read_as_digits_is_offered_the_lexicon_but_short_numbers_are_not():
    from mlcore.ocr.postprocess import LEXICON_MIN_WITH_DIGITS, Lexicon
    lex = Lexicon(["dogs", "sos", "sass"], CLASSES)

    def read(probs):
        return "".join(CLASSES[k] for k in lex.correct(probs, [list(range(len(probs)))], probs.argmax(1)))

    # Each letter of DOGS read as its look-alike digit: DOGS is 0.07 times as probable as "0065".
    assert read(_probs([{"0": 0.6, "D": 0.3}, {"0": 0.6, "O": 0.35}, {"6": 0.6, "G": 0.3},
                        {"5": 0.6, "S": 0.3}])) == "DOGS"
    unsure_505 = [{"5": 0.6, "S": 0.35}, {"0": 0.6, "O": 0.35}, {"5": 0.6, "S": 0.35}]
    assert LEXICON_MIN_WITH_DIGITS > 3 and read(_probs(unsure_505)) == "505"
    assert read(_probs([{"5": 0.95, "S": 0.04}] * 4)) == "5555"       # sure digits: SASS is far less probable


def test_a_word_fits_the_dictionary_when_a_word_of_its_length_is_near_its_reading():
    from mlcore.ocr.postprocess import Lexicon
    lex = Lexicon(["over", "we"], CLASSES)
    assert lex.fits(_probs([{"O": 0.9}, {"V": 0.9}, {"E": 0.9}, {"P": 0.6, "R": 0.3}]))   # OVER half as probable
    assert not lex.fits(_probs([{"O": 0.9}, {"V": 0.9}, {"E": 0.9}, {"P": 0.99, "R": 0.001}]))
    assert not lex.fits(_probs([{"W": 0.9}, {"E": 0.9}, {"R": 0.9}]))        # no word of three letters
    assert not Lexicon(["a"], CLASSES).fits(_probs([{"A": 0.9}]))            # one character is no word


class _ByBox:
    """A stand-in network reading each box (an index, passed through crops_to_rows) as `reads[box]`."""
    def __init__(self, reads):
        self.reads = reads

    def predict_proba(self, rows):
        return np.stack([self.reads[int(r)] for r in rows])


def test_a_word_is_parted_the_way_that_reads_as_a_dictionary_word_when_the_best_does_not(monkeypatch):
    from mlcore.ocr import reader
    from mlcore.ocr.postprocess import Lexicon
    monkeypatch.setattr(reader, "crops_to_rows", lambda ink, labels, boxes: (np.array(boxes), None))
    letters = "WEROVATHSDMNI"
    sure = {k: _probs([{c: 0.9}])[0] for k, c in enumerate(letters)}
    sure.update({20: _probs([{"1": 0.9}])[0], 21: _probs([{"4": 0.9}])[0]})
    lexicon = Lexicon(["over", "the", "hot", "man", "ivan"], CLASSES)
    choose = reader._dictionary_choice(_ByBox(sure), None, None, lexicon)
    w, e, r, o, v, a, t, h, s, d, m, n, i = range(len(letters))
    assert choose([[w, e, r], [o, v, e, r]]) == 1          # WER is no word, OVER is
    assert choose([[w, e, r], [s, h, e, d], [o, v, e, r]]) == 2     # the most probable that is a word
    assert choose([[o, v, e, r], [w, e, r]]) == 0          # the best reading is a word: kept
    assert choose([[m, a, n], [i, v, a, n]]) == 0          # ... however short
    assert choose([[w, e, r], [s, h, e, d]]) == 0          # no reading is a word: the best kept
    assert choose([[h, a], [t, h, e]]) == 0                # too short to be chosen (MIN_CHOSEN_WORD)
    assert choose([[20, 21], [o, v, e, r]]) == 0            # a number: kept
    # Letters and digits ("14E"): letters parted wrong make such tokens, so a reading that is a word wins.
    assert choose([[20, 21, e], [o, v, e, r]]) == 1
    assert choose([[20, 21, e], [s, h, e, d]]) == 0        # ... and with none, the token is kept


def test_a_word_read_with_a_look_alike_digit_is_judged_as_the_letters_the_word_rule_makes_it():
    from mlcore.ocr.postprocess import Lexicon
    lexicon = Lexicon(["quick"], CLASSES)
    broken_u = _probs([{"Q": 0.7}, {"2": 0.4, "C": 0.3}, {"I": 0.6}, {"I": 0.99}, {"C": 0.99}, {"K": 0.98}])
    joined = _probs([{"Q": 0.7}, {"U": 0.9}, {"I": 0.99}, {"C": 0.99}, {"K": 0.98}])
    assert lexicon.choose([broken_u, joined]) == 1      # "Q2IICK" is the letters "QCIICK", no word
    number = _probs([{"2": 0.9}, {"7": 0.9}, {"1": 0.9}, {"4": 0.9}, {"0": 0.9}])
    assert lexicon.choose([number, joined]) == 0        # a number stays a number


def test_close_marks_are_offered_joined_when_the_join_reads_at_least_as_well(monkeypatch):
    # A fine pen breaks a U into a C and a stroke 0.25 character heights apart; a K follows 0.2 after it, then
    # a W too wide to be part of a broken character. C, stroke and K together are wider than JOIN_WIDTH.
    def key(box):
        return box.left * 1000 + box.right
    monkeypatch.setattr(segment, "crops_to_rows", lambda ink, labels, boxes: (np.array([key(b) for b in boxes]), None))
    word = [Box(0, 0, 100, 60, [1]), Box(0, 85, 100, 100, [2]), Box(0, 120, 100, 200, [3]), Box(0, 210, 100, 340, [4])]
    u, stroke_k = Box(0, 0, 100, 100, [1, 2]), Box(0, 85, 100, 200, [2, 3])
    marks = {key(b): r for b, r in zip(word, ({"C": 0.6}, {"I": 0.5, "1": 0.5}, {"K": 0.98}, {"W": 0.99}))}

    def alternatives(reads_u, reads_stroke_k, spare=2):
        reads = {**marks, key(u): reads_u, key(stroke_k): reads_stroke_k}
        network = _ByBox({n: _probs([r])[0] for n, r in reads.items()})
        verifier = _ByBox(dict.fromkeys([*marks, key(u), key(stroke_k)], [0.1, 0.9]))
        return segment._join_alternatives(word, None, None, 100.0, network, verifier, spare, budget=100)

    sure_u, sure_k = {"U": 0.95}, {"K": 0.99}
    # Both joins read better than their marks apart (U by 1.2, K by 0.8 in log-probability): the U first.
    assert alternatives(sure_u, sure_k) == ([(0, 2, u), (1, 3, stroke_k)], 5)
    # A join reading 0.3 worse than apart (an unsure K) is not offered; nor, below, anything at all when no
    # joined reading would be as long as the dictionary chooses (spare 0), or the budget is too small.
    assert alternatives(sure_u, {"K": 0.3, "X": 0.3, "R": 0.3}) == ([(0, 2, u)], 5)
    assert alternatives(sure_u, sure_k, spare=0) == ([], 0)
    assert segment._join_alternatives(word, None, None, 100.0, None, None, 2, budget=4) == ([], 0)
    # A stroke beside a mark wider than SPLIT_WIDTH (a W 1.2 heights wide, which split_mark may part) is
    # never joined to it, though together they are no wider than JOIN_WIDTH: nothing is even read.
    wide_w = Box(0, 105, 100, 225, [5])
    assert segment._join_alternatives([word[1], wide_w], None, None, 100.0, None, None, 2, budget=100) == ([], 0)


def test_noise_is_refused_before_thousands_of_marks_are_read(model):
    noise = np.random.default_rng(0).integers(0, 256, (1200, 1600), dtype=np.uint8)
    with pytest.raises(ImageLoadError, match=r"holds \d{4,} separate marks, more than the 1500 characters"):
        read_page(encode(Image.fromarray(noise), "PNG"), model.network, model.classes)


# ------------------------------------------------------------ composed sample pages
def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _ruled(page: np.ndarray, step: int, squared: bool, degrees: float = 0.0) -> np.ndarray:
    """The page on ruled paper: 2 px grey rules every `step` pixels (both ways if squared), turned by
    `degrees` (a photo slightly askew), that the strokes cross."""
    yy, xx = np.mgrid[0:page.shape[0], 0:page.shape[1]].astype(float)
    t = np.deg2rad(degrees)
    rules = (yy * np.cos(t) - xx * np.sin(t) - step // 2) % step < 2
    if squared:
        rules |= (xx * np.cos(t) + yy * np.sin(t) - step // 3) % step < 2
    return np.round(page * np.where(rules, 0.75, 1.0)[..., None]).astype(np.uint8)


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("paper", ["plain", "lined", "squared", "lined, 0.7 degrees askew", "a hand's shadow"])
def test_pages_composed_of_real_test_characters_read_as_their_text(model, real_dataset, paper):
    # Lines and words must come out exactly; the characters as well as the shipped classifier reads real
    # test characters (about 94% of letters, 36-way), pooled over the three pages, ruled paper or not.
    errors = length = 0
    for seed, truth in enumerate(SAMPLE_TEXTS.values()):
        page = compose_page(truth, real_dataset.test.X, real_dataset.test.y, CLASSES, seed=seed)
        assert page.dtype == np.uint8 and page.ndim == 3
        if paper == "a hand's shadow":
            page = np.round(255 * hand_shadow(page.mean(axis=2) / 255, np.random.default_rng(seed))).astype(np.uint8)
        elif paper != "plain":   # rules about a line apart, crossing the characters
            page = _ruled(page, step=int(Style().char_px * 0.8), squared=paper == "squared",
                          degrees=0.7 if "askew" in paper else 0.0)
        reading = read_page(_png(page), model.network, model.classes)
        assert reading.text.count("\n") == truth.count("\n")
        assert word_break_accuracy(reading.text, truth) == 1.0
        errors += edit_distance("".join(reading.text.split()), "".join(truth.split()))
        length += len("".join(truth.split()))
    assert 1 - errors / length >= 0.9


@pytest.mark.real_data
def test_a_page_cannot_be_composed_of_what_is_not_there(real_dataset):
    X, y = real_dataset.test.X, real_dataset.test.y
    for text, message in (("", "1 to"), ("A" * 401, "1 to"), ("HI!", "no sample of !")):
        with pytest.raises(ValueError, match=message):
            compose_page(text, X, y, CLASSES, seed=0)
    letters = y < 26
    with pytest.raises(ValueError, match="no sample of 4"):
        compose_page("B4", X[letters], y[letters], CLASSES, seed=0)
    # A style cannot make a page without bound, nor a character taller than its line.
    for style in (dict(char_px=2), dict(char_px=401), dict(size=(0.85, 3.0)), dict(letter_gap=(0.2, 50)),
                  dict(word_gap=(0.0, 1.0)), dict(letter_gap=(0.4, 0.2)), dict(line_height=10)):
        with pytest.raises(ValueError, match="page"):
            Style(**style)


# ------------------------------------------------------------ touching characters
def test_the_best_path_over_cuts_is_the_most_probable_reading():
    # Bounds 0..3; scores chosen so that the best path (0,1)+(1,3) = -0.5 beats the whole (0,3) = -1.0
    # and (0,2)+(2,3) = -0.9, and a span left out (no piece there) is never used.
    bounds = np.array([0, 10, 20, 30])
    score = {(0, 1): -0.2, (1, 3): -0.3, (0, 3): -1.0, (0, 2): -0.4, (2, 3): -0.5}
    assert segment._best_path(bounds, score) == [(0, 1), (1, 3)]
    assert segment._best_path(bounds, {(0, 1): -0.1, (2, 3): -0.1}) == []   # no way across


def test_the_best_path_of_each_number_of_pieces_is_found():
    bounds = np.array([0, 10, 20, 30])
    score = {(0, 1): -0.2, (1, 3): -0.3, (0, 3): -1.0, (0, 2): -0.4, (2, 3): -0.5, (1, 2): -0.35}
    paths = segment._best_paths(bounds, score)
    assert paths.keys() == {1, 2, 3}
    assert paths[1] == (-1.0, [(0, 3)])
    assert paths[2][1] == [(0, 1), (1, 3)] and paths[2][0] == pytest.approx(-0.5)      # not (0,2)+(2,3) = -0.9
    assert paths[3][1] == [(0, 1), (1, 2), (2, 3)] and paths[3][0] == pytest.approx(-1.05)


def test_a_piece_reads_as_probably_as_its_best_letter_and_best_digit_together():
    probs = np.full((3, 36), 0.0)
    one, i, m, n = CLASSES.index("1"), CLASSES.index("I"), CLASSES.index("M"), CLASSES.index("N")
    probs[0, [one, i]] = 0.55, 0.45          # a 1 or an I: the word rule settles which
    probs[1, [m, n, one]] = 0.5, 0.4, 0.1    # an M or an N: the word cannot settle that
    probs[2, :] = 1 / 36
    assert segment._reading_probability(probs) == pytest.approx([1.0, 0.6, 2 / 36])


def _touching_and_overlapping_accuracy(model, dataset, texts, seeds) -> float:
    """composed_accuracy of `texts`, written touching and overlapping by 1-3 px, the mean of the two."""
    return float(np.mean([composed_accuracy(model, dataset, gap, texts=texts, seeds=seeds)
                          for gap in ((0.0, 0.0), (-3 / 64, -1 / 64))]))


@pytest.mark.real_data
def test_numbers_written_touching_are_parted_better_for_their_look_alikes_counted(model, real_dataset, monkeypatch):
    # A stroke that reads 1 as much as I paid for it when its best class alone scored it, so "14" read
    # better as one H and "019" as "OM". Numbers of real test characters, touching and overlapping.
    texts = ("CALL 0412 555 019\nGATE 14 ROOM 21", "MEET AT 1910\nFLAT 14 ON 12TH")
    # The segmenter alone: the word recogniser's recount parts many of these too, and as shipped the segmenter's
    # gain is mostly taken by it (0.903 against 0.894; the bench's pages are the measure of the whole).
    monkeypatch.setattr(counting, "GAIN", np.inf)
    both = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(6))
    monkeypatch.setattr(segment, "_reading_probability", lambda probs: probs.max(axis=1))
    best_class = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(6))
    assert both >= best_class + 0.01, (both, best_class)   # measured: 0.861 against 0.839


@pytest.mark.real_data
def test_wide_letters_written_touching_are_parted_off_whole(model, real_dataset, monkeypatch):
    # An M or a W may be written 1.8 character heights wide: pieces no wider than 1.5 could not hold it, and
    # its mark was parted some other way. Words of wide letters of real test characters, touching and overlapping.
    texts = ("SWIM WITH MOM\nNEW MOWN WHEAT", "WE WANT 14 MEN\nMAXIMUM WAGE")
    wide = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(4))
    monkeypatch.setattr(segment, "PIECE_WIDTH", (segment.PIECE_WIDTH[0], 1.5))
    narrow = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(4))
    assert wide >= narrow + 0.01, (wide, narrow)   # measured: 0.896 against 0.863


@pytest.mark.real_data
def test_numbers_written_overlapping_are_parted_where_the_verifier_doubts_a_mark_of_ordinary_width(
        model, real_dataset, monkeypatch):
    # "14" written overlapping is one mark about 0.9 character heights wide, no wider than an H; the verifier
    # doubts it is one character. Numbers and words of real test characters, touching and overlapping.
    texts = ("GATE 14 ROOM 19\nCALL 0141 BY 1910", "FLAT 14 ON 12TH\nMEET AT 1914")
    monkeypatch.setattr(counting, "GAIN", np.inf)   # the segmenter alone: the word recogniser parts some of these too
    doubted = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(6))
    monkeypatch.setattr(segment, "DOUBT_WIDTH", np.inf)
    wide_only = _touching_and_overlapping_accuracy(model, real_dataset, texts, range(6))
    assert doubted >= wide_only + 0.01, (doubted, wide_only)


def test_a_words_readings_vary_one_mark_at_a_time_most_probable_first():
    ways = [[(-1.0, ["a"]), (-2.0, ["a1", "a2"])], [(-0.5, ["b"])], [(-0.5, ["c"]), (-0.6, ["c1", "c2"])]]
    assert segment._word_readings(ways, []) == [["a", "b", "c"], ["a", "b", "c1", "c2"], ["a1", "a2", "b", "c"]]
    # A join (offered only when it scores at least as well as its marks apart) comes right after the best
    # reading, before the other partings: merge_broken kept the marks apart, only the dictionary may join them.
    ways.append([(-0.1, ["d"])])
    assert segment._word_readings(ways, [(1, 3, "bc")]) == [
        ["a", "b", "c", "d"], ["a", "bc", "d"], ["a", "b", "c1", "c2", "d"], ["a1", "a2", "b", "c", "d"]]


def composed_accuracy(model, dataset, letter_gap, condition=None, texts=None, seeds=(0,),
                      **reading) -> float:
    """The mean character accuracy over `texts` (default: the sample texts), each written with
    `dataset`'s test characters once per seed in `seeds` (the k-th text's page seeded k + seed), its
    letters `letter_gap` apart, put through `condition` (a function of the page's gray image, seeded as the
    page; None: the page as composed), read with `reading`'s options."""
    def photo(seed, truth):
        rgb = compose_page(truth, dataset.test.X, dataset.test.y, CLASSES, seed, Style(letter_gap=letter_gap))
        return _png(rgb) if condition is None else condition(rgb.mean(axis=2).astype(np.float32) / 255, seed)

    return float(np.mean([character_accuracy(read_page(photo(k + seed, truth), model.network, model.classes,
                                                       **reading).text, truth)
                          for seed in seeds for k, truth in enumerate(texts or SAMPLE_TEXTS.values())]))


@pytest.mark.real_data
def test_touching_letters_are_parted_by_what_reads_best_and_clean_pages_are_unchanged(model, real_dataset,
                                                                                       monkeypatch):
    # Pages of real test characters written touching: parted, they read far better than as whole marks;
    # written apart, the splitter changes nothing.
    def accuracy(gap):
        return composed_accuracy(model, real_dataset, gap)

    parted, clean = accuracy((0.0, 0.0)), accuracy(Style().letter_gap)
    monkeypatch.setattr(segment, "SPLIT_WIDTH", np.inf)   # no mark parted, however wide
    monkeypatch.setattr(segment, "DOUBT_WIDTH", np.inf)   # or doubted
    monkeypatch.setattr(segment, "MERGE_GAP", -np.inf)    # nor any joined (unbounded joins would read worse)
    monkeypatch.setattr(counting, "GAIN", np.inf)          # nor parted as the word recogniser counts
    whole, clean_whole = accuracy((0.0, 0.0)), accuracy(Style().letter_gap)
    assert parted >= whole + 0.1, (parted, whole)
    assert clean == clean_whole
    monkeypatch.undo()                                      # the splitter back as shipped
    monkeypatch.setattr(segment, "MAX_PIECES_READ", 0)     # a page out of budget is read as its marks are
    assert accuracy((0.0, 0.0)) == whole


@pytest.mark.slow
@pytest.mark.real_data
def test_the_word_recogniser_counts_overlapping_characters_and_reads_each_mark_beside_the_classifier(
        model, real_dataset, monkeypatch):
    # The conditions bench's texts, written with the test split's characters overlapping by 1-3 px (a mark
    # may hold two characters that read well as one) and as written: read as shipped, without the recount,
    # with its ways read at the usual weight alone, and without the recogniser's reading of each mark.
    def accuracy(gap):
        return composed_accuracy(model, real_dataset, gap, texts=TEXTS, seeds=range(0, 24, 3))   # 24 pages

    overlapping = (-3 / 64, -1 / 64)
    counted, clean = accuracy(overlapping), accuracy(Style().letter_gap)
    monkeypatch.setattr(counting, "GAIN", np.inf)          # no word's reading is ever far more probable
    assert counted >= accuracy(overlapping) + 0.02, counted   # measured 0.954 against 0.928
    # A clean word may be recounted wrongly: with the recogniser before this one, a writer's CALL read "CADL"
    # became "CAI6L" (the recogniser read it "CRI6L", surely). Measured 0.984 against 0.984.
    assert clean >= accuracy(Style().letter_gap) - 0.002, clean
    monkeypatch.undo()
    monkeypatch.setattr(counting, "RECOUNT_WEIGHT", word_reading.WORD_WEIGHT)   # each way read at the usual weight
    # Measured 0.954 against 0.950: a few characters in 24 pages, since the recogniser's usual weight is 0.5 (on the
    # validation split's pages, 3 against 1.5 read overlapping 97.15 against 96.75).
    assert counted > accuracy(overlapping), counted
    monkeypatch.undo()
    # The classifier alone reads each mark (but for words recounted leaning on the recogniser). A few characters
    # in 24 pages (the reading is deterministic; a retrained classifier or recogniser may move these, and the
    # bench on 30 pages a condition is the measure).
    monkeypatch.setattr(word_reading, "WORD_WEIGHT", 0.0)
    assert counted > accuracy(overlapping), counted           # measured 0.954 against 0.942
    assert clean > accuracy(Style().letter_gap), clean        # 0.984 against 0.982
