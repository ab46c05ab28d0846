"""A drawing to the network's input (mlcore.ocr.character), on its own and with the shipped classifier."""
import json

import numpy as np
import pytest

from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.glyphs import EXTENT, SIZE, rows_to_images, stroke_width
from mlcore.data.paths import default_classifier_path
from mlcore.metrics import within_group_accuracy
from mlcore.model_io import load_classifier
from mlcore.ocr.character import drawing_to_gray, drawing_to_input
from tests.known_pages import CANVAS, as_canvas_pixels, drawn_character, pen_drawing


@pytest.fixture(scope="module")
def classifier():
    return load_classifier(default_classifier_path())


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    ink = 1 - image > 0.3
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


@pytest.mark.parametrize("char", ["L", "A", "7", "W"])
def test_a_drawing_meets_the_input_convention(char):
    character = drawing_to_input(as_canvas_pixels(drawn_character(char)))
    image = character.image
    assert image.shape == (SIZE, SIZE) and character.row.shape == (1, SIZE * SIZE)
    assert 0 <= image.min() and image.max() <= 1 and np.median(image) > 0.99  # dark ink on white
    np.testing.assert_array_equal(character.row[0], image.T.ravel())  # column-major rows
    top, bottom, left, right = ink_box(image)
    assert max(bottom - top, right - left) + 1 == EXTENT
    assert abs((top + bottom) / 2 - (SIZE - 1) / 2) <= 1 and abs((left + right) / 2 - (SIZE - 1) / 2) <= 1
    # the stroke keeps the pen's width, scaled with the character (its longest ink side to EXTENT)
    canvas_ink = drawn_character(char) > 0.5
    rows, cols = np.flatnonzero(canvas_ink.any(axis=1)), np.flatnonzero(canvas_ink.any(axis=0))
    scale = EXTENT / max(np.ptp(rows) + 1, np.ptp(cols) + 1)
    assert abs(stroke_width(1 - image > 0.5) - stroke_width(canvas_ink) * scale) <= 1.0


def test_every_way_a_canvas_can_hold_the_strokes_gives_the_same_input():
    ink = drawn_character("R")
    expected = drawing_to_input(as_canvas_pixels(ink)).row
    white_on_black = np.round(255 * ink).astype(np.uint8)
    transparent = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    transparent[..., 3] = np.round(255 * ink)
    light_strokes = transparent.copy()
    light_strokes[..., :3] = 255
    variants = {"gray floats": 1 - ink, "RGB": as_canvas_pixels(ink)[..., :3], "white on black": white_on_black,
                "black strokes, transparent background": transparent,
                "white strokes, transparent background": light_strokes}
    for name, drawing in variants.items():
        # the same up to 8-bit quantisation (the gray floats are not quantised)
        np.testing.assert_allclose(drawing_to_input(drawing).row, expected, atol=1 / 255, err_msg=name)


def test_specks_are_not_part_of_the_character():
    ink = drawn_character("T")
    dusty = ink.copy()
    dusty[270:273, 270:273] = 1.0
    clean = drawing_to_input(as_canvas_pixels(ink)).row
    np.testing.assert_allclose(drawing_to_input(as_canvas_pixels(dusty)).row, clean)


@pytest.mark.parametrize("blank", [np.full((CANVAS, CANVAS, 4), 255, np.uint8), np.zeros((CANVAS, CANVAS, 4), np.uint8),
                                   np.zeros((CANVAS, CANVAS), np.float32), np.ones((64, 64))])
def test_an_empty_canvas_gives_no_input(blank):
    assert drawing_to_input(blank) is None


@pytest.mark.parametrize("bad", [np.zeros((10, 10)), np.zeros((40, 40, 2)), np.zeros(100), np.zeros((0, 0, 4))])
def test_drawing_to_gray_refuses_what_is_not_an_image(bad):
    with pytest.raises(ValueError):
        drawing_to_gray(bad)


def test_the_shipped_classifier_reads_drawn_characters(classifier):
    rows = np.concatenate([drawing_to_input(as_canvas_pixels(drawn_character(c))).row for c in CLASSES])
    predicted = [classifier.classes[i] for i in classifier.network.predict(rows)]
    assert predicted[CLASSES.index("L")] == "L"
    # I/1 and O/0 are the same drawing: the rest is read almost without fault
    assert np.mean([p == c for p, c in zip(predicted, CLASSES)]) >= 0.8, predicted


@pytest.mark.slow
@pytest.mark.real_data
def test_real_letters_and_digits_redrawn_with_a_thick_pen_are_read_as_well_as_the_originals(classifier):
    from mlcore.data.datasets import load_dataset

    test = load_dataset("handwriting").test
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(is_letter(test.y)), 100, replace=False),
                          rng.choice(np.flatnonzero(~is_letter(test.y)), 100, replace=False)])
    # each 32x32 character 8 times larger: a 256 px drawing with strokes about 28 px wide
    drawings = [np.round(255 * np.kron(image, np.ones((8, 8)))).astype(np.uint8)
                for image in rows_to_images(test.X[idx])]
    drawn = np.concatenate([drawing_to_input(d).row for d in drawings])
    original = classifier.network.predict(test.X[idx])
    redrawn = classifier.network.predict(drawn)
    assert np.mean(redrawn == test.y[idx]) >= np.mean(original == test.y[idx]) - 0.08
    assert np.mean(redrawn == original) >= 0.85


@pytest.mark.slow
@pytest.mark.real_data
def test_held_out_writers_pen_strokes_drawn_on_the_canvas_are_read(classifier, real_dataset):
    # Chars74K's test writers (never trained on), drawn with the Draw page's default pen: the closest
    # real data to a visitor's drawing. bench/draw_check.py: 36-way and within-group for every pen.
    from mlcore.data.paths import data_dir

    test = real_dataset.test
    held_out = test.source == real_dataset.source_names.index("chars74k")
    raw = json.loads((data_dir() / "chars74k" / "chars74k_strokes.json").read_text())
    y, writers = test.y[held_out], test.writer[held_out]
    drawn = np.concatenate([drawing_to_input(pen_drawing(raw[CLASSES[c]][w], 18)).row for c, w in zip(y, writers)])
    proba = classifier.network.predict_proba(drawn)
    within = within_group_accuracy(y, proba)
    assert within["letters"]["accuracy"] >= 0.9 and within["digits"]["accuracy"] >= 0.9, within
    # 36-way, the canvas path loses little against the dataset's own drawing of the same strokes
    dataset_reading = np.mean(classifier.network.predict(test.X[held_out]) == y)
    assert np.mean(proba.argmax(1) == y) >= dataset_reading - 0.05


def test_feature_maps_are_shown_as_crisp_images_dark_where_the_layer_responds_most():
    from dashboard.draw_figures import feature_map_images

    maps = np.zeros((16, 16, 3))
    maps[4, 5, 1] = 2.0   # the layer's strongest response
    maps[9, 2, 2] = 0.5
    images = feature_map_images(maps, side=64)
    assert len(images) == 3 and all(image.shape == (64, 64) for image in images)
    np.testing.assert_array_equal(images[0], 1.0)   # no response: white
    assert (images[1][16:20, 20:24] == 0.0).all() and images[1].sum() == 64 * 64 - 16   # one 4x4 block, black
    assert (images[2][36:40, 8:12] == 0.75).all()
