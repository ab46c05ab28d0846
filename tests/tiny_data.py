"""A tiny dataset on disk for quick command-line and ensemble runs."""
import numpy as np
import scipy.io


def tiny_data_dir(tmp_path, seed=0):
    """A 'handwriting' dataset of random letters, enough for a quick run."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    labels = np.arange(260) % 26
    scipy.io.savemat(tmp_path / "letters.mat", {"valid_data": rng.random((260, 1024)),
                                                "valid_labels": np.eye(26, dtype=np.uint8)[labels]})
    return tmp_path
