"""Ensembles: several trained networks as one, averaging their outputs.

An ensemble is an ordinary `Network` whose only layer, `Average`, runs every
member's layers and combines their outputs: for classifiers it returns the log
of the members' mean probability, so that the ensemble's softmax is exactly the
mean of their probabilities; for other networks (autoencoders) the mean output.
Being a Network, it is saved, loaded, validated, evaluated and used by the OCR
like any other. Independently trained members make different mistakes;
averaging them removes part of each one's.

Probabilities, not logits, are averaged because the OCR's word correction
weighs the probabilities themselves: where members disagree, their mean keeps
the doubt, while a mean of logits (a geometric mean of probabilities) sides
with the most confident member. On the validation split the two are within
0.1 point of each other.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from mlcore.classifier import KIND as CLASSIFIER
from mlcore.layers import Layer, describe_layers, layer_from_config, spec_parameter_shapes
from mlcore.losses import log_softmax
from mlcore.metrics import evaluate_splits
from mlcore.network import Network
from mlcore.provenance import model_metadata

KIND = "average"
COMBINE = ("probabilities", "mean")
MAX_MEMBERS = 16   # more would only slow predictions down; a forged file might ask for millions


def _member_specs(members) -> list[list[dict]]:
    if not isinstance(members, (list, tuple)) or not 2 <= len(members) <= MAX_MEMBERS:
        raise ValueError(f"an ensemble needs between 2 and {MAX_MEMBERS} members")
    for specs in members:
        if not isinstance(specs, (list, tuple)) or not specs:
            raise ValueError("each ensemble member must be a non-empty list of layers")
        if any(isinstance(s, dict) and s.get("kind") == KIND for s in specs):
            raise ValueError("ensembles cannot be nested")
    return members


class Average(Layer):
    """The mean of several layer stacks' outputs for the same input."""

    kind = KIND

    def __init__(self, members: Sequence[Sequence[dict | Layer]], combine: str = "probabilities"):
        super().__init__()
        if combine not in COMBINE:
            raise ValueError(f"combine must be one of {', '.join(COMBINE)}, got {combine!r}")
        self.combine = combine
        self.members = [[s if isinstance(s, Layer) else layer_from_config(s) for s in specs]
                        for specs in _member_specs([list(m) for m in members])]
        if any(layer.kind == KIND for layers in self.members for layer in layers):
            raise ValueError("ensembles cannot be nested")

    def parameters(self, prefix: str):
        """Parameter `name` of layer j of member m under "prefix.m.j.name"; the members hold them."""
        return [entry for m, layers in enumerate(self.members) for j, layer in enumerate(layers)
                for entry in layer.parameters(f"{prefix}.{m}.{j}")]

    @classmethod
    def parameter_shapes(cls, members, combine="probabilities") -> dict[str, tuple[int, ...]]:
        return {f"{m}.{j}.{name}": shape for m, specs in enumerate(_member_specs(members))
                for j, spec in enumerate(specs) for name, shape in spec_parameter_shapes(spec).items()}

    def config(self):
        return {"members": [[{"kind": layer.kind, **layer.config()} for layer in layers] for layers in self.members],
                "combine": self.combine}

    def output_shape(self, input_shape):
        shapes = set()
        for layers in self.members:
            shape = input_shape
            for layer in layers:
                shape = layer.output_shape(shape)
            shapes.add(tuple(shape))
        if len(shapes) != 1:
            raise ValueError(f"ensemble members disagree on their output shape: {sorted(shapes)}")
        return shapes.pop()

    def describe(self, parts):
        """The whole ensemble in one part: 'mean of 3 x 1024-...' or 'mean of (...) and (...)'."""
        each = [describe_layers(layers, int(parts[0])) for layers in self.members]
        return [f"mean of {len(each)} x {each[0]}" if len(set(each)) == 1
                else "mean of " + " and ".join(f"({d})" for d in each)]

    def forward(self, x, training=False):
        outs = []
        for layers in self.members:
            out = x
            for layer in layers:
                out = layer.forward(out, training)
            outs.append(out)
        if self.combine == "mean":
            return sum(outs) / len(outs)
        # log(mean_m softmax(z_m)) = logsumexp_m(log_softmax(z_m)) - log M, stable when some
        # member gives a class a probability that underflows to 0.
        logp = np.stack([log_softmax(z) for z in outs])
        top = logp.max(axis=0)
        e = np.exp(logp - top)
        total = e.sum(axis=0)
        self._share = e / total          # each member's part of the mean probability
        self._p = np.exp(logp)
        return top + np.log(total) - np.log(len(outs))

    def backward(self, grad, input_grad=True):
        # Members are whole stacks: their first layers' input gradients are computed anyway,
        # and dropped when the caller (training) does not need them.
        dx = None
        for m, layers in enumerate(self.members):
            if self.combine == "mean":
                g = grad / len(self.members)
            else:
                h = grad * self._share[m]                     # through the log-sum-exp over members
                g = h - self._p[m] * h.sum(axis=-1, keepdims=True)  # through the member's log-softmax
            for layer in reversed(layers):
                g = layer.backward(g)
            dx = g if dx is None else dx + g
        return dx if input_grad else None


def ensemble(networks: Sequence[Network]) -> Network:
    """One network averaging `networks` (copies: the originals stay untouched): their probabilities
    for classifiers, their outputs otherwise."""
    networks = list(networks)
    if not 2 <= len(networks) <= MAX_MEMBERS:
        raise ValueError(f"an ensemble needs between 2 and {MAX_MEMBERS} networks, got {len(networks)}")
    first = networks[0]
    for net in networks[1:]:
        if (net.input_shape, net.output_shape, net.loss_name) != (first.input_shape, first.output_shape,
                                                                 first.loss_name):
            raise ValueError(f"ensemble members must agree on input, output and loss: {first.describe()} "
                             f"({first.loss_name}) vs {net.describe()} ({net.loss_name})")
    combine = "probabilities" if first.is_classifier else "mean"
    average = Average([copy.deepcopy(net.layers) for net in networks], combine)
    return Network([average], loss=first.loss_name, input_shape=first.input_shape)


def members(network: Network) -> list[Network]:
    """The member networks of an ensemble (sharing its weights), or [network] for any other."""
    if len(network.layers) == 1 and network.layers[0].kind == KIND:
        return [Network(layers, loss=network.loss_name, input_shape=network.input_shape)
                for layers in network.layers[0].members]
    return [network]


def combine_classifiers(models, dataset, command: str | None = None) -> tuple[Network, dict, dict]:
    """An ensemble of saved classifiers (model_io.SavedModel) trained on `dataset`, the metadata its file
    records (the members' own training commands, and its metrics on every split), and its predicted class
    of each sample of every split."""
    classes = {tuple(m.classes) for m in models}
    if len(classes) != 1 or tuple(dataset.classes) not in classes:
        raise ValueError(f"ensemble members must have the same classes as the {dataset.name!r} dataset")
    seen = {m.metadata.get("data", {}).get("fingerprint") for m in models}
    if seen != {dataset.fingerprint()}:
        # Scores on data the members never saw, or on a "test" split holding their training
        # images, would be meaningless.
        raise ValueError(f"the members were not all trained on this {dataset.name!r} data and split "
                         "(their recorded data fingerprints differ from it)")
    network = ensemble([m.network for m in models])
    predictions, metrics = evaluate_splits(network, dataset)
    training = {"command": command, "ensemble_of": [m.metadata.get("training", {}).get("command") for m in models]}
    metadata = model_metadata(CLASSIFIER, dataset, network, metrics, training)
    metadata["members"] = [{"description": m.network.describe(), "metrics": m.metadata.get("metrics", {})}
                           for m in models]
    return network, metadata, predictions
