"""Where data lives: the configurable data directory and the shipped models.

MLCORE_DATA_DIR points at real data (CI sets it to ../shared/data); by default
it is the repository's own data/ folder. Shipped models always live in the
repository, whatever the data directory.
"""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "MLCORE_DATA_DIR"
CACHE_ENV_VAR = "MLCORE_CACHE_DIR"
PAGES = "pages"   # the data directory's photographed pages, with their true text in ground_truth.json


def data_dir() -> Path:
    return Path(os.environ.get(ENV_VAR) or REPO_ROOT / "data").expanduser()


def pages_dir(root: Path | None = None) -> Path:
    """The photographed pages of the data directory `root` (default: data_dir())."""
    return (data_dir() if root is None else root) / PAGES


def cache_dir() -> Path:
    """Where what the project computes for itself (the synthetic set) is kept between starts."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "mlcore").expanduser()


def models_dir() -> Path:
    return REPO_ROOT / "data" / "models"


def default_classifier_path() -> Path:
    return models_dir() / "classifier.npz"


def autoencoders_dir() -> Path:
    # Apart from the classifiers, so that choosing among data/models/*.npz never offers one.
    return models_dir() / "autoencoders"


def default_autoencoder_path() -> Path:
    return autoencoders_dir() / "best.npz"
