import numpy as np
import pytest

from mlcore.data.classes import CLASSES
from mlcore.data.glyphs import EXTENT, rows_to_images
from mlcore.data.synthetic import StrokeStyle, render, synthetic_set


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
