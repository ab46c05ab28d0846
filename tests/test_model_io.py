import json

import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.model_io import METADATA_KEY, ModelFileError, load_model, save_model


def _saved(tmp_path, **meta):
    net = build_mlp((8, 5), "relu", n_in=12, n_out=4, seed=3)
    path = save_model(tmp_path / "m.npz", net, {"classes": list("ABCD"), **meta})
    return net, path


def _rewrite(path, arrays):
    np.savez(path, **arrays)


def _arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_round_trip_is_exact(tmp_path, rng):
    net, path = _saved(tmp_path, note="hello")
    loaded = load_model(path)
    x = rng.random((3, 12)).astype(np.float32)
    np.testing.assert_array_equal(loaded.network.predict_proba(x), net.predict_proba(x))
    assert loaded.classes == tuple("ABCD")
    assert loaded.metadata["note"] == "hello"
    assert loaded.network.architecture() == net.architecture()


def test_pickled_object_is_refused(tmp_path):
    _, path = _saved(tmp_path)
    arrays = _arrays(path)
    arrays["param/0.W"] = np.array([{"evil": "payload"}], dtype=object)
    np.savez(path, **arrays)  # numpy pickles object arrays
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(path)


@pytest.mark.parametrize("mutate, message", [
    (lambda a: a.pop("param/0.W"), "missing"),
    (lambda a: a.__setitem__("param/9.W", np.zeros(2, np.float32)), "unexpected"),
    (lambda a: a.__setitem__("param/0.W", np.zeros((3, 3), np.float32)), "shape"),
    (lambda a: a.__setitem__("param/0.b", np.full(8, np.nan, np.float32)), "NaN"),
    (lambda a: a.__setitem__("param/0.b", np.zeros(8, np.int64)), "float32"),
    (lambda a: a.__setitem__(METADATA_KEY, np.frombuffer(b"{not json", np.uint8)), "JSON"),
    (lambda a: a.pop(METADATA_KEY), "metadata"),
])
def test_malformed_files_are_refused(tmp_path, mutate, message):
    _, path = _saved(tmp_path)
    arrays = _arrays(path)
    mutate(arrays)
    _rewrite(path, arrays)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def _with_metadata(path, change):
    arrays = _arrays(path)
    meta = json.loads(arrays[METADATA_KEY].tobytes())
    change(meta)
    arrays[METADATA_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    _rewrite(path, arrays)


def test_forged_huge_architecture_is_refused_before_allocating(tmp_path):
    _, path = _saved(tmp_path)
    _with_metadata(path, lambda m: m["architecture"]["layers"][0].update(n_in=10**12))
    with pytest.raises(ModelFileError, match="shape"):
        load_model(path)


def test_unknown_layer_and_wrong_class_count_are_refused(tmp_path):
    _, path = _saved(tmp_path)
    _with_metadata(path, lambda m: m["architecture"]["layers"][1].update(kind="os.system"))
    with pytest.raises(ModelFileError, match="unknown layer"):
        load_model(path)
    _, path = _saved(tmp_path)
    _with_metadata(path, lambda m: m.update(classes=["A", "B"]))
    with pytest.raises(ModelFileError, match="classes"):
        load_model(path)


@pytest.mark.parametrize("content", [b"", b"hello", b"PK\x03\x04garbage"])
def test_non_model_files_are_refused(tmp_path, content):
    (tmp_path / "x.npz").write_bytes(content)
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "x.npz")
    with pytest.raises(ModelFileError, match="no such"):
        load_model(tmp_path / "missing.npz")


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    import mlcore.model_io as mio
    _, path = _saved(tmp_path)
    monkeypatch.setattr(mio, "MAX_UNCOMPRESSED_BYTES", 100)
    with pytest.raises(ModelFileError, match="expands"):
        load_model(path)


def test_failed_save_keeps_the_previous_model(tmp_path, monkeypatch):
    net, path = _saved(tmp_path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError):
        save_model(path, net, {"classes": list("ABCD")})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def _forge_weight(path, shape, data: bytes):
    """Rewrite the first weight's entry with a hand-made header declaring `shape`, followed by `data`."""
    import io
    import zipfile
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    arrays = _arrays(path)
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in arrays.items():
            if name == "param/0.W":
                zf.writestr(name + ".npy", buffer.getvalue() + data)
            else:
                with zf.open(name + ".npy", "w") as f:
                    np.lib.format.write_array(f, array)


@pytest.mark.parametrize("shape, arch_too", [((10**5,) * 3, False), ((10**5, 10**5), True)])
def test_forged_array_header_is_refused_before_any_array_is_read(tmp_path, monkeypatch, shape, arch_too):
    import mlcore.model_io as mio
    _, path = _saved(tmp_path)
    if arch_too:  # the architecture agrees with the forged header: only the data's size gives it away
        _with_metadata(path, lambda m: m["architecture"]["layers"][0].update(n_in=10**5, n_out=10**5))
    _forge_weight(path, shape, np.zeros(96, np.float32).tobytes())
    read, real_read = [], mio._read
    monkeypatch.setattr(mio, "_read", lambda zf, member: read.append(member) or real_read(zf, member))
    with pytest.raises(ModelFileError, match=rf"declares \({', '.join(map(str, shape))}\) float32 but holds 384 bytes"):
        load_model(path)
    assert read == []


def test_oversized_metadata_is_refused_unparsed(tmp_path):
    _, path = _saved(tmp_path)
    _with_metadata(path, lambda m: m.update(padding="x" * (5 * 2**20)))
    np.savez_compressed(path, **_arrays(path))   # a few KB on disk
    assert path.stat().st_size < 100_000
    with pytest.raises(ModelFileError, match=r"5\.0 MB of metadata, more than the 4 MB"):
        load_model(path)


def test_the_cli_refuses_a_forged_model_with_exit_code_2(tmp_path):
    import subprocess
    import sys

    from mlcore.data.paths import REPO_ROOT
    _, path = _saved(tmp_path)
    _forge_weight(path, (10**5,) * 3, b"")
    for command in (["evaluate", "--model", str(path), "--data", str(path)], ["ocr", "--model", str(path), str(path)]):
        done = subprocess.run([sys.executable, "-m", "mlcore", *command], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "declares (100000, 100000, 100000)" in done.stderr
