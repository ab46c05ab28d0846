import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from mlcore.cli import main
from mlcore.data.classes import CLASSES
from mlcore.data.datasets import Split, load_dataset
from mlcore.data.glyphs import EXTENT, SIZE, images_to_rows, rows_to_images
from mlcore.data.paths import default_classifier_path
from mlcore.model_io import ModelFileError, load_model
from mlcore.ocr import segment, verifier, word_reading
from mlcore.ocr.compose import Style
from mlcore.ocr.layout import Box, components
from tests.photo_conditions import broken
from tests.test_ocr import _ByBox, composed_accuracy
from tests.tiny_data import tiny_data_dir


@pytest.fixture(scope="module")
def model():
    return load_model(default_classifier_path())


def _bar(height: int, width: int) -> np.ndarray:
    return np.ones((height, width))


def _split_of(rows: np.ndarray) -> Split:
    return Split(rows, np.zeros(len(rows), dtype=np.int64))


def test_a_composed_pair_holds_both_characters_side_by_side():
    rng = np.random.default_rng(0)
    # a (20 x 10) is brought to the pair's height, 40 x 20; b (30 x 6) to within 15% of it, 34-46 x 7-9,
    # and starts 0-3 columns before a ends.
    for _ in range(20):
        pair = verifier.compose("pair", _bar(20, 10), _bar(30, 6), rng)
        assert 40 <= pair.shape[0] <= 46 and 20 + 7 - verifier.MAX_OVERLAP <= pair.shape[1] <= 20 + 9
        assert pair[:40, :20].min() > 0.99                 # a, whole, from the top left
        assert 34 <= pair[:, -1].sum() <= 46 and pair[0, -1] > 0.99    # b's last column, as tall as b


def test_the_overlap_of_a_pair_is_where_both_inks_meet():
    a, b = np.zeros((4, 5)), np.zeros((3, 5))
    a[:, -2:], b[:, :3] = 0.9, 0.4
    out = verifier._side_by_side(a, b, overlap=2)
    assert out.shape == (4, 8)
    np.testing.assert_allclose(out[0], [0, 0, 0, 0.9, 0.9, 0.4, 0, 0])    # the darker ink kept where they meet
    np.testing.assert_allclose(out[-1], [0, 0, 0, 0.9, 0.9, 0, 0, 0])     # b, shorter, hangs from the top


def test_singles_halves_and_slivers_have_the_shapes_they_are_named_for():
    rng = np.random.default_rng(1)
    a = _bar(30, 20)
    for _ in range(20):
        one, half = verifier.compose("one", a, a, rng), verifier.compose("half", a, a, rng)
        assert one.shape[0] == 30 and 20 <= one.shape[1] <= 20 * verifier.STRETCH[1]
        assert half.shape[0] == 30 and 20 * 0.3 - 1 <= half.shape[1] <= 20 * 0.7 + 1
        # a at 40 x 27, then 15-35% of the next one (23-31 wide at its height), overlapping by up to 3.
        assert 27 < verifier.compose("sliver", a, a, rng).shape[1] <= 27 + 10


def test_a_rule_crosses_the_whole_crop_and_keeps_its_ink():
    rng = np.random.default_rng(3)
    ink = np.zeros((40, 30))
    ink[5:35, 14:17] = 1.0                                          # a stem
    for _ in range(20):
        ruled = verifier.crossed_by_a_rule(ink, rng)
        assert np.all(ruled >= ink) and np.all(ruled[:, 14:17][ink[:, 14:17] > 0] == 1.0)
        covered = (ruled[:, :14] > 0.4).sum(axis=0)                 # left of the stem: crossed, 1-4 px thick
        assert covered.min() >= 1 and covered.max() <= 4 and ((ruled[:, 17:] > 0.4).sum(axis=0) >= 1).all()


def test_crops_are_in_the_classifiers_convention_with_their_kind_as_label():
    images = np.ones((50, SIZE, SIZE), dtype=np.float32)
    images[:, 6:26, 10:22] = 0.0                                    # dark characters on white
    crops = verifier.verifier_crops(_split_of(images_to_rows(images)), 2000, np.random.default_rng(2))
    assert crops.X.shape == (2000, SIZE * SIZE) and crops.X.dtype == np.float32
    assert 0.0 <= crops.X.min() and crops.X.max() <= 1.0
    assert abs(crops.y.mean() - verifier.KIND_SHARE["one"]) < 0.04   # two sigma is 0.022
    # Every crop is normalised: its ink box's longest side is EXTENT pixels.
    ink = rows_to_images(crops.X) < 0.7
    longest = np.maximum(ink.any(axis=1).sum(axis=1), ink.any(axis=2).sum(axis=1))
    assert np.all(np.abs(longest - EXTENT) <= 1)


def test_every_kind_is_labelled_one_character_or_not(monkeypatch):
    images = np.ones((20, SIZE, SIZE), dtype=np.float32)
    images[:, 6:26, 10:22] = 0.0
    for kind in verifier.KIND_SHARE:
        monkeypatch.setattr(verifier, "KIND_SHARE", {kind: 1.0})
        crops = verifier.verifier_crops(_split_of(images_to_rows(images)), 30, np.random.default_rng(4))
        assert np.all(crops.y == (kind == "one")), kind


def test_the_crop_count_is_bounded_before_anything_is_composed(tmp_path, monkeypatch):
    data = load_dataset("handwriting", tiny_data_dir(tmp_path))
    monkeypatch.setattr(verifier, "verifier_crops", lambda *a: pytest.fail("crops composed"))
    for n in (0, 9, verifier.MAX_CROPS + 1, 2.5, True):
        with pytest.raises(ValueError, match="training crops"):
            verifier.verifier_dataset(data, n)


class _Constant:
    """A stand-in network whose every row's probabilities are `p`."""
    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)

    def predict_proba(self, rows):
        return np.tile(self.p, (len(rows), 1))


def test_a_pieces_score_adds_the_verifiers_weighted_floored_log_probability():
    rows = np.zeros((3, SIZE * SIZE), dtype=np.float32)
    classifier = _Constant([0.5, 0.25, 0.25])
    alone, no_verifier = segment._piece_scores(rows, classifier, None)
    assert no_verifier is None
    np.testing.assert_allclose(alone, np.log(0.5) - segment.PIECE_TOLL)
    score, one = segment._piece_scores(rows, classifier, _Constant([0.5, 0.5]))
    np.testing.assert_allclose(score, alone + segment.VERIFIER_WEIGHT * np.log(0.5))
    np.testing.assert_allclose(one, 0.5)
    score, one = segment._piece_scores(rows, classifier, _Constant([1.0, 0.0]))    # sure: not one
    np.testing.assert_allclose(score, alone + segment.VERIFIER_WEIGHT * np.log(segment.VERIFIER_FLOOR))
    one_or_i = np.zeros(36)
    one_or_i[[CLASSES.index("1"), CLASSES.index("I")]] = 0.5                       # the word settles which
    np.testing.assert_allclose(segment._piece_scores(rows, _Constant(one_or_i), None)[0], -segment.PIECE_TOLL)


def _bars(gaps: list[int], height: int = 30, width: int = 4):
    """An ink image of upright bars `gaps` pixels apart, its component labels and the bars' boxes."""
    ink = np.zeros((height + 10, sum(gaps) + width * (len(gaps) + 1) + 10), dtype=np.float32)
    left = 5
    for gap in [*gaps, 0]:
        ink[5:5 + height, left:left + width] = 1.0
        left += width + gap
    labels, boxes = components(ink > 0.5)
    return ink, labels, sorted(boxes, key=lambda b: b.left)


def test_close_marks_are_joined_only_where_the_verifier_doubts_one_is_a_whole_character():
    ink, labels, boxes = _bars([3, 3, 12])      # three bars 0.1 character heights apart, a fourth 0.4 away
    classifier = _Constant([0.5, 0.5])
    whole, read = segment.merge_broken(boxes, ink, labels, 30, classifier, _Constant([0.1, 0.9]))
    assert whole == boxes and read == 3          # each a whole character: only the run's marks were read
    joined, read = segment.merge_broken(boxes, ink, labels, 30, classifier, _Constant([0.9, 0.1]))
    # Each a doubtful piece: one mark costs one toll and one doubt instead of three (joins (0,2), (1,3), (0,3) read).
    assert [b.labels for b in joined] == [sorted(b.labels[0] for b in boxes[:3]), boxes[3].labels] and read == 6
    assert (joined[0].left, joined[0].right) == (boxes[0].left, boxes[2].right)
    assert segment.merge_broken(boxes, ink, labels, 30, classifier, _Constant([0.9, 0.1]), budget=2) == (boxes, 0)


def test_marks_are_joined_within_words_only_and_the_word_breaks_follow():
    ink, labels, boxes = _bars([3, 3, 30, 3])   # a word of three close bars, a word gap, a word of two
    breaks = [[False, False, False, True, False]]
    doubting = _Constant([0.9, 0.1])
    lines, flags = segment.split_touching([boxes], breaks, ink, labels, 30, _Constant([0.5, 0.5]), doubting)
    assert [b.labels for b in lines[0]] == [sorted(b.labels[0] for b in boxes[:3]), [boxes[3].labels[0],
                                                                                     boxes[4].labels[0]]]
    assert flags == [[False, True]]
    # Without a verifier nothing is joined.
    assert segment.split_touching([boxes], breaks, ink, labels, 30, _Constant([0.5, 0.5]), None) == ([boxes], breaks)


def test_a_words_readings_are_offered_to_be_chosen_among_within_the_pages_budget(monkeypatch):
    wide = [Box(0, 100 * k, 30, 100 * k + 60, [k + 1]) for k in range(3)]   # three marks two heights wide

    def split_mark(box, *args):      # each mark best read whole (score -1), or parted in two (-1.5)
        halves = [replace(box, right=box.left + 30), replace(box, left=box.left + 30)]
        return [(-1.0, [box]), (-1.5, halves)], 4

    monkeypatch.setattr(segment, "split_mark", split_mark)
    offered = []

    def second(readings):
        offered.append(readings)
        return 1

    def read():
        return segment.split_touching([wide], [[True, False, False]], None, None, 30, None, None, second)

    lines, flags = read()
    assert [len(r) for r in offered[0]] == [3, 4, 4, 4]     # all whole, then each mark parted in turn
    assert lines[0] == offered[0][1] and flags == [[True, False, False, False]]
    # Three marks' pieces (12) and the readings' boxes, each once (9), cost 21: with one less, no choice.
    monkeypatch.setattr(segment, "MAX_PIECES_READ", 21)
    offered.clear()
    assert read()[0] == [offered[0][1]]
    monkeypatch.setattr(segment, "MAX_PIECES_READ", 20)
    offered.clear()
    assert read() == ([wide], [[True, False, False]]) and offered == []


def test_a_words_close_marks_are_offered_joined_to_the_chooser_within_the_pages_budget(monkeypatch):
    # Five sure whole bars 0.3 character heights apart: too far for merge_broken (MERGE_GAP), close enough to be
    # offered joined. Each join saves a piece's toll, so all read better joined; pairs only, so that a joined
    # reading keeps the MIN_CHOSEN_WORD characters the dictionary needs.
    ink, labels, boxes = _bars([9, 9, 9, 9])
    offered = []

    def first_join(readings):
        offered.append(readings)
        return 1

    def read(choose=first_join):
        return segment.split_touching([boxes], [[True] + [False] * 4], ink, labels, 30, _Constant([0.5, 0.5]),
                                      _Constant([0.1, 0.9]), choose)

    lines, flags = read()
    assert [[len(b.labels) for b in r] for r in offered[0]] == [[1] * 5, [2, 1, 1, 1], [1, 2, 1, 1], [1, 1, 2, 1],
                                                                [1, 1, 1, 2]]
    assert lines[0] == offered[0][1] and flags == [[True, False, False, False]]
    assert read(None) == ([boxes], [[True] + [False] * 4])      # no chooser: nothing joined
    # The five marks and four joins read (9), then the readings' nine boxes, each once: 18.
    monkeypatch.setattr(segment, "MAX_PIECES_READ", 17)
    offered.clear()
    assert read() == ([boxes], [[True] + [False] * 4]) and offered == []


def test_no_join_is_wider_than_one_character_may_be():
    # Five doubtful bars: the fewer the pieces, the better they read, as wide as a join may be (1.5 heights).
    def joined(width):
        ink, labels, boxes = _bars([3, 3, 3, 3], width=width)
        out, _ = segment.merge_broken(boxes, ink, labels, 30, _Constant([0.5, 0.5]), _Constant([0.9, 0.1]))
        return [len(b.labels) for b in out]

    assert joined(12) in ([3, 2], [2, 3])                            # three bars together 1.4 heights wide
    assert joined(14) in ([2, 2, 1], [2, 1, 2], [1, 2, 2])           # three 1.6: pairs at most


def test_a_join_wider_than_a_mark_to_part_is_offered_to_be_parted(monkeypatch):
    ink, labels, boxes = _bars([3, 3, 20], width=12)   # three close bars 1.4 heights wide together, a fourth apart
    offered = []

    def split_mark(box, *args):
        offered.append(box.labels)
        return [(0.0, [box])], 0

    monkeypatch.setattr(segment, "split_mark", split_mark)
    lines, _ = segment.split_touching([boxes], [[True, False, False, False]], ink, labels, 30,
                                      _Constant([0.5, 0.5]), _Constant([0.9, 0.1]))
    three = sorted(b.labels[0] for b in boxes[:3])
    assert offered == [three] and [b.labels for b in lines[0]] == [three, boxes[3].labels]


def _verifier_by_left(ones: dict[int, float]) -> _ByBox:
    """A stand-in verifier whose p(one character) for each box is `ones[box.left]` (with _marks_of_widths)."""
    return _ByBox({left: [1 - p, p] for left, p in ones.items()})


def _marks_of_widths(monkeypatch, widths):
    """Marks 30 px high, 100 px apart (too far to be joined), `widths` px wide; crops_to_rows gives their left edges."""
    monkeypatch.setattr(segment, "crops_to_rows", lambda ink, labels, boxes: (np.array([b.left for b in boxes]), None))
    return [Box(0, 100 * k, 30, 100 * k + w, [k + 1]) for k, w in enumerate(widths)]


def test_marks_of_ordinary_width_are_doubted_only_on_a_page_the_verifier_is_sure_of(monkeypatch):
    # Marks 0.5, 0.7 (DOUBT_WIDTH), 0.9, 1.0, 1.15 (SPLIT_WIDTH) and 1.3 character heights wide, and one 0.9 wide
    # but taller than a line (MAX_TALL): the four from DOUBT_WIDTH to SPLIT_WIDTH are read, the narrow one, the
    # wide one (split_mark parts it anyway) and the tall one are not.
    boxes = _marks_of_widths(monkeypatch, (15, 21, 27, 30, 34, 39, 27))
    boxes[6] = replace(boxes[6], bottom=60)
    band = (100, 200, 300, 400)

    def doubted(ones, budget=100):
        verifier = _verifier_by_left(dict(zip(band, ones)))
        return segment._doubted_marks([boxes[:2], boxes[2:]], None, None, 30, verifier, budget)

    assert doubted([0.95, 0.3, 0.9, 0.85]) == ({id(boxes[2])}, 4)     # the median sure: the doubted one parted
    assert doubted([0.95, 0.9, 0.9, 0.3]) == ({id(boxes[4])}, 4)      # ... as wide as SPLIT_WIDTH too
    assert doubted([0.95, 0.5, 0.9, 0.9]) == (set(), 4)            # p(one) 0.5 is no doubt
    assert doubted([0.3, 0.3, 0.9, 0.3]) == (set(), 4)             # the median doubted too: small or blurred writing
    assert doubted([0.95, 0.3, 0.9, 0.9], budget=4) == ({id(boxes[2])}, 4)
    assert doubted([0.95, 0.3, 0.9, 0.9], budget=3) == (set(), 0)
    assert segment._doubted_marks([boxes], None, None, 30, None, 100) == (set(), 0)    # no verifier


def test_a_doubted_mark_of_ordinary_width_is_offered_to_be_parted(monkeypatch):
    boxes = _marks_of_widths(monkeypatch, (15, 24, 27, 30, 39))
    offered = []

    def split_mark(box, ink, labels, char_height, network, verifier, budget):
        offered.append((box, budget))
        return [(0.0, [box])], 1

    monkeypatch.setattr(segment, "split_mark", split_mark)
    segment.split_touching([boxes], [[True] + [False] * 4], None, None, 30, None,
                           _verifier_by_left({100: 0.95, 200: 0.3, 300: 0.9}))
    # The doubted mark and the wide one, within what the page may still read: the three marks the verifier read
    # count against MAX_PIECES_READ, and so does the piece read for the doubted mark.
    read = segment.MAX_PIECES_READ - 3
    assert offered == [(boxes[2], read), (boxes[4], read - 1)]


def test_the_cli_trains_a_verifier_the_reader_can_load(tmp_path, capsys):
    data, out = tiny_data_dir(tmp_path / "data"), tmp_path / "v.npz"
    assert main(["ocr-verifier", "--data-dir", str(data), "--crops", "300", "--epochs", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr()
    summary = json.loads(printed.out)
    assert printed.err.count("\repoch 1/1 | loss") == len(verifier.RECIPES) == 2    # both networks trained, in turn
    assert summary["saved"] == str(out) and set(summary["valid"]["per_class"]) == set(verifier.CLASSES)
    assert summary["message"] == "completed (epochs: mlp 1, cnn 1)" and summary["epochs_run"] == 2
    assert verifier.load_verifier(out).output_shape == (2,)
    meta = load_model(out).metadata
    assert meta["training"]["command"].startswith("python -m mlcore ocr-verifier")
    assert meta["data"]["sizes"]["train"]["n"] == 300
    assert main(["ocr-verifier", "--data-dir", str(data), "--crops", str(verifier.MAX_CROPS + 1)]) == 2
    assert "training crops" in capsys.readouterr().err


def test_a_network_that_does_not_complete_ends_the_verifiers_training(monkeypatch):
    trained = []

    def diverging(crops, recipe, **kwargs):
        trained.append(recipe.arch)
        return SimpleNamespace(result=SimpleNamespace(status="diverged"))

    monkeypatch.setattr(verifier, "verifier_dataset", lambda chars, n, seed: "crops")
    monkeypatch.setattr(verifier, "train_classifier", diverging)
    assert verifier.train_verifier("chars").result.status == "diverged"
    assert trained == ["mlp"]          # the CNN is not trained after the MLP diverged, and nothing is averaged


def test_a_classifier_is_not_taken_for_a_verifier():
    with pytest.raises(ModelFileError, match="not a one-character verifier"):
        verifier.load_verifier(default_classifier_path())


# ------------------------------------------------------------ the shipped verifier, on real data
@pytest.mark.real_data
def test_the_shipped_verifier_was_trained_on_this_data_and_tells_one_character_from_a_wrong_cut(real_dataset):
    meta = load_model(verifier.verifier_path()).metadata
    assert f"data {real_dataset.fingerprint()}" in meta["data"]["dataset"]
    assert meta["training"]["command"].startswith("python -m mlcore ocr-verifier")
    # Fresh crops of characters it never trained on (the test split, another seed): well above chance on both.
    crops = verifier.verifier_crops(real_dataset.test, 3000, np.random.default_rng(99))
    said_one = verifier.load_verifier().predict(crops.X) == 1
    assert said_one[crops.y == 1].mean() >= 0.9          # 0.97 on the test crops its file records
    assert (~said_one[crops.y == 0]).mean() >= 0.86      # 0.93


@pytest.mark.slow
@pytest.mark.real_data
def test_the_verifier_parts_touching_letters_better_and_leaves_spaced_ones_alone(model, real_dataset, monkeypatch):
    def accuracy(gap, verify):
        return composed_accuracy(model, real_dataset, gap, verify_cuts=verify)

    # verify_cuts also has the word recogniser read each mark beside the classifier, which moves a spaced page
    # by a character either way (these: 0.9736 -> 0.9729): the verifier's own part is measured without it.
    monkeypatch.setattr(word_reading, "WORD_WEIGHT", 0.0)
    touching = (0.0, 0.0)
    assert accuracy(touching, True) >= accuracy(touching, False) + 0.05    # measured 0.84 against 0.51
    assert accuracy(Style().letter_gap, True) == accuracy(Style().letter_gap, False)


@pytest.mark.slow
@pytest.mark.real_data
def test_the_marks_of_broken_characters_are_joined_and_clean_pages_are_unchanged(model, real_dataset, monkeypatch):
    def accuracy(condition=None):
        return composed_accuracy(model, real_dataset, Style().letter_gap, condition)

    def dry_pen(gray, seed):
        return broken(gray, np.random.default_rng(seed))

    joined, clean = accuracy(dry_pen), accuracy()
    monkeypatch.setattr(segment, "MERGE_GAP", -np.inf)    # no run of close marks: nothing joined
    assert joined >= accuracy(dry_pen) + 0.005            # measured 0.956 against 0.947
    assert clean == accuracy()
