"""Model files: one .npz holding the weights and a JSON metadata record.

Loading uses allow_pickle=False and checks everything before building the
network: the member names, each array's dtype and shape against the recorded
architecture, finiteness, and the metadata's own fields. A malformed or
hostile file is refused with a ModelFileError, never half-loaded.
Saving writes a temporary file and renames it, so a crash mid-write never
leaves a truncated model where a good one was.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlcore.layers import spec_parameter_shapes
from mlcore.network import Network

FORMAT = "mlcore-model"
FORMAT_VERSION = 1
METADATA_KEY = "__metadata__"
MAX_MODEL_BYTES = 256 * 2**20
MAX_UNCOMPRESSED_BYTES = 1024 * 2**20  # a zip bomb would pass the file-size check
# Parameter-free layers cost no bytes in the file but memory at every forward pass:
# a forged architecture of a million ReLUs must be refused before it is built.
MAX_LAYERS = 256
ALLOWED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class ModelFileError(ValueError):
    """A model file that is missing, malformed, or not safe to load."""


@dataclass
class SavedModel:
    network: Network
    metadata: dict

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.metadata.get("classes", ()))


def model_bytes(network: Network, metadata: dict | None = None) -> bytes:
    """The content of a model file for `network`: what save_model writes, e.g. to send it elsewhere."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION,
            **(metadata or {}), "architecture": network.architecture()}
    arrays = {f"param/{key}": layer.params[name] for key, layer, name in network.parameters()}
    arrays[METADATA_KEY] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def save_model(path: str | Path, network: Network, metadata: dict | None = None) -> Path:
    path = Path(path)
    content = model_bytes(network, metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a model file is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path}: larger than {MAX_MODEL_BYTES // 2**20} MB, refusing to load")
    return _unpack(path, path)


def _unpack(source, label) -> dict[str, np.ndarray]:
    """The arrays of an .npz (a path or a file object), refusing zip bombs and pickles."""
    try:
        with zipfile.ZipFile(source) as zf:
            if sum(info.file_size for info in zf.infolist()) > MAX_UNCOMPRESSED_BYTES:
                limit = MAX_UNCOMPRESSED_BYTES // 2**20
                raise ModelFileError(f"{label}: expands to more than {limit} MB, refusing to load")
        if hasattr(source, "seek"):
            source.seek(0)
        with np.load(source, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ModelFileError:
        raise
    except ValueError as exc:
        # numpy raises ValueError for object arrays when pickles are not allowed.
        raise ModelFileError(f"{label}: refused, the file holds pickled objects or bad arrays ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ModelFileError(f"{label}: not a readable .npz model file ({exc})") from None


def _parse_metadata(path: Path, raw: np.ndarray | None) -> dict:
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{path}: missing or malformed {METADATA_KEY} record")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than Python's stack, a forged file.
        raise ModelFileError(f"{path}: metadata is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an {FORMAT} file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: unsupported format version {meta.get('format_version')!r}")
    if not isinstance(meta.get("architecture"), dict):
        raise ModelFileError(f"{path}: metadata has no architecture")
    return meta


def _count_layers(specs) -> int:
    """Layers in a list of layer specifications, counting those inside ensemble members."""
    if not isinstance(specs, list):
        return 0
    total = len(specs)
    for spec in specs:
        members = spec.get("members") if isinstance(spec, dict) else None
        if isinstance(members, list):
            total += sum(len(m) for m in members if isinstance(m, list)) + len(members)
    return total


def load_model(path: str | Path) -> SavedModel:
    path = Path(path)
    return _model_of(_read_arrays(path), path)


def load_model_bytes(content: bytes, label: str = "model") -> SavedModel:
    """load_model of a model file's content (model_bytes), with the same checks."""
    if len(content) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{label}: larger than {MAX_MODEL_BYTES // 2**20} MB, refusing to load")
    return _model_of(_unpack(io.BytesIO(content), label), label)


def _model_of(arrays: dict[str, np.ndarray], path) -> SavedModel:
    """The network and metadata of a model file's arrays, every one checked; `path` names it in errors."""
    meta = _parse_metadata(path, arrays.pop(METADATA_KEY, None))
    arch = meta["architecture"]
    n_layers = _count_layers(arch.get("layers"))
    if n_layers > MAX_LAYERS:
        raise ModelFileError(f"{path}: {n_layers} layers, more than the {MAX_LAYERS} a model file may hold")
    try:
        # Shapes are checked before the network is built, so that a forged
        # architecture cannot make the loader allocate huge weights.
        expected = {f"param/{i}.{name}": shape for i, spec in enumerate(arch["layers"])
                    for name, shape in spec_parameter_shapes(spec).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: invalid architecture ({exc})") from None
    if set(arrays) != set(expected):
        missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
        raise ModelFileError(f"{path}: weights do not match the architecture (missing {missing}, unexpected {extra})")
    dtypes = {a.dtype for a in arrays.values()}
    if len(dtypes) > 1 or not dtypes <= set(ALLOWED_DTYPES):
        raise ModelFileError(f"{path}: weights must all be float32 or all float64, got {sorted(map(str, dtypes))}")
    for name, array in arrays.items():
        if array.shape != tuple(expected[name]):
            raise ModelFileError(f"{path}: {name} has shape {array.shape}, expected {tuple(expected[name])}")
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"{path}: {name} holds NaN or infinite values")
    try:
        network = Network.from_architecture(arch)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: invalid architecture ({exc})") from None
    for key, layer, name in network.parameters():
        layer.params[name] = arrays[f"param/{key}"]
    classes = meta.get("classes")
    if classes is not None:
        if (not isinstance(classes, list) or not all(isinstance(c, str) for c in classes)
                or (network.loss_name == "softmax_cross_entropy" and len(classes) != network.output_shape[0])):
            raise ModelFileError(f"{path}: 'classes' must list one name per output, got {classes!r}")
    return SavedModel(network, meta)


def load_classifier(path: str | Path) -> SavedModel:
    """load_model, refusing a model that is not a classifier (no softmax output or no class names)."""
    model = load_model(path)
    if model.network.loss_name != "softmax_cross_entropy" or not model.classes:
        raise ModelFileError(f"{path}: not a classifier ({_what(model)})")
    return model


def load_autoencoder(path: str | Path) -> SavedModel:
    """load_model, refusing a model that does not reproduce its input with a squared-error loss."""
    model = load_model(path)
    net = model.network
    if net.loss_name != "mse" or net.output_shape != net.input_shape:
        raise ModelFileError(f"{path}: not an autoencoder ({_what(model)})")
    return model


def _what(model: SavedModel) -> str:
    net = model.network
    return f"{net.describe()} with the {net.loss_name} loss"
