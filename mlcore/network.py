"""A network: a stack of layers ending in a loss.

One abstraction for every model in the project: the MLP and the CNN
classifiers are both `Network`s, and so is any network trained on a squared
error ('mse' loss) instead of class labels.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from mlcore.activations import ACTIVATIONS
from mlcore.layers import Layer, describe_layers, layer_from_config
from mlcore.losses import LOSSES

# Rows per forward pass when only predicting. Small batches keep a CNN's feature
# maps in the CPU's caches: for the shipped ensemble, batches of 64 run twice as
# fast as batches of 1024, with a fourteenth of the peak memory
# (bench/inference_speed.py).
INFERENCE_BATCH = 64


class Network:
    def __init__(self, layers: Sequence[Layer], loss: str = "softmax_cross_entropy",
                 input_shape: tuple[int, ...] = (1024,)):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.layers = list(layers)
        self.loss_name = loss
        self.loss = LOSSES[loss]()
        self.input_shape = tuple(int(n) for n in input_shape)
        self.output_shape = self._check_shapes()

    def _check_shapes(self) -> tuple[int, ...]:
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    @property
    def is_classifier(self) -> bool:
        """Softmax over classes (y holds class indices), as opposed to regressing target rows (mse)."""
        return self.loss_name == "softmax_cross_entropy"

    @property
    def dtype(self) -> np.dtype:
        params = [layer.params[name] for _, layer, name in self.parameters()]
        return params[0].dtype if params else np.dtype(np.float64)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x (N, *input_shape) -> raw output (N, *output_shape): logits for a classifier."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def hidden_activations(self, x: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(layer index, output) of every activation layer for x, input side first: what the
        hidden units make of an input."""
        outputs = []
        x = np.asarray(x, dtype=self.dtype)
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            if layer.kind in ACTIVATIONS:
                outputs.append((i, x))
        return outputs

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate `grad` (N, *output_shape), of the loss w.r.t. the output; returns it w.r.t. the
        input, (N, *input_shape).

        Training never uses the input gradient: with input_grad=False the pass
        stops at the first layer with parameters, which computes only its own
        gradients (for a CNN, the first convolution's input gradient is costly).
        """
        first = self.first_weighted_layer()
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if not input_grad and i == first and layer.parameters(""):
                layer.backward(grad, input_grad=False)
                return None
            grad = layer.backward(grad)
        return grad

    def first_weighted_layer(self) -> int:
        """Index of the first layer with parameters (its weights are the ones worth drawing)."""
        return next((i for i, layer in enumerate(self.layers) if layer.parameters("")), 0)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, training: bool = True):
        """Mean loss on x (N, *input_shape) and y (N,) class indices or (N, *output_shape) targets, and
        the raw output (N, *output_shape); leaves parameter gradients in each owner's `grads`."""
        out = self.forward(x, training)
        loss = self.loss.forward(out, y)
        self.backward(self.loss.backward(), input_grad=False)
        return loss, out

    def parameters(self):
        """(key, owner, name) for every trainable array, in a stable order: the layers' own, recursively
        (micrograd's `parameters()`), so that an ensemble's members are trained and saved in place."""
        return [entry for i, layer in enumerate(self.layers) for entry in layer.parameters(str(i))]

    def n_parameters(self) -> int:
        return sum(layer.params[name].size for _, layer, name in self.parameters())

    def output(self, x: np.ndarray, batch_size: int = INFERENCE_BATCH) -> np.ndarray:
        """x (N, *input_shape) -> (N, *output_shape): class probabilities for a classifier, in batches
        to bound memory."""
        x = np.asarray(x, dtype=self.dtype)
        outs = [self.loss.output(self.forward(x[i:i + batch_size]))
                for i in range(0, len(x), batch_size)]
        return np.concatenate(outs) if outs else np.zeros((0, *self.output_shape), self.dtype)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.output(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x (N, *input_shape) -> the most probable class of each row (N,)."""
        return self.output(x).argmax(axis=1)

    def astype(self, dtype) -> "Network":
        """A copy with every parameter cast to `dtype` (float64 for gradient checks)."""
        net = copy.deepcopy(self)
        for layer in net.layers:
            layer.astype(dtype)
        return net

    def architecture(self) -> dict:
        return {
            "input_shape": list(self.input_shape),
            "loss": self.loss_name,
            "layers": [{"kind": layer.kind, **layer.config()} for layer in self.layers],
        }

    @classmethod
    def from_architecture(cls, arch: dict) -> "Network":
        layers = [layer_from_config(spec) for spec in arch["layers"]]
        return cls(layers, loss=arch["loss"], input_shape=tuple(arch["input_shape"]))

    def describe(self) -> str:
        """A short human description such as '1024-64(sigmoid)-36' or
        '1024-conv3x3:32(relu)-conv3x3:64(relu)-128(relu)-36': each layer adds its own part."""
        return describe_layers(self.layers, int(np.prod(self.input_shape)))
