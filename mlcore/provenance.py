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


def model_metadata(kind: str, dataset: Dataset, recipe: dict, result: FitResult, network: Network,
                   metrics: dict, command: str | None) -> dict:
    return {
        "kind": kind,
        "classes": list(dataset.classes),
        "input_convention": INPUT_CONVENTION,
        "training": {**recipe, "command": command, "status": result.status,
                     "message": result.message, "epochs_run": result.epochs_run},
        "history": result.history.to_dict(),
        "metrics": metrics,
        "data": {"dataset": dataset.name, "fingerprint": dataset.fingerprint(), "sizes": dataset.summary()},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mlcore_version": mlcore.__version__,
        "description": network.describe(),
        "n_parameters": int(network.n_parameters()),
    }
