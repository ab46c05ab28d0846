import numpy as np
import pytest

from mlcore.data.classes import CLASSES
from mlcore.data.datasets import Split
from mlcore.data.glyphs import SIZE, images_to_rows
from mlcore.ocr import page_pieces
from mlcore.ocr.compose import Style, compose_page, placed_glyphs
from mlcore.ocr.layout import Box


def _diamonds() -> Split:
    """Two classes, A and B: filled diamonds (thinnest at their left and right tips), B wider than A,
    five samples each, dark on white as the data's rows are."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    images = []
    for half_width in (7, 11):
        diamond = np.abs(xx - 15.5) / half_width + np.abs(yy - 15.5) / 12 <= 1
        images += [np.where(diamond, 0.0, 1.0)] * 5
    return Split(images_to_rows(np.array(images, dtype=np.float32)), np.repeat([0, 1], 5).astype(np.int64))


def test_placed_glyphs_says_where_the_composed_page_holds_each_characters_ink():
    chars, text = _diamonds(), "AB A\nBA"
    placed = placed_glyphs(text, chars.X, chars.y, CLASSES, seed=3)
    assert [[start for _, _, start in row] for row in placed] == [[True, False, True], [True, False]]
    dark = (compose_page(text, chars.X, chars.y, CLASSES, seed=3).mean(axis=2) < 128).any(axis=0)
    spans = [(left, right) for row in placed for left, right, _ in row]
    inside = np.zeros_like(dark)
    for left, right in spans:
        assert dark[left:right].any()
        inside[left:right] = True
    assert not (dark & ~inside).any()


@pytest.mark.parametrize("style", [Style(letter_gap=(0.0, 0.0)),
                                   Style(char_px=300, letter_gap=(-3 / 64, -3 / 64))],   # read at a smaller scale
                         ids=["touching", "overlapping, large"])
def test_the_pieces_of_a_page_written_touching_are_labelled_one_character_where_one_is_written(style):
    # Diamonds touch (or overlap) at their tips, where a candidate cut falls: each of the 10 characters is one
    # piece labelled one character, and every pair of touching neighbours (5) is at least one more, not one.
    chars, text = _diamonds(), "AB BA AB\nBA AB"
    page = page_pieces.cut_page(text, chars, CLASSES, seed=1, style=style)
    assert len(page.pieces) == len(page.one) and page.ink.shape == page.labels.shape
    assert page.one.sum() == 10 and (~page.one).sum() >= 5
    if style.char_px == 300:
        assert page.ink.shape[1] < compose_page(text, chars.X, chars.y, CLASSES, 1, style).shape[1]


def test_random_text_uses_only_the_classes_there_are():
    letters = np.arange(26)
    text = page_pieces.random_text(CLASSES, letters, np.random.default_rng(0), lines=40)
    words = text.split()
    assert text.count("\n") == 39 and set("".join(words)) <= set(CLASSES[:26])
    assert all(page_pieces.WORD_LENGTH[0] <= len(w) < page_pieces.WORD_LENGTH[1] for w in words)
    both = page_pieces.random_text(CLASSES, np.arange(36), np.random.default_rng(0), lines=40)
    assert any(c.isdigit() for c in both) and any(c.isalpha() for c in both)


def _fake_pages(monkeypatch, ones: int, others: int) -> list:
    """cut_page stood in for: each page `ones` pieces of one character, `others` not; a piece's crop row
    holds whether it is one character and a number of its own. Returns each page's seed, as cut."""
    calls, made = [], iter(range(10**6))

    def fake(text, split, classes, seed, style):
        calls.append((seed, style.letter_gap))
        one = np.repeat([True, False], [ones, others])
        return page_pieces.CutPage(np.zeros((1, 1)), np.zeros((1, 1)), [Box(0, 0, 1, 1, [int(k), next(made)])
                                                                       for k in one], one)

    def crops(ink, labels, boxes):
        rows = np.zeros((len(boxes), SIZE * SIZE), dtype=np.float32)
        rows[:, :2] = [box.labels for box in boxes]
        return rows, None
    monkeypatch.setattr(page_pieces, "cut_page", fake)
    monkeypatch.setattr(page_pieces, "crops_to_rows", crops)
    return calls


def test_piece_crops_take_the_share_asked_of_each_kind_labelled_as_found(monkeypatch):
    calls = _fake_pages(monkeypatch, ones=3, others=7)
    crops = page_pieces.piece_crops(_diamonds(), CLASSES, 50, np.random.default_rng(0), one_share=0.4)
    assert len(crops) == 50 and crops.y.sum() == 20
    assert np.array_equal(crops.X[:, 0] == 1.0, crops.y == 1)
    # Each page is cut once to count its pieces and once more to crop those chosen, whose numbers show
    # that no piece was taken twice.
    pages = list(dict.fromkeys(seed for seed, _ in calls))
    assert len(pages) == 7                  # 20 of one character at 3 a page; the others were enough by then
    assert [gap for _, gap in calls[:4]] == list(page_pieces.SPACINGS)
    assert len(set(crops.X[:, 1].tolist())) == 50


def test_the_pages_composed_for_piece_crops_are_bounded(monkeypatch):
    calls = _fake_pages(monkeypatch, ones=0, others=7)
    with pytest.raises(ValueError, match="too few pieces"):
        page_pieces.piece_crops(_diamonds(), CLASSES, 50, np.random.default_rng(0), one_share=0.4)
    assert len(calls) == page_pieces.MIN_PAGES + 50 // page_pieces.PIECES_PER_PAGE
    assert len(page_pieces.piece_crops(_diamonds(), CLASSES, 0, np.random.default_rng(0), one_share=0.4)) == 0


@pytest.mark.parametrize(("n", "share"), [(-1, 0.4), (10, 1.5), (10, -0.1)])
def test_piece_crops_refuse_a_negative_count_or_a_share_outside_0_1(n, share):
    with pytest.raises(ValueError, match="n >= 0 and one_share in"):
        page_pieces.piece_crops(_diamonds(), CLASSES, n, np.random.default_rng(0), one_share=share)
