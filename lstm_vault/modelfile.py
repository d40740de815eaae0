"""The one model file format: a NumPy ``.npz`` (``np.savez``, no pickle) that both the app and the CLI use.

Members (each an ``.npy`` array inside the zip):

- the recurrent weights under torch's names: ``weight_ih_l0`` (G*H, I), ``weight_hh_l0`` (G*H, H),
  ``bias_ih_l0`` (G*H,), ``bias_hh_l0`` (G*H,), ``..._l1``, ``..._reverse``; G = 4 (lstm), 1 (rnn), 3 (gru);
- ``readout.weight`` (O, D*H) and ``readout.bias`` (O,): ``y_hat_t = readout.weight @ h_t + readout.bias``;
  O = 0 is a model without a read-out (an imported recurrent module whose head is not a single Linear);
- ``meta``: UTF-8 JSON as a uint8 array (a 0-d unicode array is read too) with ``format_version``, ``arch``,
  ``input_size``, ``hidden_size``, ``output_size``, ``num_layers``, ``bidirectional``, and what the caller
  adds: ``task`` (name), ``task_options``, ``encoding`` (task.encoding()), ``training`` (steps, losses,
  seconds, device, seed), ``source`` (an imported model's origin, ``lstm_vault.importers``). A model trained
  on the user's CSV (task ``csv``) also keeps, in ``encoding``: ``columns`` (the inputs, in order),
  ``target``, ``window``, ``ahead``, ``input_offset`` and ``input_scale`` (each column's training mean and
  std) and ``time`` (the date column), so it says what it expects without the CSV (``tasks.user_csv``).

``load`` trusts nothing: it reads array headers before data, refuses pickled objects, and raises
``ModelFileError`` (a ValueError) with a message that says what is wrong. This module imports no torch
(only ``load_torch`` does, when called).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from lstm_vault import models
from lstm_vault.state_dicts import TOP_LEVEL

FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024  # shipped models are ~100 KB; a hidden-1024 float64 LSTM is ~34 MB
MAX_META_BYTES = 1024 * 1024  # a character vocabulary fits many times over
MAX_IO_SIZE = 100_000  # input and output sizes (a vocabulary)
READOUT_KEYS = ("readout.weight", "readout.bias")
STRUCTURE_KEYS = (
    "format_version",
    "arch",
    "input_size",
    "hidden_size",
    "output_size",
    "num_layers",
    "bidirectional",
)


class ModelFileError(ValueError):
    """The file is not a model this version of lstm_vault can load; the message says why."""


@dataclass(frozen=True)
class SavedModel:
    """A loaded model: the NumPy reference recurrent part plus the linear read-out."""

    rnn: models.Recurrent  # float64 NumPy reference (LSTM, RNN or GRU)
    readout_weight: np.ndarray  # (O, D*H) float64
    readout_bias: np.ndarray  # (O,) float64
    meta: dict  # the JSON metadata (module docstring)

    @property
    def arch(self) -> str:
        return self.rnn.arch

    @property
    def has_readout(self) -> bool:
        """False for a model without a read-out (output_size 0): ``predict`` then gives (T, B, 0)."""
        return self.readout_weight.shape[0] > 0

    def predict(self, x):
        """x: (T, B, I) or (T, I) -> (y_hat (T, B, O) or (T, O), trace of the recurrent forward pass)."""
        output, _, trace = self.rnn.forward(x)  # (T, B, D*H)
        return output @ self.readout_weight.T + self.readout_bias, trace

    def task(self):
        """The task the model was trained on, rebuilt from the metadata (None if the file names none)."""
        from lstm_vault.tasks import get_task

        name = self.meta.get("task")
        return None if name is None else get_task(name, **self.meta.get("task_options", {}))

    def example(self, seed: int = 0) -> tuple[np.ndarray, str]:
        """One held-out example of the model's own task: ``x`` (T, 1, I) float64 and a caption.

        The one way every page gets "an input this model was made for". ValueError (readable) when the
        file names no task or the task's input does not fit the model.
        """
        task = self.task()
        if task is None:
            raise ValueError("the model file names no task to draw an example from")
        x = np.asarray(task.validation(1, seed=seed).x, dtype=np.float64)
        if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] != self.rnn.input_size:
            raise ValueError(
                f"the {self.meta['task']} task's input has shape {x.shape}, the model reads "
                f"{self.rnn.input_size} feature(s) per step"
            )
        title = getattr(task, "title", "") or self.meta["task"]
        return x[:, :1], f"{title}: held-out example, seed {seed}"


# ------------------------------------------------------------------------------------------------
# writing


def _json_ready(value):
    """Non-finite floats -> None, numpy scalars -> Python, tuples -> lists (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _structure(rnn, readout_weight, readout_bias) -> dict:
    if rnn.arch not in models.ARCHS:
        raise ValueError(f"unknown arch {rnn.arch!r}")
    D = 2 if rnn.bidirectional else 1
    W, b = np.asarray(readout_weight), np.asarray(readout_bias)
    if W.ndim != 2 or W.shape[1] != D * rnn.hidden_size or b.shape != (W.shape[0],):
        raise ValueError(
            f"read-out shapes {W.shape} and {b.shape} do not fit hidden size {rnn.hidden_size} "
            f"x {D} direction(s): expected (O, {D * rnn.hidden_size}) and (O,)"
        )
    return {
        "format_version": FORMAT_VERSION,
        "arch": rnn.arch,
        "input_size": int(rnn.input_size),
        "hidden_size": int(rnn.hidden_size),
        "output_size": int(W.shape[0]),
        "num_layers": int(rnn.num_layers),
        "bidirectional": bool(rnn.bidirectional),
    }


def to_bytes(rnn, readout_weight, readout_bias, meta: dict | None = None) -> bytes:
    """The model file's bytes (see ``save``)."""
    structure = _structure(rnn, readout_weight, readout_bias)
    meta = dict(meta or {})
    for key, value in structure.items():
        if key in meta and meta[key] != value:
            raise ValueError(f"meta[{key!r}] = {meta[key]!r} contradicts the model ({value!r})")
    meta.update(structure)
    text = json.dumps(_json_ready(meta), allow_nan=False, sort_keys=True)
    arrays = {name: np.ascontiguousarray(value) for name, value in rnn.params.items()}
    arrays["readout.weight"] = np.ascontiguousarray(readout_weight, dtype=np.float64)
    arrays["readout.bias"] = np.ascontiguousarray(readout_bias, dtype=np.float64)
    arrays["meta"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save(file, rnn, readout_weight, readout_bias, meta: dict | None = None) -> None:
    """Write a model file to a path (atomically, via ``<path>.tmp``) or a binary file-like object.

    rnn: a NumPy reference model (``lstm_vault.models``); readout_weight (O, D*H); readout_bias (O,);
    meta: JSON-serialisable extras (task, task_options, encoding, training). The structural keys
    (arch, sizes, format_version) are filled in from the model.
    """
    data = to_bytes(rnn, readout_weight, readout_bias, meta)
    if hasattr(file, "write"):
        file.write(data)
        return
    path = os.fspath(file)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers never see a half-written file
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ------------------------------------------------------------------------------------------------
# reading


def read_limited(file, max_bytes: int | None = None, what: str = "model file", error=ModelFileError) -> bytes:
    """The bytes of a path, bytes-like or binary file-like (an upload), refused past ``max_bytes`` with
    ``error("<what> is too large: ...")``. Every reader of an untrusted file goes through it (here and in
    ``lstm_vault.importers``). max_bytes: :data:`MAX_FILE_BYTES` when None."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    elif hasattr(file, "read"):
        data = file.read(max_bytes + 1)
    else:
        path = os.fspath(file)
        size = os.path.getsize(path)
        if size > max_bytes:
            raise error(f"{what} is too large: {size} bytes (the limit is {max_bytes})")
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{what} is too large: over {max_bytes} bytes")
    return data


def zip_infos(data: bytes, max_bytes: int | None = None, what: str = "model file", error=ModelFileError):
    """The members (``zipfile.ZipInfo``) of a zip archive's bytes, read from its directory only: ``error``
    when it is corrupt or would unpack to over ``max_bytes`` (:data:`MAX_FILE_BYTES` when None; a zip
    bomb), before any member is read."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError) as failure:
        raise error(f"{what} is corrupt or truncated (bad zip archive: {failure})") from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_bytes:
        raise error(
            f"{what} would unpack to {unpacked} bytes, over the limit of {max_bytes} (refused unread)"
        )
    return infos


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str):
    """(shape, dtype) from an .npy header, without reading the data."""
    with zf.open(info) as fp:
        try:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except ValueError as error:
            raise ModelFileError(f"model file member {key!r} is not a valid .npy array: {error}") from None
    if dtype.hasobject:
        raise ModelFileError(
            f"model file member {key!r} holds pickled Python objects; refusing to load it "
            "(unpickling can run arbitrary code)"
        )
    return shape, dtype


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    try:
        with zf.open(info) as fp:
            return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError as error:  # short data, bad header: the zip itself was readable
        raise ModelFileError(f"model file member {key!r} is corrupt: {error}") from None


def _parse_meta(array: np.ndarray) -> dict:
    if array.dtype == np.uint8 and array.ndim == 1:
        raw = array.tobytes()
    elif array.dtype.kind == "U" and array.ndim == 0:
        raw = str(array[()]).encode("utf-8")
    else:
        raise ModelFileError(
            f"model file 'meta' must be UTF-8 JSON as a uint8 array, got {array.dtype} "
            f"with shape {array.shape}"
        )
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"model file 'meta' is not valid UTF-8 JSON: {error}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"model file 'meta' must be a JSON object, got {type(meta).__name__}")
    return meta


def _check_structure(meta: dict) -> dict:
    version = meta.get("format_version")
    if version is None:
        raise ModelFileError("model file metadata has no 'format_version'")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"model file format version {version} is not supported "
            f"(this lstm_vault reads version {FORMAT_VERSION})"
        )
    missing = [k for k in STRUCTURE_KEYS if k not in meta]
    if missing:
        raise ModelFileError(f"model file metadata is missing {', '.join(missing)}")
    if meta["arch"] not in models.ARCHS:
        raise ModelFileError(
            f"unknown arch {meta['arch']!r} in model file; this lstm_vault knows {', '.join(models.ARCHS)}"
        )
    caps = {  # a file holds any model the NumPy reference can build
        "input_size": MAX_IO_SIZE,
        "hidden_size": models.MAX_HIDDEN,
        "output_size": MAX_IO_SIZE,
        "num_layers": models.MAX_LAYERS,
    }
    for key, cap in caps.items():
        value, low = meta[key], 0 if key == "output_size" else 1  # output_size 0: no read-out
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= cap:
            raise ModelFileError(f"model file metadata {key}={value!r} is out of range ({low} to {cap})")
    if not isinstance(meta["bidirectional"], bool):
        raise ModelFileError(
            f"model file metadata bidirectional={meta['bidirectional']!r} must be true or false"
        )
    return {k: meta[k] for k in ("input_size", "hidden_size", "num_layers", "bidirectional")}


TRAINING_NUMBERS = ("steps", "train_loss", "val_loss", "baseline_loss", "seconds")  # number or null


def _check_extras(meta: dict) -> None:
    """The types of the optional keys that pages read and format, so a loaded model never breaks a page:
    ``task`` a name; ``task_options``, ``encoding``, ``training``, ``source`` objects; ``training``'s losses,
    steps and seconds numbers or null; ``training.history`` a list."""
    task = meta.get("task")
    if task is not None and not isinstance(task, str):
        raise ModelFileError(f"model file metadata task={task!r} must be a task name (a string)")
    for key in ("task_options", "encoding", "training", "source"):
        if key in meta and not isinstance(meta[key], dict):
            raise ModelFileError(
                f"model file metadata {key} must be a JSON object, got {type(meta[key]).__name__}"
            )
    training = meta.get("training", {})
    for key in TRAINING_NUMBERS:
        value = training.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ModelFileError(f"model file metadata training.{key}={value!r} must be a number or null")
    encoding = meta.get("encoding", {})
    columns = encoding.get("columns")
    if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise ModelFileError("model file metadata encoding.columns must be a list of column names")
    for key in ("input_offset", "input_scale"):
        value = encoding.get(key)
        numbers = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
        if value is not None and not numbers:
            raise ModelFileError(f"model file metadata encoding.{key} must be a list of numbers")
    if not isinstance(training.get("history", []), list):
        raise ModelFileError("model file metadata training.history must be a list of rows")


#: how an imported file format reads in a sentence (``meta["source"]["format"]``, from lstm_vault.importers)
IMPORTED_FROM = {"torch state dict": "a torch state dict", "keras npz": "a Keras LSTM's weights (.npz)"}


def imported_from(meta: dict | None) -> str | None:
    """Where an imported model came from, for a sentence: "a torch state dict (module 'rnn')", "a torch
    state dict (its top-level nn.LSTM)", "a Keras LSTM's weights (.npz)"; None for a model this app trained
    (no ``source`` in its meta)."""
    source = (meta or {}).get("source")
    if not isinstance(source, dict):
        return None
    origin = IMPORTED_FROM.get(source.get("format"), "a model file")
    module, kind = source.get("module"), source.get("class")
    if module == TOP_LEVEL:
        origin += f" (its top-level {kind})" if isinstance(kind, str) and kind else ""
    elif isinstance(module, str) and module:
        origin += f" (module {module!r})"
    return origin


def load(file) -> SavedModel:
    """Read a model file (path, bytes, or binary file-like) into the NumPy reference; ModelFileError if bad.

    Checks, in order: size, zip, metadata (version, arch, size caps, the types of the optional keys),
    keys, then each array's header (no pickle, float dtype, shape) before its data, and finiteness.
    """
    data = read_limited(file)
    if not data.startswith(b"PK"):
        what = "a single .npy array" if data.startswith(b"\x93NUMPY") else "something else"
        raise ModelFileError(f"not a model file: expected an .npz (zip) archive, got {what}")
    zip_infos(data)  # corrupt or a zip bomb: refused before a member is read
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _load_zip(zf)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise ModelFileError(f"model file is corrupt or truncated (bad zip archive: {error})") from None


def _load_zip(zf: zipfile.ZipFile) -> SavedModel:
    infos = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise ModelFileError(f"model file has an unexpected member {info.filename!r} (only .npy arrays)")
        infos[info.filename[: -len(".npy")]] = info
    if "meta" not in infos:
        raise ModelFileError("model file has no 'meta' entry (is it an lstm_vault model?)")
    shape, dtype = _member_header(zf, infos["meta"], "meta")
    if int(np.prod(shape)) * dtype.itemsize > MAX_META_BYTES:
        raise ModelFileError(f"model file metadata is too large (over {MAX_META_BYTES} bytes)")
    meta = _parse_meta(_read_member(zf, infos["meta"], "meta"))
    config = _check_structure(meta)
    _check_extras(meta)
    arch = meta["arch"]
    rnn = models.ARCHS[arch](**config)  # float64; its param_shapes() is what the metadata implies
    D, O = 2 if config["bidirectional"] else 1, meta["output_size"]
    expected = dict(rnn.param_shapes())
    expected["readout.weight"] = (O, D * config["hidden_size"])
    expected["readout.bias"] = (O,)
    missing = [k for k in expected if k not in infos]
    unknown = sorted(k for k in infos if k not in expected and k != "meta")
    if missing or unknown:
        raise ModelFileError(
            f"model file keys do not match a {arch} with {config['num_layers']} layer(s)"
            f"{', bidirectional' if config['bidirectional'] else ''}: missing "
            f"{', '.join(missing) or 'none'}; unknown {', '.join(unknown) or 'none'}"
        )
    arrays = {}
    for key, want in expected.items():
        shape, dtype = _member_header(zf, infos[key], key)
        if dtype.kind != "f":
            raise ModelFileError(f"parameter {key} must be float32 or float64, got {dtype}")
        if tuple(shape) != tuple(want):
            raise ModelFileError(
                f"parameter {key}: expected shape {tuple(want)} from the metadata "
                f"({arch}, hidden_size={config['hidden_size']}, input_size={config['input_size']}, "
                f"output_size={O}), got {tuple(shape)}"
            )
        value = _read_member(zf, infos[key], key).astype(np.float64)
        if not np.all(np.isfinite(value)):
            raise ModelFileError(f"parameter {key} holds non-finite values (NaN or inf)")
        arrays[key] = value
    weight, bias = arrays.pop("readout.weight"), arrays.pop("readout.bias")
    rnn.load_params(arrays)
    return SavedModel(rnn, weight, bias, meta)


def load_torch(file, dtype=None):
    """The file as a ``torch_backend.SequenceModel`` (float64 unless ``dtype``), same outputs as ``load``."""
    from lstm_vault.torch_backend import from_reference

    saved = load(file)
    if not saved.has_readout:
        raise ValueError("the model has no read-out (output_size 0); a torch SequenceModel needs one")
    model = from_reference(saved.rnn, saved.readout_weight, saved.readout_bias)
    return model if dtype is None else model.to(dtype)
