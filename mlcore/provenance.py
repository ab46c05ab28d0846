"""What a trained model's file records about how it was made.

Classifiers and autoencoders record the same things: the recipe and the
command that trained them, how training ended, its history, the data (with a
fingerprint of it), the metrics on every split, and when and with what.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mlcore
from mlcore.data.datasets import Dataset
from mlcore.data.glyphs import INPUT_CONVENTION
from mlcore.network import Network
from mlcore.training import FitResult


@dataclass
class TrainedModel:
    network: Network
    result: FitResult
    metrics: dict              # split name -> that split's report
    metadata: dict             # what the model file records


def model_metadata(kind: str, dataset: Dataset, network: Network, metrics: dict, training: dict,
                   history: dict | None = None) -> dict:
    """The metadata record of a model made from `dataset`: `training` says how (the recipe and
    command), `history` the epochs, when it was trained rather than assembled."""
    return {
        "kind": kind,
        "classes": list(dataset.classes),
        "input_convention": INPUT_CONVENTION,
        "training": training,
        **({"history": history} if history is not None else {}),
        "metrics": metrics,
        "data": {"dataset": dataset.name, "fingerprint": dataset.fingerprint(), "sizes": dataset.summary()},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mlcore_version": mlcore.__version__,
        "description": network.describe(),
        "n_parameters": int(network.n_parameters()),
    }


def trained_metadata(kind: str, dataset: Dataset, recipe: dict, result: FitResult, network: Network,
                     metrics: dict, command: str | None) -> dict:
    """model_metadata of a network trained by `fit` from a recipe."""
    training = {**recipe, "command": command, "status": result.status, "message": result.message,
                "epochs_run": result.epochs_run}
    return model_metadata(kind, dataset, network, metrics, training, result.history.to_dict())
