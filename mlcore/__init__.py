"""mlcore: neural networks from scratch in numpy, on real handwriting.

Layers, activations, losses, optimizers and initialisations are small modules
of their own; a `Network` stacks layers and a loss; `fit` trains it.
"""
from mlcore import ensemble  # noqa: F401  (registers the ensemble layer for model files)
from mlcore.architectures import build_mlp
from mlcore.network import Network
from mlcore.training import FitResult, TrainConfig, fit

__all__ = ["Network", "build_mlp", "fit", "FitResult", "TrainConfig"]
__version__ = "0.1.0"
