import numpy as np
import pytest

from mlcore.conv import ColumnWindows, Conv2D, Flatten, MaxPool2D, RowsToImages
from mlcore.gradcheck import check_layer
from mlcore.layers import Dropout


def _direct_conv(x, W, b, k, stride, pad):
    """The textbook loop definition of a 2-D cross-correlation, channels last."""
    n, h, w, c = x.shape
    kern = W.reshape(k, k, c, -1)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    out = np.zeros((n, ho, wo, kern.shape[-1]))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, i * stride:i * stride + k, j * stride:j * stride + k, :]
            out[:, i, j] = np.einsum("nabc,abco->no", window, kern) + b
    return out


@pytest.mark.parametrize("k, stride, pad, size", [(3, 1, 1, 6), (3, 2, 0, 7), (5, 2, 2, 8), (1, 1, 0, 4)])
def test_conv_matches_the_direct_loop(rng, k, stride, pad, size):
    layer = Conv2D(2, 3, k, stride, pad, rng=rng, dtype=np.float64)
    layer.params["b"] = rng.standard_normal(3)
    x = rng.standard_normal((2, size, size, 2))
    out = layer.forward(x)
    np.testing.assert_allclose(out, _direct_conv(x, layer.params["W"], layer.params["b"], k, stride, pad), atol=1e-12)
    assert out.shape[1:] == layer.output_shape(x.shape[1:])


@pytest.mark.parametrize("layer, shape", [
    (Conv2D(3, 4, 3, 1, 1), (2, 6, 6, 3)),
    (Conv2D(2, 3, 3, 1, 0), (2, 6, 5, 2)),
    (Conv2D(2, 3, 5, 1, 2), (2, 7, 7, 2)),
    (Conv2D(1, 2, 3, 1, 2), (1, 4, 4, 1)),
    (Conv2D(2, 3, 3, 2, 0), (2, 7, 7, 2)),
    (Conv2D(2, 3, 5, 2, 2), (2, 8, 8, 2)),
    (MaxPool2D(2), (2, 6, 4, 3)),
    (MaxPool2D(3), (1, 6, 3, 2)),
    (Flatten(), (2, 3, 3, 2)),
    (RowsToImages(4), (2, 16)),
])
def test_gradient_check_of_every_conv_layer(rng, layer, shape):
    for r in check_layer(layer, rng.standard_normal(shape)):
        assert r.rel_error <= 1e-6, r


def test_maxpool_picks_window_maxima_and_routes_gradient_to_them():
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x)[0, :, :, 0], [[5, 7], [13, 15]])
    dx = pool.backward(np.ones((1, 2, 2, 1)))[0, :, :, 0]
    assert dx.sum() == 4 and dx[1, 1] == dx[1, 3] == dx[3, 1] == dx[3, 3] == 1


def test_maxpool_gives_a_tied_window_one_gradient_not_several():
    pool = MaxPool2D(2)
    pool.forward(np.zeros((1, 2, 2, 1)))
    dx = pool.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1.0


def test_training_skips_only_the_unused_input_gradient(rng):
    from mlcore.architectures import build_cnn
    net = build_cnn((3, 4), 8, n_out=5, size=8, dtype=np.float64)
    x, y = rng.random((4, 64)), rng.integers(0, 5, 4)
    net.loss_and_gradients(x, y)  # skips the first convolution's input gradient
    skipped = {key: layer.grads[name].copy() for key, layer, name in net.parameters()}
    net.loss.forward(net.forward(x), y)
    assert net.backward(net.loss.backward()).shape == (4, 64)
    for key, layer, name in net.parameters():
        np.testing.assert_array_equal(skipped[key], layer.grads[name])


@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 0)])
def test_training_passes_reuse_work_arrays_without_mixing_batches(rng, stride, pad):
    # Training keeps its padded input and patches from batch to batch; every batch,
    # whatever its size and dtype, must still see only its own pixels and a zero
    # border, and nothing a batch returned or left in grads may change afterwards.
    layer = Conv2D(2, 3, 3, stride, pad, rng=rng, dtype=np.float64)
    layer.params["b"] = rng.standard_normal(3)
    earlier = []
    for n, dtype in ((4, np.float64), (4, np.float64), (3, np.float64), (4, np.float32), (4, np.float64)):
        x = rng.standard_normal((n, 5, 5, 2)).astype(dtype)
        out = layer.forward(x, training=True)
        np.testing.assert_allclose(out, _direct_conv(x, layer.params["W"], layer.params["b"], 3, stride, pad),
                                   rtol=1e-5, atol=1e-5)
        g = rng.standard_normal(out.shape).astype(dtype)
        dx = layer.backward(g)
        kept = (out, dx, layer.grads["W"], layer.grads["b"])
        earlier.append((*kept, [a.copy() for a in kept]))
        fresh = Conv2D(2, 3, 3, stride, pad, dtype=np.float64)
        fresh.params = layer.params
        fresh.forward(x)                         # inference, then a backward pass as a gradient check does
        np.testing.assert_allclose(fresh.backward(g), dx, rtol=1e-5, atol=1e-5)
        for k in layer.grads:
            np.testing.assert_allclose(fresh.grads[k], layer.grads[k], rtol=1e-5, atol=1e-5)
    for *arrays, copies in earlier:
        for a, c in zip(arrays, copies):
            np.testing.assert_array_equal(a, c)
    layer.forward(x)                             # inference lets the training scratch go
    assert layer._buffers == {} and layer._cols is None


def test_conv_and_pool_refuse_inputs_of_the_wrong_shape():
    with pytest.raises(ValueError, match="expects"):
        Conv2D(3, 4, 3, 1, 1).forward(np.ones((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="divisible"):
        MaxPool2D(2).forward(np.ones((1, 5, 4, 1)))
    with pytest.raises(ValueError, match="at most"):
        MaxPool2D(300)


@pytest.mark.parametrize("size", [2, 3])
def test_maxpool_matches_the_direct_loop_with_ties(rng, size):
    x = rng.integers(0, 3, (2, 6, 6, 3)).astype(np.float64)   # small integers: many tied windows
    pool = MaxPool2D(size)
    out = pool.forward(x)
    g = rng.standard_normal(out.shape)
    dx = pool.backward(g)
    for n, i, j, c in np.ndindex(out.shape):
        rows, cols = slice(i * size, (i + 1) * size), slice(j * size, (j + 1) * size)
        window, routed = x[n, rows, cols, c], dx[n, rows, cols, c]
        assert out[n, i, j, c] == window.max()
        # The whole gradient goes to one of the maxima (any one is a valid subgradient).
        (a, b), = np.argwhere(routed != 0)
        assert window[a, b] == window.max() and routed[a, b] == g[n, i, j, c]


def test_rows_to_images_reads_column_major_rows():
    rows = np.arange(16.0)[None]
    img = RowsToImages(4).forward(rows)[0, :, :, 0]
    np.testing.assert_array_equal(img, rows.reshape(4, 4).T)


def test_dropout_train_and_eval_modes(rng):
    layer = Dropout(0.25, seed=3)
    x = np.ones((2000, 50))
    assert layer.forward(x, training=False) is x
    out = layer.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    g = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(g), g * out)  # out is exactly the mask here
    with pytest.raises(ValueError, match="dropout rate"):
        Dropout(1.0)


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(0, 3), "in_channels"),
    (lambda: Conv2D(1, 3, stride=0), "stride"),
    (lambda: Conv2D(1, 3, padding=-1), "padding"),
    (lambda: MaxPool2D(2).output_shape((5, 4, 1)), "divisible"),
    (lambda: Conv2D(1, 3, 7).output_shape((4, 4, 1)), "does not fit"),
])
def test_bad_conv_settings_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_column_windows_give_each_column_its_neighbours_features(rng):
    x = rng.standard_normal((2, 3, 5, 4))                     # (N, H, T, C)
    frames = ColumnWindows(1).forward(x)
    assert frames.shape == (2, 5, 3 * 3 * 4) == (2, *ColumnWindows(1).output_shape((3, 5, 4)))
    column = lambda t: x[:, :, t, :].reshape(2, -1)         # noqa: E731  (all rows of column t)
    np.testing.assert_array_equal(frames[:, 2], np.concatenate([column(1), column(2), column(3)], axis=1))
    np.testing.assert_array_equal(frames[:, 0, :12], 0.0)   # nothing before the first column
    assert all(r.rel_error < 1e-8 for r in check_layer(ColumnWindows(2), x, seed=1))
