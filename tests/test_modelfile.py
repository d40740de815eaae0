"""modelfile: saved models load into NumPy and torch with equal outputs; each bad file is refused by name.

This is where every kind of bad file is checked; tests/test_uploads.py drives two through the Train page.
"""

import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch

from lstm_vault import modelfile, models
from lstm_vault.modelfile import FORMAT_VERSION, ModelFileError


def make(arch="lstm", layers=1, bi=False, I=2, H=3, O=2, seed=0):
    rnn = models.ARCHS[arch](I, H, num_layers=layers, bidirectional=bi, seed=seed)
    rng = np.random.default_rng(seed)
    D = 2 if bi else 1
    return rnn, rng.normal(size=(O, D * H)), rng.normal(size=O)


META = {
    "task": "adding",
    "task_options": {"length": 10},
    "encoding": {"type": "real", "scale": 1.0},
    "training": {"steps": 5, "val_loss": 0.5, "seconds": 1.0, "device": "cpu", "seed": 0},
}


def arrays_of(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def repack(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def with_meta(data: bytes, **changes) -> bytes:
    arrays = arrays_of(data)
    meta = json.loads(arrays["meta"].tobytes())
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return repack(arrays)


@pytest.mark.parametrize("arch,layers,bi", [("lstm", 2, True), ("rnn", 1, False), ("gru", 2, False)])
def test_round_trip_numpy_and_torch_agree(tmp_path, arch, layers, bi):
    rnn, W, b = make(arch, layers, bi)
    path = tmp_path / "model.npz"
    modelfile.save(path, rnn, W, b, META)
    saved = modelfile.load(path)
    assert saved.arch == arch and saved.meta["format_version"] == FORMAT_VERSION
    assert saved.meta["task_options"] == {"length": 10} and saved.meta["num_layers"] == layers
    for name, value in rnn.params.items():
        np.testing.assert_array_equal(saved.rnn.params[name], value)
    np.testing.assert_array_equal(saved.readout_weight, W)
    x = np.random.default_rng(1).normal(size=(6, 3, 2))
    y_np, trace = saved.predict(x)
    assert y_np.shape == (6, 3, 2) and trace.arch == arch
    model = modelfile.load_torch(path)
    y_torch = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y_np, y_torch, atol=1e-10, rtol=0)
    assert saved.task().length == 10


def test_bytes_and_file_objects():
    rnn, W, b = make()
    data = modelfile.to_bytes(rnn, W, b, META)
    buf = io.BytesIO()
    modelfile.save(buf, rnn, W, b, META)
    assert buf.getvalue() == data
    assert modelfile.load(io.BytesIO(data)).meta == modelfile.load(data).meta
    assert "meta.npy" in __import__("zipfile").ZipFile(io.BytesIO(data)).namelist()
    assert arrays_of(data)["meta"].dtype == np.uint8


def test_meta_nan_becomes_null_and_contradictions_are_refused():
    rnn, W, b = make()
    saved = modelfile.load(modelfile.to_bytes(rnn, W, b, {"training": {"val_loss": float("nan")}}))
    assert saved.meta["training"]["val_loss"] is None
    with pytest.raises(ValueError, match="contradicts"):
        modelfile.to_bytes(rnn, W, b, {"hidden_size": 99})


@pytest.fixture
def good() -> bytes:
    rnn, W, b = make(H=3)
    return modelfile.to_bytes(rnn, W, b, META)


def refuse(data, match):
    with pytest.raises(ModelFileError, match=match):
        modelfile.load(data)


def test_wrong_version(good):
    refuse(
        with_meta(good, format_version=7),
        r"model file format version 7 is not supported \(this lstm_vault reads version 1\)",
    )


def test_unknown_arch(good):
    refuse(with_meta(good, arch="transformer"), "unknown arch 'transformer' in model file")


def test_wrong_shape_names_the_parameter(good):
    arrays = arrays_of(good)
    arrays["weight_hh_l0"] = np.zeros((12, 4))
    refuse(repack(arrays), r"parameter weight_hh_l0: expected shape \(12, 3\) .* got \(12, 4\)")
    arrays = arrays_of(good)
    arrays["readout.weight"] = np.zeros((2, 5))
    refuse(repack(arrays), r"parameter readout.weight: expected shape \(2, 3\)")


def test_metadata_that_does_not_match_the_weights(good):
    refuse(with_meta(good, hidden_size=4), r"parameter weight_ih_l0: expected shape \(16, 2\)")
    refuse(with_meta(good, num_layers=2), "missing weight_ih_l1")


def test_pickle_inside(good):
    arrays = arrays_of(good)
    arrays["bias_ih_l0"] = np.array([{"evil": 1}] * 12, dtype=object)
    refuse(repack(arrays), "'bias_ih_l0' holds pickled Python objects")


def test_garbage_truncated_and_single_npy(good):
    refuse(b"hello, this is not a model", "not a model file: expected an .npz")
    refuse(good[: len(good) // 2], "corrupt or truncated")
    refuse(b"", "not a model file")
    npy = io.BytesIO()
    np.save(npy, np.zeros(3))
    refuse(npy.getvalue(), "got a single .npy array")
    flipped = bytearray(good)
    flipped[len(flipped) // 3] ^= 0xFF
    refuse(bytes(flipped), "corrupt")


def test_missing_and_unknown_keys(good):
    arrays = arrays_of(good)
    del arrays["bias_hh_l0"]
    refuse(repack(arrays), "missing bias_hh_l0; unknown none")
    arrays = arrays_of(good)
    arrays["secret"] = np.zeros(1)
    refuse(repack(arrays), "missing none; unknown secret")
    arrays = arrays_of(good)
    del arrays["meta"]
    refuse(repack(arrays), "no 'meta' entry")


def test_non_finite_weights(good):
    arrays = arrays_of(good)
    arrays["weight_ih_l0"][0, 0] = np.inf
    refuse(repack(arrays), "parameter weight_ih_l0 holds non-finite values")


def test_absurd_sizes_and_bad_meta(good):
    refuse(with_meta(good, hidden_size=10**7), r"hidden_size=10000000 is out of range \(1 to 4096\)")
    refuse(with_meta(good, num_layers=0), "num_layers=0 is out of range")
    refuse(with_meta(good, bidirectional="yes"), "bidirectional='yes' must be true or false")
    arrays = arrays_of(good)
    arrays["meta"] = np.frombuffer(b"{not json", dtype=np.uint8)
    refuse(repack(arrays), "'meta' is not valid UTF-8 JSON")
    arrays["meta"] = np.frombuffer(b"[1, 2]", dtype=np.uint8)
    refuse(repack(arrays), "must be a JSON object")
    arrays["meta"] = np.array(json.dumps({"format_version": 1, "arch": "lstm"}))  # 0-d unicode is read too
    refuse(repack(arrays), "metadata is missing input_size")


def test_file_too_large(good, tmp_path, monkeypatch):
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", len(good) - 1)
    refuse(good, "too large")
    path = tmp_path / "big.npz"
    path.write_bytes(good)
    refuse(path, f"too large: {len(good)} bytes")


def test_example_is_a_held_out_sequence_of_the_models_own_task():
    """SavedModel.example: the task's validation example for the seed, shaped for the model; clear errors."""
    from pathlib import Path

    saved = modelfile.load(Path(__file__).resolve().parents[1] / "assets" / "models" / "adding_lstm.npz")
    x, label = saved.example(seed=3)
    task = saved.task()
    want = task.validation(1, seed=3).x[:, :1]
    np.testing.assert_array_equal(x, want)
    assert x.shape[2] == saved.rnn.input_size and x.dtype == np.float64
    assert label == f"{task.title}: held-out example, seed 3"
    nameless = modelfile.SavedModel(saved.rnn, saved.readout_weight, saved.readout_bias, {})
    with pytest.raises(ValueError, match="names no task"):
        nameless.example()
    wrong = modelfile.SavedModel(
        models.LSTM(5, 2), saved.readout_weight[:, :2], saved.readout_bias, {"task": "adding"}
    )
    with pytest.raises(ValueError, match="reads 5 feature"):
        wrong.example()


# ------------------------------------------------------------------------------------------------
# the rest of the bad files an upload can bring, each refused by name before anything is built


def zip_of(files: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def with_member(data: bytes, key: str, value) -> bytes:
    return repack(arrays_of(data) | {key: value})


SPRUNG: list[str] = []  # what unpickling a Trap leaves behind


def _spring(tag: str) -> None:
    SPRUNG.append(tag)


class Trap:
    """Unpickling it calls _spring: proof that a loader unpickled the file."""

    def __reduce__(self):
        return _spring, ("unpickled",)


def pickled(good: bytes, member: str) -> bytes:
    """A model file with an object array (a pickle) as ``member``, checked to spring when unpickled."""
    data = with_member(good, member, np.array([Trap()], dtype=object))
    with np.load(io.BytesIO(data), allow_pickle=True) as npz:
        npz[member]  # the payload is live: numpy with allow_pickle=True runs it
    assert SPRUNG == ["unpickled"]
    SPRUNG.clear()
    return data


def test_a_pickle_is_refused_without_being_unpickled(good):
    for member in ("meta", "weight_ih_l0"):
        refuse(pickled(good, member), f"member '{member}' holds pickled Python objects")
        assert SPRUNG == []
    assert pickle.loads(pickle.dumps(Trap())) is None and SPRUNG == ["unpickled"]  # the trap works
    SPRUNG.clear()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = zip_of({"meta.npy": bytes(modelfile.MAX_FILE_BYTES + 1)}, compression=zipfile.ZIP_DEFLATED)
    assert len(bomb) < modelfile.MAX_FILE_BYTES // 100  # small on the wire
    limit = modelfile.MAX_FILE_BYTES
    refuse(bomb, f"would unpack to {limit + 1} bytes, over the limit of {limit}")


BAD = {  # name -> (make from a good file, what the message says)
    "random PK": (lambda g: b"PK" + np.random.default_rng(1).bytes(4096), "corrupt or truncated"),
    "a stray member": (lambda g: zip_of({"readme.txt": b"hello"}), "unexpected member 'readme.txt'"),
    "no meta": (lambda g: repack({"x": np.zeros(3)}), r"no 'meta' entry \(is it an lstm_vault model\?\)"),
    "no version": (lambda g: with_meta(g, format_version=None), "has no 'format_version'"),
    "integer weights": (
        lambda g: with_member(g, "bias_hh_l0", np.zeros(12, int)),
        "bias_hh_l0.*float32 or float64",
    ),
    "NaN weights": (lambda g: with_member(g, "bias_hh_l0", np.full(12, np.nan)), "non-finite"),
    # metadata a page formats: refused by the loader instead of breaking the page after loading
    "a word for a loss": (lambda g: with_meta(g, training={"val_loss": "low"}), "val_loss='low'"),
    "training a list": (lambda g: with_meta(g, training=[1, 2]), "training must be a JSON object, got list"),
    "options a string": (lambda g: with_meta(g, task_options="ab"), "task_options must be a JSON object"),
    "task a list": (lambda g: with_meta(g, task=["adding"]), r"task=\['adding'\] must be a task name"),
}


@pytest.mark.parametrize(("make", "message"), BAD.values(), ids=list(BAD))
def test_a_bad_file_is_refused_by_name(good, make, message):
    refuse(make(good), message)
