"""Your own model: a torch state dict or a Keras LSTM's weights, converted into the one model file format.

Torch (``.pt`` / ``.pth`` written by ``torch.save(module.state_dict(), path)``)::

    state = read_torch_state_dict(uploaded_bytes)          # {name: float64 array}; no code is unpickled
    candidates = find_recurrent_modules(state)             # one per nn.LSTM / GRU / RNN in the file
    saved = to_saved_model(state, candidates[0])           # a modelfile.SavedModel: .rnn, .predict(x)

Keras: :func:`read_keras_npz` reads an ``.npz`` written by three lines (:data:`KERAS_EXPORT_SNIPPET`).
:func:`convert` does either from a file, for the CLI.

Every result goes through ``modelfile.to_bytes`` and ``modelfile.load``, so what a page shows is exactly what
the saved file reloads to. This module imports NumPy only; torch is imported inside the functions that read a
torch file. Refusals are :class:`ModelImportError` (a ValueError) with a message naming what was found.
"""

from __future__ import annotations

import io
import pickle
import re
import struct
import zipfile
import zlib

import numpy as np

from lstm_vault import modelfile, models
from lstm_vault.state_dicts import TORCH_NAMES, Candidate, ModelImportError, find_recurrent_modules, summarize

__all__ = [
    "KERAS_EXPORT_SNIPPET",
    "MAX_FILE_BYTES",
    "NESTED_KEYS",
    "Candidate",
    "ModelImportError",
    "StateDict",
    "convert",
    "find_recurrent_modules",
    "read_keras_npz",
    "read_torch_state_dict",
    "summarize",
    "to_saved_model",
]

MAX_FILE_BYTES = modelfile.MAX_FILE_BYTES  # 64 MB, the model file's own limit
NESTED_KEYS = ("state_dict", "model_state_dict", "model")  # where training checkpoints keep the weights
NONLINEARITIES = ("tanh", "relu")

KERAS_EXPORT_SNIPPET = """\
import numpy as np
kernel, recurrent_kernel, bias = layer.get_weights()  # layer: your keras.layers.LSTM, e.g. model.layers[0]
np.savez("lstm.npz", kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias,
         recurrent_activation=layer.recurrent_activation.__name__)"""


class StateDict(dict):
    """``{name: np.ndarray}`` (floating tensors as float64), plus where in the file it was found."""

    location: str | None = None  # None: the file's top level; else the key it sat under ("model_state_dict")
    note: str = ""  # one sentence for the user when it was nested


# ------------------------------------------------------------------------------------------------
# reading bytes safely


def _read_limited(file, max_bytes: int, what: str) -> bytes:
    """Bytes of a path, bytes-like or binary file-like (an upload), refused past ``max_bytes`` or empty."""
    data = modelfile.read_limited(file, max_bytes, f"the {what}", ModelImportError)
    if not data:
        raise ModelImportError(f"the {what} is empty")
    return data


def _zip_members(data: bytes, max_bytes: int, what: str) -> list[str]:
    """Member names of a zip, refused if it would unpack to over ``max_bytes`` (a zip bomb) or is corrupt."""
    return [info.filename for info in modelfile.zip_infos(data, max_bytes, f"the {what}", ModelImportError)]


# ------------------------------------------------------------------------------------------------
# torch


def _refusal(error: Exception) -> str:
    """A readable account of why torch's weights-only unpickler refused a file."""
    text = str(error)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        name = found[1]
        kind = "a pickled module" if name.startswith("torch.nn.modules.") else "a pickled Python object"
        return (
            f"the file holds {kind} ({name}), not only tensors. Only state dicts are read, with "
            "torch.load(..., weights_only=True), because unpickling an object can run code; nothing in it "
            "was run. Save the weights with torch.save(model.state_dict(), path)"
        )
    return "the file is not a torch file or is corrupt (torch's weights-only reader refused it)"


def _torch_load(data: bytes, max_bytes: int):
    import torch

    if data.startswith(b"PK"):
        names = _zip_members(data, max_bytes, "torch file")
        if not any(name.endswith("data.pkl") for name in names):
            if names and all(name.endswith(".npy") for name in names):
                raise ModelImportError(
                    "this is a NumPy .npz archive, not a torch file: open it as an lstm_vault model file "
                    "or as a Keras export"
                )
            raise ModelImportError(f"this zip archive is not a torch file (it holds {', '.join(names[:6])})")
    elif data.startswith(b"\x80"):  # a bare pickle: torch.save before PyTorch 1.6, or a plain pickle
        raise ModelImportError(
            "this is an old-style torch file (PyTorch before 1.6, or _use_new_zipfile_serialization=False) "
            "or a plain pickle; re-save it with a current torch: "
            "torch.save(torch.load(path, weights_only=True), new_path)"
        )
    else:
        raise ModelImportError(
            f"not a torch file: torch.save writes a zip archive, this starts with {data[:8]!r}"
        )
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as error:
        raise ModelImportError(_refusal(error)) from None
    except (
        RuntimeError,
        EOFError,
        ValueError,
        OverflowError,
        KeyError,
        IndexError,
        TypeError,
        struct.error,
    ) as error:
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise ModelImportError(
            f"the torch file is corrupt or truncated ({type(error).__name__}: {first})"
        ) from None


def _describe(value) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, dict):
        if not value:
            return "an empty dict"
        return f"a dict with keys {', '.join(map(str, list(value)[:8]))}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _to_numpy(key: str, tensor) -> np.ndarray:
    import torch

    if tensor.is_sparse or tensor.is_quantized or tensor.is_complex() or tensor.is_meta:
        raise ModelImportError(
            f"tensor {key!r} is sparse, quantized, complex or has no data: not readable here"
        )
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point():
        return tensor.to(torch.float64).numpy().copy()
    return tensor.numpy().copy()


def read_torch_state_dict(file_or_bytes, max_bytes: int = MAX_FILE_BYTES) -> StateDict:
    """The state dict in a ``torch.save`` file (path, bytes or binary file-like) as NumPy arrays.

    Loaded with ``torch.load(..., weights_only=True, map_location="cpu")`` only, so no pickled code runs.
    The weights may sit at the top level or under one of :data:`NESTED_KEYS` of a training checkpoint
    (``StateDict.location`` and ``.note`` say so). ModelImportError for a pickled module or object, any
    non-tensor entry, a file over ``max_bytes`` (or a zip that would unpack past it), and corrupt bytes.
    """
    import torch

    data = _read_limited(file_or_bytes, max_bytes, "torch file")
    obj = _torch_load(data, max_bytes)
    location = None
    if isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        nested = [k for k in NESTED_KEYS if isinstance(obj.get(k), dict)]
        if not nested:
            others = [f"{k} ({_describe(v)})" for k, v in obj.items() if not isinstance(v, torch.Tensor)]
            raise ModelImportError(
                "the file is not a state dict: it holds non-tensor entries "
                f"{'; '.join(others[:6])}, and no weights under {', '.join(map(repr, NESTED_KEYS))}"
            )
        location = nested[0]
        outer, obj = obj, obj[location]
    if not isinstance(obj, dict) or not obj:
        raise ModelImportError(
            f"the file holds {_describe(obj)}, not a state dict; save one with "
            "torch.save(model.state_dict(), path)"
        )
    where = f"under {location!r}" if location else "in the file"
    keys = [f"{k!r} ({_describe(k)})" for k in obj if not isinstance(k, str)]
    if keys:
        raise ModelImportError(f"the state dict {where} has keys that are not names: {'; '.join(keys[:6])}")
    bad = [f"{k} ({_describe(v)})" for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelImportError(f"the state dict {where} holds non-tensor entries: {'; '.join(bad[:6])}")
    state = StateDict((key, _to_numpy(key, tensor)) for key, tensor in obj.items())
    if location is not None:
        state.location = location
        rest = [str(k) for k in outer if k != location]
        state.note = f"The weights were found under {location!r}" + (
            f" (the file also holds {', '.join(rest[:6])})." if rest else "."
        )
    return state


def to_saved_model(
    state, candidate: Candidate, nonlinearity: str = "tanh", meta: dict | None = None
) -> modelfile.SavedModel:
    """The candidate as a :class:`lstm_vault.modelfile.SavedModel` (float64), its read-out included.

    state: the ``{name: array}`` the candidate was found in; nonlinearity: an ``nn.RNN``'s, confirmed by
    the user (only "tanh" is supported; "relu" is refused); meta: extras for the model file (task, ...).
    No read-out: ``output_size`` 0 (``SavedModel.has_readout`` False). bias=False: zero biases.
    """
    if candidate.problem:
        raise ModelImportError(candidate.problem)
    if candidate.arch == "rnn":
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        if nonlinearity == "relu":
            raise ModelImportError(
                "an nn.RNN with nonlinearity='relu' is not supported: this app's RNN is the tanh RNN"
            )
    rnn = models.ARCHS[candidate.arch](
        candidate.input_size, candidate.hidden_size, candidate.num_layers, candidate.bidirectional
    )
    params = {}
    for name, shape in rnn.param_shapes().items():
        key = candidate.prefix + name
        if key in state:
            params[name] = np.asarray(state[key], dtype=np.float64)
        elif name.startswith("bias_") and not candidate.bias:
            params[name] = np.zeros(shape)
        else:
            raise ModelImportError(f"{key} is missing from the state dict ({candidate.label})")
    try:
        rnn.load_params(params)
    except ValueError as error:
        raise ModelImportError(f"{candidate.name}: {error}") from None
    width = (2 if candidate.bidirectional else 1) * candidate.hidden_size
    weight, bias = np.zeros((0, width)), np.zeros(0)
    if candidate.readout is not None:
        weight = np.asarray(state[candidate.readout + "weight"], dtype=np.float64)
        bias = np.asarray(state.get(candidate.readout + "bias", np.zeros(weight.shape[0])), dtype=np.float64)
        if not (np.all(np.isfinite(weight)) and np.all(np.isfinite(bias))):
            raise ModelImportError(f"the read-out {candidate.readout}weight or bias holds NaN or inf")
    source = {
        "format": "torch state dict",
        "module": candidate.name,
        "class": TORCH_NAMES[candidate.arch],
        "bias": candidate.bias,
        "readout": None if candidate.readout is None else candidate.readout.rstrip(".") or "(top level)",
        "found_under": getattr(state, "location", None),
    }
    if candidate.arch == "rnn":
        source["nonlinearity"] = nonlinearity
    return _through_file(rnn, weight, bias, {"source": source, **(meta or {})})


def _through_file(rnn, weight, bias, meta):
    try:
        data = modelfile.to_bytes(rnn, weight, bias, meta)
    except ValueError as error:  # a meta that contradicts the model, a read-out of the wrong width
        raise ModelImportError(str(error)) from None
    return modelfile.load(data)


# ------------------------------------------------------------------------------------------------
# Keras

KERAS_MEMBERS = ("kernel", "recurrent_kernel", "bias", "recurrent_activation", "activation")
KERAS_DENSE = ("dense_kernel", "dense_bias")  # optional: a Dense read-out, kernel (H, O) and bias (O,)


def read_keras_npz(file, meta: dict | None = None, max_bytes: int = MAX_FILE_BYTES) -> modelfile.SavedModel:
    """A Keras LSTM's weights (``.npz``, :data:`KERAS_EXPORT_SNIPPET`) as a ``SavedModel`` in torch's layout.

    Keras computes ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` (I, 4H), (H, 4H), (4H,) and
    splits z into i, f, c, o: the same order as torch's i, f, g, o (c is torch's candidate g), so
    ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``, ``bias_ih = bias``, ``bias_hh = 0``.
    Optional members: ``recurrent_activation`` ("sigmoid"; "hard_sigmoid" is refused), ``activation``
    ("tanh"), ``bias`` (absent: use_bias=False), ``dense_kernel`` (H, O) and ``dense_bias`` (O,).
    """
    data = _read_limited(file, max_bytes, "Keras .npz file")
    if not data.startswith(b"PK"):
        raise ModelImportError("not an .npz archive: save the weights with np.savez (see the export snippet)")
    _zip_members(data, max_bytes, "Keras .npz file")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ModelImportError(
            f"the .npz cannot be read without unpickling or is corrupt ({error})"
        ) from None
    unknown = sorted(set(arrays) - set(KERAS_MEMBERS) - set(KERAS_DENSE))
    if unknown or "kernel" not in arrays or "recurrent_kernel" not in arrays:
        raise ModelImportError(
            "a Keras LSTM export holds kernel, recurrent_kernel and bias (and optionally "
            f"recurrent_activation); this file holds {summarize(arrays)}"
        )
    for field, want in (("recurrent_activation", "sigmoid"), ("activation", "tanh")):
        if field in arrays:
            got = str(arrays[field].reshape(-1)[0]) if arrays[field].size else ""
            if got != want:
                extra = " (a piecewise-linear gate, not the sigmoid)" if got == "hard_sigmoid" else ""
                raise ModelImportError(
                    f"{field}={got!r}{extra} is not supported: this app's LSTM uses {field}={want!r}"
                )
    kernel, recurrent = arrays["kernel"], arrays["recurrent_kernel"]
    if kernel.dtype.kind != "f" or recurrent.dtype.kind != "f" or recurrent.ndim != 2 or kernel.ndim != 2:
        raise ModelImportError(f"kernel and recurrent_kernel must be 2-D floats; found {summarize(arrays)}")
    H = recurrent.shape[0]
    I = kernel.shape[0]
    bias = arrays.get("bias", np.zeros(4 * H))
    if recurrent.shape != (H, 4 * H) or kernel.shape != (I, 4 * H) or bias.shape != (4 * H,):
        raise ModelImportError(
            f"shapes do not fit a Keras LSTM (kernel (I, 4H), recurrent_kernel (H, 4H), bias (4H,)): "
            f"found {summarize(arrays)}"
        )
    if H > models.MAX_HIDDEN:
        raise ModelImportError(f"hidden size {H} is over this app's limit of {models.MAX_HIDDEN}")
    rnn = models.LSTM(I, H)
    try:
        rnn.load_params(
            {
                "weight_ih_l0": kernel.T.astype(np.float64),
                "weight_hh_l0": recurrent.T.astype(np.float64),
                "bias_ih_l0": bias.astype(np.float64),
                "bias_hh_l0": np.zeros(4 * H),
            }
        )
    except ValueError as error:
        raise ModelImportError(str(error)) from None
    weight, out_bias = np.zeros((0, H)), np.zeros(0)
    if "dense_kernel" in arrays:
        dense = np.asarray(arrays["dense_kernel"], dtype=np.float64)
        if dense.ndim != 2 or dense.shape[0] != H:
            raise ModelImportError(f"dense_kernel must be (H, O) = ({H}, O), got {dense.shape}")
        weight = dense.T
        out_bias = np.asarray(arrays.get("dense_bias", np.zeros(dense.shape[1])), dtype=np.float64)
    source = {
        "format": "keras npz",
        "recurrent_activation": "sigmoid",
        "readout": "dense" if len(weight) else None,
    }
    return _through_file(rnn, weight, out_bias, {"source": source, **(meta or {})})


# ------------------------------------------------------------------------------------------------
# one call for the CLI


def convert(
    file, module: str | None = None, nonlinearity: str | None = None, meta: dict | None = None
) -> modelfile.SavedModel:
    """A torch state dict file or a Keras ``.npz`` (told apart by content) -> ``SavedModel``.

    module: which recurrent module of a torch file ("encoder.lstm"); needed when it holds several.
    nonlinearity: an nn.RNN's, which its weights cannot tell; needed for an RNN ("tanh"; "relu" is refused).
    """
    data = _read_limited(file, MAX_FILE_BYTES, "file")
    if data.startswith(b"PK"):
        names = _zip_members(data, MAX_FILE_BYTES, "file")
        if names and all(name.endswith(".npy") for name in names):
            return read_keras_npz(data, meta=meta)
    state = read_torch_state_dict(data)
    candidates = find_recurrent_modules(state)
    if module is not None:
        chosen = [c for c in candidates if c.name == module.rstrip(".") or c.prefix == module]
        if not chosen:
            raise ModelImportError(
                f"no recurrent module {module!r}; found {', '.join(c.name for c in candidates)}"
            )
    else:
        chosen = candidates
    if len(chosen) > 1:
        raise ModelImportError(
            "the file holds several recurrent modules; choose one: " + "; ".join(c.label for c in chosen)
        )
    candidate = chosen[0]
    if candidate.ask_nonlinearity and nonlinearity is None:
        raise ModelImportError(
            f"{candidate.name} is an nn.RNN: its nonlinearity (tanh or relu) cannot be told from its "
            "weights; say which"
        )
    return to_saved_model(state, candidate, nonlinearity or "tanh", meta)
