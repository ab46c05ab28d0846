import numpy as np
import pytest

from mlcore.data import synthetic
from mlcore.data.classes import CLASSES
from mlcore.data.datasets import available_datasets, dataset_summary, load_dataset
from mlcore.data.glyphs import EXTENT, rows_to_images
from mlcore.data.synthetic import PER_CLASS, StrokeStyle, render, synthetic_set, synthetic_splits


def test_synthetic_set_is_seeded_labelled_and_in_the_convention():
    X, y = synthetic_set(2, seed=7)
    assert X.shape == (72, 1024) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [2] * 36
    np.testing.assert_array_equal(X, synthetic_set(2, seed=7)[0])
    assert not np.array_equal(X, synthetic_set(2, seed=8)[0])
    ink = rows_to_images(X) < 0.5
    extents = [max(np.ptp(np.nonzero(m)[0]), np.ptp(np.nonzero(m)[1])) + 1 for m in ink]
    assert abs(np.median(extents) - EXTENT) <= 1
    assert np.median(X) > 0.9  # white background


def test_rendered_shapes_are_the_characters():
    plain = StrokeStyle(slant=0, rotation=0, aspect=0, elastic=0, width=(4, 4))
    rng = np.random.default_rng(0)
    i_ink = render("I", "futural", rng, plain) > 0.5
    rows, cols = np.nonzero(i_ink)
    assert np.ptp(rows) > 4 * np.ptp(cols)  # an I is a vertical bar
    o_ink = render("O", "futural", rng, plain) > 0.5
    assert not o_ink[32, 32] and o_ink[32].any()  # an O is hollow


def test_bad_count_is_refused():
    with pytest.raises(ValueError, match="per class"):
        synthetic_set(0, seed=0)
    assert len(CLASSES) == 36


def test_with_no_data_at_all_the_synthetic_set_is_there_and_named_so(tmp_path):
    empty = tmp_path / "empty"
    assert available_datasets(empty) == {"synthetic": []}
    ds = load_dataset(None, empty)
    assert ds.name == "synthetic" and ds.sources == ["synthetic: stroke fonts"]
    assert {s: len(part) for s, part in ds.splits().items()} == {s: n * 36 for s, n in PER_CLASS.items()}
    assert dataset_summary("synthetic", empty) == ds.summary()
    train = {x.tobytes() for x in ds.train.X}
    assert not train.intersection(x.tobytes() for x in ds.test.X)   # each split drawn with its own seed


def test_the_cached_set_is_the_drawn_one_and_a_damaged_cache_is_redrawn(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "PER_CLASS", {"train": 2, "valid": 1, "test": 1})
    drawn = synthetic_splits(seed=3, cache=tmp_path)
    [cached_file] = tmp_path.iterdir()
    cached = synthetic_splits(seed=3, cache=tmp_path)
    for split in drawn:
        np.testing.assert_array_equal(drawn[split][0], cached[split][0])
        np.testing.assert_array_equal(drawn[split][1], cached[split][1])
    cached_file.write_bytes(b"PK\x03\x04 not really")
    again = synthetic_splits(seed=3, cache=tmp_path)
    np.testing.assert_array_equal(again["test"][0], drawn["test"][0])
    assert list(tmp_path.iterdir()) == [cached_file] and np.load(cached_file)["test_X"].dtype == np.uint8
