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
# The metadata holds the recipe, command, metrics and each epoch's record (an ensemble's members' too):
# tens of KB. Parsing JSON costs tens of times its size in Python objects, so it is capped well below
# what the weights may take.
MAX_METADATA_BYTES = 4 * 2**20
# Parameter-free layers cost no bytes in the file but memory at every forward pass:
# a forged architecture of a million ReLUs must be refused before it is built.
MAX_LAYERS = 256
MAX_MEMBERS = 2 * MAX_LAYERS + 1  # a weight and a bias per layer, and the metadata
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
    return write_atomically(Path(path), model_bytes(network, metadata))


def write_atomically(path: Path, content: bytes) -> Path:
    """Write to a temporary file beside `path`, then rename it into place: a crash or a full disk
    mid-write never leaves a truncated file where a good one was, nor the temporary file."""
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


@dataclass(frozen=True)
class _Member:
    """One array of the .npz as its header declares it, before any of its data is read."""
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize


def load_model(path: str | Path) -> SavedModel:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path}: larger than {MAX_MODEL_BYTES // 2**20} MB, refusing to load")
    return _load(path, path)


def load_model_bytes(content: bytes, label: str = "model") -> SavedModel:
    """load_model of a model file's content (model_bytes), with the same checks."""
    if len(content) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{label}: larger than {MAX_MODEL_BYTES // 2**20} MB, refusing to load")
    return _load(io.BytesIO(content), label)


def _load(source, label) -> SavedModel:
    """The model in an .npz (a path or a file object). Every array's header is checked (against the
    architecture, for the weights) before any array is read, so that no forged size is ever allocated."""
    try:
        with zipfile.ZipFile(source) as zf:
            members = _members(zf, label)
            meta = _parse_metadata(label, members.pop(METADATA_KEY, None), zf)
            _check_weights(members, _expected_shapes(meta, label), label)
            arrays = {name: _read(zf, member) for name, member in members.items()}
    except ModelFileError:
        raise
    except ValueError as exc:
        raise ModelFileError(f"{label}: refused, the file holds bad arrays ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ModelFileError(f"{label}: not a readable .npz model file ({exc})") from None
    return _build(meta, arrays, label)


def _members(zf: zipfile.ZipFile, label) -> dict[str, _Member]:
    """Each array's declared shape and dtype, refusing zip bombs, pickles and sizes that do not add up."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{label}: {len(infos)} arrays, more than a model file may hold ({MAX_MEMBERS})")
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        raise ModelFileError(f"{label}: expands to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB, refusing to load")
    members = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ModelFileError(f"{label}: {info.filename!r} is not an array")
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ModelFileError(f"{label}: {info.filename}: unsupported array format {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(f)
            header_bytes = f.tell()
        if dtype.hasobject:
            raise ModelFileError(f"{label}: refused, the file holds pickled objects")
        member = _Member(info, tuple(shape), dtype)
        if header_bytes + member.nbytes != info.file_size:
            raise ModelFileError(f"{label}: {info.filename} declares {shape} {dtype} but holds "
                                 f"{info.file_size - header_bytes} bytes of data")
        members[info.filename[:-len(".npy")]] = member
    return members


def _read(zf: zipfile.ZipFile, member: _Member) -> np.ndarray:
    with zf.open(member.info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _parse_metadata(label, member: _Member | None, zf: zipfile.ZipFile) -> dict:
    if member is None or member.dtype != np.uint8 or len(member.shape) != 1:
        raise ModelFileError(f"{label}: missing or malformed {METADATA_KEY} record")
    if member.nbytes > MAX_METADATA_BYTES:
        raise ModelFileError(f"{label}: {member.nbytes / 2**20:.1f} MB of metadata, more than the "
                             f"{MAX_METADATA_BYTES // 2**20} MB a model file may hold")
    try:
        meta = json.loads(_read(zf, member).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than Python's stack, a forged file.
        raise ModelFileError(f"{label}: metadata is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{label}: not an {FORMAT} file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{label}: unsupported format version {meta.get('format_version')!r}")
    if not isinstance(meta.get("architecture"), dict):
        raise ModelFileError(f"{label}: metadata has no architecture")
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


def _expected_shapes(meta: dict, label) -> dict[str, tuple[int, ...]]:
    """Each weight's shape as the recorded architecture says, computed without building anything."""
    arch = meta["architecture"]
    n_layers = _count_layers(arch.get("layers"))
    if n_layers > MAX_LAYERS:
        raise ModelFileError(f"{label}: {n_layers} layers, more than the {MAX_LAYERS} a model file may hold")
    try:
        return {f"param/{i}.{name}": tuple(shape) for i, spec in enumerate(arch["layers"])
                for name, shape in spec_parameter_shapes(spec).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{label}: invalid architecture ({exc})") from None


def _check_weights(members: dict[str, _Member], expected: dict[str, tuple], label) -> None:
    if set(members) != set(expected):
        missing, extra = sorted(set(expected) - set(members)), sorted(set(members) - set(expected))
        raise ModelFileError(f"{label}: weights do not match the architecture (missing {missing}, unexpected {extra})")
    dtypes = {m.dtype for m in members.values()}
    if len(dtypes) > 1 or not dtypes <= set(ALLOWED_DTYPES):
        raise ModelFileError(f"{label}: weights must all be float32 or all float64, got {sorted(map(str, dtypes))}")
    for name, member in members.items():
        if member.shape != expected[name]:
            raise ModelFileError(f"{label}: {name} has shape {member.shape}, expected {expected[name]}")


def _build(meta: dict, arrays: dict[str, np.ndarray], label) -> SavedModel:
    """The network of checked weights; `label` names the file in errors."""
    for name, array in arrays.items():
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"{label}: {name} holds NaN or infinite values")
    try:
        network = Network.from_architecture(meta["architecture"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{label}: invalid architecture ({exc})") from None
    for key, layer, name in network.parameters():
        layer.params[name] = arrays[f"param/{key}"]
    classes = meta.get("classes")
    if classes is not None and (
            not isinstance(classes, list) or not all(isinstance(c, str) for c in classes)
            or (network.is_classifier and len(classes) != network.output_shape[0])):
        raise ModelFileError(f"{label}: 'classes' must list one name per output, got {classes!r}")
    return SavedModel(network, meta)


def load_classifier(path: str | Path) -> SavedModel:
    """load_model, refusing a model that is not a classifier (no softmax output or no class names)."""
    model = load_model(path)
    if not model.network.is_classifier or not model.classes:
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
