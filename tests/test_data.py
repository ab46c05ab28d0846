import gzip
import json

import numpy as np
import pytest
import scipy.io

from mlcore.data import strokes
from mlcore.data.audit import audit_labels
from mlcore.data.augment import Augmentation
from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.datasets import (
    available_datasets,
    dataset_summary,
    load_dataset,
    source_names,
    stratified_split,
    writer_split,
)
from mlcore.data.formats import (
    DataFormatError,
    load_idx_digits,
    load_labelled_file,
    load_mat,
    read_idx,
)
from mlcore.data.glyphs import (
    EXTENT,
    images_to_rows,
    ink_measures,
    normalize_glyph,
    normalize_rows,
    rows_to_images,
)
from mlcore.data.strokes import PEN_WIDTH, draw_sample, load_strokes


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _mat_file(path, n_classes, n=6, rng=None):
    rng = rng or np.random.default_rng(0)
    labels = np.arange(n) % n_classes
    onehot = np.eye(n_classes, dtype=np.uint8)[labels]
    data = rng.uniform(-0.1, 1.1, (n, 1024))
    scipy.io.savemat(path, {"valid_data": data, "valid_labels": onehot})
    return data, labels


def test_mat_26_classes_map_onto_letters(tmp_path):
    data, labels = _mat_file(tmp_path / "x.mat", 26)
    X, y = load_mat(tmp_path / "x.mat")["valid"]
    np.testing.assert_array_equal(y, labels)
    assert [CLASSES[i] for i in y[:3]] == ["A", "B", "C"]
    assert X.dtype == np.float32 and X.min() >= 0 and X.max() <= 1
    np.testing.assert_allclose(X, normalize_rows(np.clip(data, 0, 1)), rtol=1e-6)


def test_mat_36_classes_keep_digits(tmp_path):
    _mat_file(tmp_path / "x.mat", 36, n=36)
    _, y = load_mat(tmp_path / "x.mat")["valid"]
    assert CLASSES[y[26]] == "0" and CLASSES[y[35]] == "9"


@pytest.mark.parametrize("content", [b"", b"not a mat file at all", b"MATLAB 5.0" + b"\0" * 50])
def test_bad_mat_files_raise_a_clear_error(tmp_path, content):
    (tmp_path / "bad.mat").write_bytes(content)
    with pytest.raises(DataFormatError, match="bad.mat"):
        load_mat(tmp_path / "bad.mat")


def test_idx_reader_and_digit_conversion(tmp_path):
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 4:24, 12:16] = 255   # a '1': a vertical bar 20 px tall
    images[1, 10:14, 4:24] = 255   # a horizontal bar
    _write_idx(tmp_path / "t-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t-labels-idx1-ubyte.gz", np.array([1, 7]))
    np.testing.assert_array_equal(read_idx(tmp_path / "t-images-idx3-ubyte.gz"), images)
    X, y = load_idx_digits(tmp_path / "t-images-idx3-ubyte.gz")
    assert [CLASSES[i] for i in y] == ["1", "7"]
    upright = rows_to_images(X)
    ink = upright < 0.5
    # dark on white, longest side scaled to EXTENT, centred, orientation kept
    assert upright[0, 0, 0] == 1.0
    rows, cols = np.flatnonzero(ink[0].any(1)), np.flatnonzero(ink[0].any(0))
    assert abs(len(rows) - EXTENT) <= 1 and len(cols) < len(rows)
    assert abs((rows[0] + rows[-1]) / 2 - 15.5) <= 1
    rows1 = np.flatnonzero(ink[1].any(1))
    assert len(rows1) < EXTENT / 2  # the horizontal bar stays horizontal


def test_idx_errors(tmp_path):
    (tmp_path / "a-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03\x00\x00"))
    with pytest.raises(DataFormatError, match="truncated"):
        read_idx(tmp_path / "a-images-idx3-ubyte.gz")
    _write_idx(tmp_path / "b-images-idx3-ubyte.gz", np.zeros((2, 28, 28)))
    with pytest.raises(DataFormatError, match="no such file|cannot read"):
        load_idx_digits(tmp_path / "b-images-idx3-ubyte.gz")  # its labels file is missing
    with pytest.raises(DataFormatError, match="expected a .mat file"):
        (tmp_path / "x.txt").write_text("hi")
        load_labelled_file(tmp_path / "x.txt")


def test_rows_are_column_major():
    img = np.zeros((1, 32, 32))
    img[0, 0, 1] = 1  # row 0, column 1
    rows = images_to_rows(img)
    assert rows[0, 32] == 1  # column-major: index = col * 32 + row
    np.testing.assert_array_equal(rows_to_images(rows), img)


def test_normalize_glyph_blank_and_aspect():
    assert not normalize_glyph(np.zeros((50, 50))).any()
    tall = np.zeros((100, 100))
    tall[10:90, 45:55] = 1  # 80 x 10
    out = normalize_glyph(tall) > 0.5
    assert abs(out.any(1).sum() - EXTENT) <= 1
    assert 2 <= out.any(0).sum() <= 5


def test_stratified_split_proportions_and_determinism():
    y = np.repeat(np.arange(3), [40, 100, 10])
    a = stratified_split(y, seed=5)
    b = stratified_split(y, seed=5)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
    train, valid, test = a
    assert len(set(train) | set(valid) | set(test)) == len(y)
    assert not (set(train) & set(test)) and not (set(valid) & set(test))
    assert list(np.bincount(y[test])) == [8, 20, 2]


def test_augmentation_is_seeded_and_identity_when_switched_off(rng):
    X = rng.random((5, 1024)).astype(np.float32)
    aug = Augmentation()
    np.testing.assert_array_equal(aug(X, np.random.default_rng(1)), aug(X, np.random.default_rng(1)))
    assert not np.array_equal(aug(X, np.random.default_rng(1)), aug(X, np.random.default_rng(2)))
    off = Augmentation(rotation=0, scale=0, shear=0, shift=0, stroke=0)
    np.testing.assert_allclose(off(X, rng), X, atol=1e-6)


def test_augmentation_shift_moves_the_character():
    img = np.ones((1, 32, 32), np.float32)
    img[0, 10:20, 14:18] = 0
    aug = Augmentation(rotation=0, scale=0, shear=0, shift=3, stroke=0)
    out = rows_to_images(aug(images_to_rows(img), np.random.default_rng(0)))[0]
    ink_in, ink_out = np.argwhere(img[0] < 0.5).mean(0), np.argwhere(out < 0.5).mean(0)
    moved = ink_out - ink_in
    assert np.all(np.abs(moved) <= 3.01) and np.abs(moved).max() > 0.2
    assert (out < 0.5).sum() == pytest.approx((img[0] < 0.5).sum(), rel=0.3)


def test_augmentation_validates():
    with pytest.raises(ValueError, match="rotation"):
        Augmentation(rotation=90)
    with pytest.raises(ValueError, match="elastic"):
        Augmentation(elastic=-1)


def test_elastic_fields_are_smooth_and_of_the_requested_size():
    aug = Augmentation(elastic=1.5)
    field = aug._displacements(50, np.random.default_rng(0)).reshape(50, 2, 32, 32)
    rms = np.sqrt((field**2).sum(axis=1).mean(axis=(1, 2)))
    np.testing.assert_allclose(rms, 1.5, rtol=1e-9)
    # Smooth: neighbouring pixels move almost alike (white noise would differ by ~sqrt(2) x rms).
    step = np.sqrt((np.diff(field, axis=3) ** 2).sum(axis=1).mean())
    assert step < 0.3 * 1.5
    assert np.abs(field.mean(axis=(0, 2, 3))).max() < 0.3   # no direction preferred


def test_elastic_distortion_bends_a_stroke_without_moving_it_away():
    img = np.ones((1, 32, 32), np.float32)
    img[0, 6:26, 14:18] = 0                                   # a vertical bar
    only_elastic = Augmentation(rotation=0, scale=0, shear=0, shift=0, stroke=0, elastic=1.5)
    out = rows_to_images(only_elastic(images_to_rows(img), np.random.default_rng(3)))[0]
    ink_in, ink_out = img[0] < 0.5, out < 0.5
    cols = np.argwhere(ink_out)[:, 1]
    assert not np.array_equal(ink_in, ink_out)                 # bent
    assert abs(cols.mean() - 15.5) < 2 and ink_out.sum() == pytest.approx(ink_in.sum(), rel=0.25)
    other = rows_to_images(only_elastic(images_to_rows(img), np.random.default_rng(4)))[0]
    assert not np.array_equal(other < 0.5, ink_out)            # each draw bends it its own way


def test_a_real_dataset_that_is_not_there_gives_a_clear_error(tmp_path):
    assert available_datasets(tmp_path) == {"synthetic": []}
    with pytest.raises(FileNotFoundError, match="'nist36' is not in .*; available: synthetic"):
        load_dataset("nist36", root=tmp_path)


def test_nist36_files_are_used_as_they_are(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 72), ("valid", 36), ("test", 36)):
        labels = np.arange(n) % 36
        onehot = np.eye(36, dtype=np.uint8)[labels]
        scipy.io.savemat(tmp_path / f"nist36_{split}.mat", {f"{split}_data": rng.random((n, 1024)),
                                                            f"{split}_labels": onehot})
    ds = load_dataset(root=tmp_path)
    assert ds.name == "nist36" and dataset_summary("nist36", tmp_path) == ds.summary()
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (72, 36, 36)


# ------------------------------------------------------------- real data
@pytest.mark.slow
@pytest.mark.real_data
def test_real_default_dataset(real_dataset):
    ds = real_dataset
    sizes = ds.summary()
    assert sizes["test"]["letters"] >= 200 and sizes["test"]["digits"] >= 1000
    for split in ds.splits().values():
        assert split.X.dtype == np.float32 and split.X.shape[1] == 1024
        assert split.X.min() >= 0 and split.X.max() <= 1
        assert set(np.unique(split.y)) == set(range(36))
    assert ds.fingerprint() == load_dataset("handwriting").fingerprint()
    assert dataset_summary("handwriting") == ds.summary()  # from the labels alone


@pytest.mark.real_data
def test_real_digits_match_the_letters_scale_and_stroke(real_dataset):
    X, y = real_dataset.train.X, real_dataset.train.y
    letters, digits = X[y < 26][:300], X[y >= 26][:300]
    lw, le = ink_measures(letters)
    dw, de = ink_measures(digits)
    assert abs(le - de) <= 2, (le, de)
    assert abs(lw - dw) <= 0.6, (lw, dw)
    # both dark ink on a white background
    assert np.median(letters) > 0.9 and np.median(digits) > 0.9


@pytest.mark.real_data
def test_real_letters_mat_file():
    from mlcore.data.paths import data_dir
    X, y, _ = load_labelled_file(data_dir() / "nist26" / "nist26_valid_subset.mat")
    assert X.shape == (1040, 1024) and np.bincount(y).tolist() == [40] * 26


@pytest.mark.real_data
def test_a_block_of_one_letter_under_another_label_is_left_out(real_dataset):
    # The real defect, made again from the shared letters in three files: one file's R column holds U's
    # (its own R's gone). The audit finds that block and nothing else.
    letters = real_dataset.train.y < 26
    X, y = real_dataset.train.X[letters], real_dataset.train.y[letters]
    thirds = np.arange(len(y)) % 3
    r, u = CLASSES.index("R"), CLASSES.index("U")
    first = (thirds == 0) & (y != r)
    labels = y[first].copy()
    labels[np.flatnonzero(labels == u)[::2]] = r     # half its U's are labelled R
    files = [(X[first], labels), (X[thirds == 1], y[thirds == 1]), (X[thirds == 2], y[thirds == 2])]
    found = audit_labels(*map(list, zip(*files)), len(CLASSES))
    assert [(m.file, CLASSES[m.label], CLASSES[m.looks_like]) for m in found] == [(0, "R", "U")]
    assert audit_labels([X[thirds == t] for t in range(3)], [y[thirds == t] for t in range(3)], len(CLASSES)) == []
    # the real pool: that one block is named and left out, nothing else
    assert len(real_dataset.notes) == 1 and "its 50 samples labelled R read as U" in real_dataset.notes[0]


# ---------------------------------------------------------------- pen strokes (Chars74K)
def _strokes_file(path, samples):
    path.write_text(json.dumps(samples))
    return path


def test_a_drawn_stroke_is_a_bar_of_the_pen_width_at_the_glyph_extent():
    # One horizontal stroke: ink only on its rows, EXTENT long, PEN_WIDTH thick (area / length).
    ink = draw_sample([np.array([[100.0, 300.0], [600.0, 300.0]])])
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    cols = np.flatnonzero(ink.max(axis=0) > 0.5)
    assert abs(len(cols) - EXTENT) <= 1
    assert abs(ink.sum() / len(cols) - PEN_WIDTH) < 0.35 and len(rows) <= np.ceil(PEN_WIDTH) + 1
    # A dot (one point) is a round blot, not nothing.
    assert draw_sample([np.array([[5.0, 5.0]])]).sum() > 1


def test_a_strokes_file_gives_rows_labels_and_the_writer_of_each_sample(tmp_path):
    bar = [[[0, 0], [0, 100]]]
    cross = [[[0, 0], [100, 100]], [[0, 100], [100, 0]]]
    path = _strokes_file(tmp_path / "x_strokes.json", {"X": [cross, cross, cross], "1": [bar, bar, bar]})
    X, y, writers = load_labelled_file(path)
    assert X.shape == (6, 1024) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert [CLASSES[k] for k in y] == list("XXX111") and writers.tolist() == [0, 1, 2, 0, 1, 2]
    assert np.allclose(X[0], X[1]) and not np.allclose(X[0], X[3])
    upright = rows_to_images(X[3:4])[0] < 0.5     # the bar is vertical, upright
    assert np.ptp(np.nonzero(upright)[0]) > 3 * np.ptp(np.nonzero(upright)[1])


@pytest.mark.parametrize("content, message", [
    ("not json", "not a JSON file"),
    ('{"a": []}', "unknown classes"),
    ('{"A": [[[[0, 0], [1, NaN]]]]}', "finite"),
    ('{"A": [[[[0, 0], [1]]]]}', r"\[x, y\] numbers"),
    ('{"A": [[]]}', "1 to"),
    ('{"A": [[' + ",".join(["[[0, 0]]"] * 65) + "]]}", "1 to 64 strokes"),
    ('{"A": [[[' + ",".join(["[0, 0]"] * 5001) + "]]]}", "more than 5000 points"),
    ('{"A": 3}', "list of samples"),
    ('{"A": [], "B": []}', "holds no sample"),
    ('{"A": [[[[-1e308, 0], [1e308, 0]]]]}', "within"),
    ('{"A": [[[["0", "0"], ["1", "1"]]]]}', r"\[x, y\] numbers"),
    ('{"A": [[[[true, false]]]]}', r"\[x, y\] numbers"),
    ("[" * 100_000 + "]" * 100_000, "not a JSON file"),
])
def test_bad_strokes_files_raise_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad_strokes.json"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=message):
        load_labelled_file(path)


def test_a_writer_split_never_puts_one_writer_in_two_splits():
    writers = np.tile(np.arange(55), 36)
    parts = writer_split(writers, seed=3)
    sets = [set(writers[p]) for p in parts]
    assert [len(s) for s in sets] == [33, 11, 11]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(writers)))
    assert [p.tolist() for p in writer_split(writers, seed=3)] == [p.tolist() for p in parts]


@pytest.mark.real_data
def test_real_chars74k_is_drawn_at_the_nist_stroke_width_and_split_by_writer(real_dataset):
    from mlcore.data.paths import data_dir
    path = data_dir() / "chars74k" / "chars74k_strokes.json"
    X, y, writers = load_labelled_file(path)
    assert X.shape == (1980, 1024) and np.bincount(y).tolist() == [55] * 36
    nist, _, _ = load_labelled_file(data_dir() / "nist26" / "nist26_valid_subset.mat")
    # Whole files: a slice of a class-sorted file measures a few classes only.
    (drawn_width, drawn_extent), (nist_width, nist_extent) = ink_measures(X), ink_measures(nist)
    assert abs(drawn_width - nist_width) <= 0.1 * nist_width, (drawn_width, nist_width)
    assert abs(drawn_extent - nist_extent) <= 2, (drawn_extent, nist_extent)
    # In the pool: every source in every split, reported by name; Chars74K's writers in one split each,
    # every sample of a writer with them (55 writers x 36 classes).
    assert real_dataset.source_names == ["chars74k", "mnist-8000", "nist26_valid_2016oct", "nist26_valid_subset"]
    seen = []
    for split in real_dataset.splits().values():
        assert set(np.unique(split.source)) == {0, 1, 2, 3}
        assert is_letter(split.y[split.source >= 2]).all() and not is_letter(split.y[split.source == 1]).any()
        drawn = split.writer[split.source == 0]
        seen.append(set(drawn.tolist()))
        assert np.bincount(drawn)[sorted(seen[-1])].tolist() == [36] * len(seen[-1])
        assert (split.writer[split.source != 0] == -1).all()
    assert [len(s) for s in seen] == [33, 11, 11] and not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])


def test_drawn_strokes_are_kept_in_the_cache_and_a_damaged_cache_is_drawn_again(tmp_path, monkeypatch):
    cross = [[[0, 0], [100, 100]], [[0, 100], [100, 0]]]
    path = _strokes_file(tmp_path / "x_strokes.json", {"X": [cross, cross], "O": [[[[0, 0], [9, 0], [9, 9]]]] * 2})
    cache = tmp_path / "cache"
    drawn = load_strokes(path, cache)
    (kept,) = cache.iterdir()

    def no_drawing(*args):
        raise AssertionError("drawn again although the cache holds it")

    with monkeypatch.context() as patched:
        patched.setattr(strokes, "_draw_file", no_drawing)
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(drawn, load_strokes(path, cache)))
    kept.write_bytes(b"not an npz")
    assert all(np.array_equal(a, b) for a, b in zip(drawn, load_strokes(path, cache)))
    # Another file's content is another entry, never the first one's characters.
    _strokes_file(path, {"X": [cross]})
    assert len(load_strokes(path, cache)[0]) == 1 and len(list(cache.iterdir())) == 2


def test_sources_are_named_for_their_files_and_apart_when_two_share_a_name(tmp_path):
    files = [tmp_path / "a" / "x.mat", tmp_path / "b" / "x.mat", tmp_path / "mnist-8000-images-idx3-ubyte.gz",
             tmp_path / "c" / "chars74k_strokes.json"]
    assert source_names(files) == ["a/x", "b/x", "mnist-8000", "chars74k"]
