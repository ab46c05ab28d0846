"""The word recogniser (mlcore.ocr.words) and the counting of a word's characters with it (mlcore.ocr.counting)."""
import json
from dataclasses import replace

import numpy as np
import pytest

from mlcore.architectures import build_word_cnn
from mlcore.cli import main
from mlcore.data.classes import CLASSES as CLASSES_36
from mlcore.data.paths import default_classifier_path
from mlcore.model_io import ModelFileError, load_model
from mlcore.ocr import counting, segment, word_reading, words
from mlcore.ocr.layout import Box
from mlcore.ocr.postprocess import Lexicon
from tests.tiny_data import tiny_data_dir

CLASSES = tuple("AB14")


def _frames(path: str, classes=CLASSES, sure: float = 0.98) -> np.ndarray:
    """Log-probabilities (T, classes + blank) of frames each sure of one symbol of `path` ("-" the blank)."""
    k = len(classes) + 1
    p = np.full((len(path), k), (1 - sure) / (k - 1))
    for t, symbol in enumerate(path):
        p[t, k - 1 if symbol == "-" else classes.index(symbol)] = sure
    return np.log(p)


def test_a_word_image_scales_characters_to_the_networks_height_and_keeps_columns_traceable():
    ink = np.zeros((44, 100), dtype=np.float32)
    ink[:, 30:34] = 1.0                                   # one stroke, 44 px high: a character of that height
    image, x_scale = words.word_image(ink, char_height=44)
    assert image.shape[0] == words.HEIGHT and image.shape[1] % words.STRIDE == 0
    rows = np.flatnonzero(image.max(axis=1) > 0.5)
    assert len(rows) == pytest.approx(words.CHAR_PX, abs=1) and x_scale == pytest.approx(0.5)
    column = np.flatnonzero(image.max(axis=0) > 0.5).mean()
    # The frame over the stroke maps back to the stroke's ink columns.
    assert 30 <= words.frame_column((column - words.STRIDE / 2) / words.STRIDE, x_scale) + 0.5 <= 34


def test_a_word_too_long_for_the_network_is_squeezed_within_its_bound():
    image, x_scale = words.word_image(np.ones((20, 5000), dtype=np.float32), char_height=20)
    assert image.shape[1] <= words.MAX_COLUMNS and x_scale < words.CHAR_PX / 20


def test_words_are_read_in_batches_of_like_widths_bounded_in_columns_and_each_word_as_if_alone():
    assert words._batches([40, 8, 24, 8, 100], columns=48) == [[1, 3], [2], [0], [4]]
    rng = np.random.default_rng(0)
    network = build_word_cnn((4, 4), 8, n_out=5, seed=0)
    images = [rng.random((words.HEIGHT, width), dtype=np.float32) for width in (16, 24, 16, 16)]
    together, alone = words.log_probs(network, images, columns=64), words.log_probs(network, images, columns=1)
    for a, b, image in zip(together, alone, images):   # the three of 16 columns read as one batch
        assert a.shape == (image.shape[1] // words.STRIDE, 5)
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_greedy_runs_merge_repeats_and_drop_blanks():
    runs = words.greedy_runs(_frames("-AA-A1--44-"))
    assert [(CLASSES[k], a, b) for k, a, b in runs] == [("A", 1, 2), ("A", 4, 4), ("1", 5, 5), ("4", 8, 9)]
    assert words.read_texts([_frames("--"), _frames("B-B")], CLASSES) == ["", "BB"]


def test_texts_are_encoded_as_ctc_labels():
    np.testing.assert_array_equal(words.encode(["B41", "A"], CLASSES), [[1, 3, 2], [0, -1, -1]])


def test_training_words_hold_their_text_and_every_kind_is_drawn(rng):
    source = words.TextSource(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    texts = [source(rng) for _ in range(400)]
    assert all(1 <= len(t) <= words.MAX_LENGTH for t in texts)
    assert any(t.isdigit() for t in texts) and any(t.isalpha() for t in texts)
    assert any(t.isalnum() and not t.isalpha() and not t.isdigit() for t in texts)
    ink = [[np.ones((20, 10))], [np.ones((20, 4))]]   # two classes: a wide block and a narrow one
    word, size = words.compose_word([0, 1, 0], ink, rng)
    blocks = np.flatnonzero(np.diff(np.concatenate([[0], (word.max(axis=0) > 0.5).astype(int), [0]])) == 1)
    assert 1 <= len(blocks) <= 3 and 0.8 * words.CHAR_PX <= size <= 1.2 * words.CHAR_PX


def test_the_cli_trains_a_word_recogniser_the_reader_can_load(tmp_path, capsys):
    data, out = tiny_data_dir(tmp_path / "data"), tmp_path / "w.npz"
    assert main(["ocr-words", "--data-dir", str(data), "--words", "40", "--epochs", "2", "--dropout", "0.3",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.err.count("validation words read exactly") == 2
    assert json.loads(printed.out)["saved"] == str(out)
    model = words.load_word_cnn(out)
    assert model.classes[-1] == "blank" and model.network.output_shape[-1] == len(model.classes)
    saved = load_model(out).metadata
    assert saved["training"]["command"].startswith("python -m mlcore ocr-words")
    assert saved["training"]["config"]["dropout"] == 0.3
    assert saved["training"]["config"]["elastic"] == words.WordTraining().elastic
    assert {"kind": "dropout", "rate": 0.3, "seed": 1} in saved["architecture"]["layers"]
    assert main(["ocr-words", "--data-dir", str(data), "--words", str(words.MAX_WORDS + 1)]) == 2
    assert "words must be a whole number" in capsys.readouterr().err
    assert main(["ocr-words", "--data-dir", str(data), "--out", str(tmp_path / "w.txt")]) == 2
    assert main(["ocr-words", "--data-dir", str(data), "--dropout", "1"]) == 2
    assert "dropout is in [0, 1)" in capsys.readouterr().err
    assert main(["ocr-words", "--data-dir", str(data), "--elastic", "9"]) == 2
    assert "the word recogniser's elastic is in [0, 4] pixels" in capsys.readouterr().err


def test_the_word_recogniser_drops_hidden_units_in_training_only():
    rng = np.random.default_rng(0)
    x = rng.random((2, words.HEIGHT, 32, 1), dtype=np.float32)
    plain, dropped = (build_word_cnn((4, 4), 64, n_out=5, dropout=rate, seed=0) for rate in (0.0, 0.5))
    np.testing.assert_allclose(dropped.forward(x), plain.forward(x), rtol=1e-6)
    hidden = x
    for layer in dropped.layers[:-2]:
        hidden = layer.forward(hidden)
    kept = dropped.layers[-2].forward(hidden, training=True)
    alive = hidden > 0
    assert 0.4 < np.mean(kept[alive] == 0) < 0.6                  # about half the live units dropped
    np.testing.assert_allclose(kept[kept > 0], 2 * hidden[kept > 0], rtol=1e-6)
    # The gradient passes the units kept, scaled alike, and none of those dropped.
    grad = dropped.layers[-2].backward(np.ones_like(kept))
    np.testing.assert_allclose(grad[alive], np.where(kept[alive] == 0, 0.0, 2.0))


def test_a_classifier_is_not_taken_for_a_word_recogniser():
    with pytest.raises(ModelFileError, match="not a word recogniser"):
        words.load_word_cnn(default_classifier_path())


def test_each_character_the_recogniser_reads_is_placed_in_the_mark_under_it_or_the_nearest():
    marks = [Box(0, 10, 20, 30), Box(0, 40, 20, 50)]
    np.testing.assert_array_equal(word_reading.marks_holding(marks, [12.0, 25.0, 45.0]), [0, 0, 1])
    np.testing.assert_array_equal(word_reading.marks_holding(marks, [35.0, 60.0]), [1, 1])   # between: the nearest


def test_words_are_found_from_the_breaks():
    assert word_reading.word_spans([[False, False, True], [], [False]]) == [(0, 0, 2), (0, 2, 3), (2, 0, 1)]


def _probable(logp: np.ndarray, before: str, after: str) -> bool:
    return counting._more_probable(*counting._log_likelihoods(logp, [before, after], CLASSES).tolist())


def test_a_reading_is_recounted_only_when_the_recogniser_is_sure_of_the_new_one_and_far_surer_than_of_the_old():
    logp = _frames("-1--4-", sure=0.9999)                  # sure of "14": "B" costs three frames of 1e-4
    assert _probable(logp, "B", "14")
    assert not _probable(logp, "14", "B")                  # the reading it is sure of stays
    assert not _probable(_frames("-1--4-", sure=0.9), "B", "14")
    # Far more probable than the reading it had (by 21), but not a reading it is sure of (it reads "114").
    assert not _probable(_frames("-1-1-4-", sure=0.9999), "B", "14")


def test_a_dictionary_word_of_three_letters_or_more_is_not_given_up_for_a_reading_that_is_no_word():
    lexicon = Lexicon(["MAPS", "MAP", "THE", "CALL", "ON"], CLASSES_36)
    assert counting._word_lost("MAPS", "MA175", lexicon) and counting._word_lost("THE", "T46E", lexicon)
    assert not counting._word_lost("MAPS", "MAP", lexicon)        # another word: the recogniser decides
    assert not counting._word_lost("ON", "1TN", lexicon)          # too short to say anything
    assert not counting._word_lost("CAL", "CALL", lexicon)
    assert not counting._word_lost("MAPS", "MA175", None)         # the dictionary turned off
    assert lexicon.holds("CALL") and not lexicon.holds("CA1L") and not lexicon.holds("CALL!")


class _Reads:
    """A stand-in word recogniser whose every frame reads `path` (one symbol a frame, "-" the blank), repeated
    as the image is wide."""

    dtype = np.float32

    def __init__(self, path: str):
        self.path = path

    def forward(self, x):
        frames = x.shape[2] // words.STRIDE
        logp = _frames((self.path * frames)[:frames], sure=0.9999)
        return np.broadcast_to(logp, (len(x), *logp.shape)).copy()


def _recogniser(path: str):
    """A stand-in saved word recogniser (_Reads) of CLASSES and the blank."""
    return type("Saved", (), {"network": _Reads(path), "classes": (*CLASSES, "blank")})()


def test_a_mark_the_recogniser_reads_as_two_characters_is_parted_and_its_word_keeps_its_break(monkeypatch):
    ink = np.zeros((40, 200), dtype=np.float32)
    ink[5:35, 20:40] = 1.0                     # the word's one mark, 30 px high: a "14" read H
    labels = (ink > 0).astype(np.int32)
    mark = Box(5, 20, 35, 40, [1])
    pieces = [Box(5, 20, 35, 28, [1]), Box(5, 28, 35, 40, [1])]
    asked = []

    def part_mark(box, count, *args):
        asked.append((box, count))
        return pieces, 2

    monkeypatch.setattr(counting, "part_mark", part_mark)
    frames = word_reading.read_words([[mark]], ink, labels, 30.0, _recogniser("-1--4--"))

    def read(boxes, frames):      # the pieces read "14" only leaning on the recogniser
        return ["B"] if len(boxes) == 1 else ["1B" if f.weight is None else "14" for f in frames]

    lines, breaks, kept = counting.recount_words([[mark]], [[True]], frames, ink, labels, 30.0, None, None, read)
    assert asked == [(mark, 2)] and lines == [pieces] and breaks == [[True, False]]
    # The word's frames come back with the weight its reading was kept at, for the page to read it so.
    assert kept[0].weight == counting.RECOUNT_WEIGHT and kept[0].logp is frames[0].logp
    # A word the recogniser reads as it is read stays whole, its frames as they were.
    assert counting.recount_words([[mark]], [[True]], frames, ink, labels, 30.0, None, None,
                                  lambda boxes, frames: ["14"] * len(frames)) == ([[mark]], [[True]], frames)
    # Nor is a word the recogniser did not read (past its bound of columns) recounted.
    assert counting.recount_words([[mark]], [[True]], [None], ink, labels, 30.0, None, None, read)[0] == [[mark]]


def test_a_mark_is_cut_where_its_ink_is_thinnest_near_each_column_asked():
    labels = np.zeros((30, 60), dtype=np.int32)
    labels[:, 0:18] = labels[:, 23:45] = 1
    labels[14:16, 18:23] = 1                  # two blocks joined by a thin bridge, columns 18-22
    mark = Box(0, 0, 30, 45, [1])
    left, right = segment.cut_at(mark, [25.0], labels, char_height=30.0)   # asked 25: the bridge is 4 px off
    assert 18 <= left.right <= 23 and right.left == left.right and right.right == 45
    assert left.top == 0 and left.bottom == 30
    # A piece as narrow as a 1 (4 px, 0.13 character heights: narrower than the segmenter's pieces).
    one = np.zeros((30, 40), dtype=np.int32)
    one[:, 0:4] = one[:, 6:30] = 1
    one[14:16, 4:6] = 1
    narrow = segment.cut_at(Box(0, 0, 30, 30, [1]), [6.0], one, 30.0)
    assert narrow is not None and narrow[0].right in (4, 5) and narrow[0].width < segment.PIECE_WIDTH[0] * 30
    # No cut beyond the mark, and none on the one before it.
    assert segment.cut_at(mark, [60.0], labels, 30.0) is None
    assert segment.cut_at(mark, [44.0, 44.0, 44.0, 44.0, 44.0, 44.0], labels, 30.0) is None


def test_of_the_ways_of_parting_a_word_the_one_the_recogniser_reads_likeliest_is_kept():
    word = word_reading.WordFrames(_frames("-1--4-", sure=0.9999), x_scale=1.0, left=0, classes=CLASSES)
    mark, ways = Box(0, 0, 30, 20), [[Box(0, 0, 30, 8), Box(0, 8, 30, 20)], [Box(0, 0, 30, 12), Box(0, 12, 30, 20)]]
    texts = {mark.right: "B", 8: "1A", 12: "14"}       # each way read as its first piece's right edge says

    def read(boxes, frames):
        return [texts[boxes[0].right]] * len(frames)

    assert counting._recounted([mark], ways, word, read, None) == (ways[1], word)
    assert counting._recounted([mark], ways[:1], word, read, None) == ([mark], word)   # "1A": not sure of it
    # A way read with a character the recogniser cannot read ("Z") is passed over, not the others with it.
    texts[8] = "1Z"
    assert counting._recounted([mark], ways, word, read, None) == (ways[1], word)
    texts[12] = "Z4"
    assert counting._recounted([mark], ways, word, read, None) == ([mark], word)
    assert counting._recounted([mark], [], word, read, None) == ([mark], word)


def test_a_way_read_leaning_on_the_recogniser_is_kept_with_the_weight_it_was_read_at():
    word = word_reading.WordFrames(_frames("-1--4-", sure=0.9999), x_scale=1.0, left=0, classes=CLASSES)
    mark, way = Box(0, 0, 30, 20), [Box(0, 0, 30, 8), Box(0, 8, 30, 20)]
    asked = []

    def read(boxes, frames):     # the pieces read "1A" at the word's weight, "14" leaning on the recogniser
        asked.append([f.weight for f in frames])
        return ["B"] if boxes == [mark] else ["1A" if f.weight is None else "14" for f in frames]

    boxes, kept = counting._recounted([mark], [way], word, read, None)
    assert boxes == way and kept.weight == counting.RECOUNT_WEIGHT and kept.logp is word.logp
    # The word read at its weight, the way read once at both.
    assert sorted(asked, key=len) == [[None], [None, counting.RECOUNT_WEIGHT]]


def test_of_readings_the_recogniser_is_sure_of_a_dictionary_word_comes_first():
    classes = tuple("ACIL")
    logp = _frames("-C-I--L-L-", classes, sure=0.999)
    logp[3] = np.log([0.15, 0.005, 0.84, 0.0025, 0.0025])     # the third character: I, or else A
    word = word_reading.WordFrames(logp, x_scale=1.0, left=0, classes=classes)
    lexicon = Lexicon(["CALL"], classes)
    # The recogniser finds "CILL" likelier than "CALL", and both far likelier than "C" and sure.
    texts = ["CILL", "CALL"]
    scores = counting._log_likelihoods(word.logp, ["C", *texts], classes).tolist()
    assert scores[1] > scores[2] and all(counting._more_probable(scores[0], s) for s in scores[1:])
    assert counting._likeliest("C", texts, word, lexicon) == 1
    assert counting._likeliest("C", texts, word, None) == 0
    assert counting._likeliest("C", ["CILL"], word, lexicon) == 0       # no word among them: the likeliest
    assert counting._likeliest("CAL", texts, word, lexicon) is None       # neither far likelier than "CAL"


def test_a_mark_is_parted_both_as_the_classifier_reads_it_best_and_where_the_recogniser_saw_characters_meet(
        monkeypatch):
    labels = np.ones((30, 60), dtype=np.int32)
    word = [Box(0, 0, 30, 40, [1]), Box(0, 40, 30, 60, [1])]
    best = [Box(0, 0, 30, 15, [1]), Box(0, 15, 30, 40, [1])]
    monkeypatch.setattr(counting, "part_mark", lambda box, count, *args: (best, 7))
    held, centres = np.array([0, 0, 1]), np.array([10.0, 30.0, 50.0])    # two characters in the first mark
    ways, read = counting._partings(word, held, centres, labels, labels, 30.0, None, None, budget=100)
    assert read == 7 and len(ways) == 2
    assert ways[0] == [*best, word[1]]
    assert ways[1][0].right == ways[1][1].left and 16 <= ways[1][0].right <= 24 and ways[1][2] == word[1]
    # Where the recogniser's cut cannot be made, that way is part_mark's: one way, not the same twice.
    monkeypatch.setattr(counting, "cut_at", lambda *args: None)
    assert counting._partings(word, held, centres, labels, labels, 30.0, None, None, 100)[0] == [[*best, word[1]]]
    # Nor is the word itself offered, unparted, when neither way parts it.
    monkeypatch.setattr(counting, "part_mark", lambda *args: (None, 0))
    assert counting._partings(word, held, centres, labels, labels, 30.0, None, None, 100) == ([], 0)


def _two_marks() -> tuple[word_reading.WordFrames, list[Box]]:
    """A word of two marks, columns 0-40 and 40-80, and frames whose centres fall 8 to a mark: the first mark's
    frames read "4" twice, the second's "B" once and blanks."""
    frames = word_reading.WordFrames(_frames("--44----" + "---B----"), x_scale=words.STRIDE / 5, left=3,
                                     classes=CLASSES)
    marks = [Box(0, 0, 30, 40), Box(0, 40, 30, 80)]
    assert word_reading.marks_holding(marks, frames.columns(np.arange(16))).tolist() == [0] * 8 + [1] * 8
    return frames, marks


def test_each_mark_is_given_the_classes_the_recogniser_saw_in_its_columns():
    frames, marks = _two_marks()
    q = word_reading.mark_probabilities(frames, marks)
    assert q.shape == (2, len(CLASSES)) and np.allclose(q.sum(axis=1), 1)
    assert q[0].argmax() == CLASSES.index("4") and q[1].argmax() == CLASSES.index("B")
    assert q[0].max() > q[1].max()     # two frames of "4", one of "B": surer of the first
    # A mark the recogniser saw no character in is told nothing: every class alike, but for the blank frames'
    # small share of each.
    blank = word_reading.WordFrames(_frames("-" * 16), x_scale=words.STRIDE / 5, left=3, classes=CLASSES)
    assert np.ptp(word_reading.mark_probabilities(blank, marks)) < 1e-9


def test_the_classifier_and_the_recogniser_read_each_mark_together():
    frames, marks = _two_marks()
    torn = np.array([[0.1, 0.1, 0.1, 0.7], [0.45, 0.45, 0.05, 0.05]])   # "4" sure; A or B, torn
    both = word_reading.fused(torn, CLASSES, replace(frames, weight=0.5), marks)
    assert np.allclose(both.sum(axis=1), 1) and both[0].argmax() == 3 and both[1].argmax() == CLASSES.index("B")
    # Its power: weight 0 is the classifier alone, and so is a word the recogniser did not read.
    np.testing.assert_allclose(word_reading.fused(torn, CLASSES, replace(frames, weight=0.0), marks), torn,
                               atol=1e-12)
    assert word_reading.fused(torn, CLASSES, None, marks) is torn
    assert word_reading.fused(torn, tuple("AB41"), frames, marks) is torn    # other classes: the classifier's alone
    # The product, normalised: with weight 1, each class's share is the classifier's times the recogniser's.
    q = word_reading.mark_probabilities(frames, marks)
    np.testing.assert_allclose(word_reading.fused(torn, CLASSES, replace(frames, weight=1.0), marks),
                               torn * q / (torn * q).sum(axis=1, keepdims=True))


# ------------------------------------------------------------ the shipped word recogniser, on real data
@pytest.mark.real_data
def test_the_shipped_word_recogniser_was_trained_on_this_data_and_reads_words_of_characters_it_never_saw(
        real_dataset):
    training = load_model(words.word_cnn_path()).metadata["training"]
    assert training["data"] == real_dataset.fingerprint()
    assert training["command"].startswith("python -m mlcore ocr-words")
    # Words of the test split's characters, composed afresh (another seed than the file's figures).
    texts = words.TextSource(real_dataset.classes)
    images, truth = words.word_samples(real_dataset.test, 300, texts, np.random.default_rng(99))
    # Measured 0.65 (0.62 and 0.61 at seeds 100 and 101; 0.68 on the test words its file records; the recogniser
    # before it, trained without bending or dropout, 0.62, 0.59, 0.52 and 0.56): a word is right only if every
    # character is, and near a third of them are random strings (TEXT_SHARE).
    assert words.word_accuracy(words.load_word_cnn().network, images, truth, texts.classes) >= 0.5
