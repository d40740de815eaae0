"""Your own model: a torch state dict or a Keras LSTM's weights, converted into the one model file format.

Torch (``.pt`` / ``.pth`` written by ``torch.save(module.state_dict(), path)``)::

    state = read_torch_state_dict(uploaded_bytes)          # {name: float64 array}; no code is unpickled
    candidates = find_recurrent_modules(state)             # one per nn.LSTM / GRU / RNN in the file
    saved = to_saved_model(state, candidates[0])           # a modelfile.SavedModel: .rnn, .predict(x)

Keras: :func:`read_keras_npz` reads an ``.npz`` written by three lines (:data:`KERAS_EXPORT_SNIPPET`;
the conversion itself is ``lstm_vault.keras_weights``).

Any file, told apart by content (an lstm_vault model file, a torch state dict, a Keras export), for the
upload panel and the CLI::

    found = inspect_file(uploaded_bytes)        # Inspection: kind, candidates, what must be asked
    saved = found.build(module="encoder.lstm", nonlinearity="tanh")   # the user's answers
    saved = convert(path, ...)                  # both at once (the CLI's ``convert``)

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
from dataclasses import dataclass

import numpy as np

from lstm_vault import modelfile, models
from lstm_vault.cells import GATES
from lstm_vault.keras_weights import (
    KERAS_EXPORT_SNIPPET,
    RECURRENT_ACTIVATIONS,
    keras_arrays,
    keras_facts,
    keras_model,
)
from lstm_vault.state_dicts import (
    ARCH_BY_BLOCKS,
    TOP_LEVEL,
    TORCH_NAMES,
    Candidate,
    ModelImportError,
    find_recurrent_modules,
    summarize,
)

__all__ = [
    "KERAS_EXPORT_SNIPPET",
    "MAX_FILE_BYTES",
    "RECURRENT_ACTIVATIONS",
    "NESTED_KEYS",
    "Candidate",
    "Inspection",
    "ModelImportError",
    "StateDict",
    "UNREADABLE",
    "convert",
    "find_recurrent_modules",
    "inspect_file",
    "read_keras_npz",
    "read_torch_state_dict",
    "summarize",
    "to_saved_model",
]

MAX_FILE_BYTES = modelfile.MAX_FILE_BYTES  # 64 MB, the model file's own limit
# what parsing odd bytes can still raise (zip, numpy and pickle readers) beyond ModelImportError and
# ModelFileError: the page and the CLI name it as "could not read this file" rather than break
UNREADABLE = (
    ValueError, OSError, EOFError, RuntimeError, NotImplementedError, KeyError, IndexError, TypeError,
    struct.error, zipfile.BadZipFile, zlib.error,
)  # fmt: skip
NESTED_KEYS = ("state_dict", "model_state_dict", "model")  # where training checkpoints keep the weights
NONLINEARITIES = ("tanh", "relu")


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
        "readout": None if candidate.readout is None else candidate.readout.rstrip(".") or TOP_LEVEL,
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


def read_keras_npz(
    file, meta: dict | None = None, max_bytes: int = MAX_FILE_BYTES, recurrent_activation: str | None = None
) -> modelfile.SavedModel:
    """A Keras LSTM's weights (``.npz``, :data:`KERAS_EXPORT_SNIPPET`) as a ``SavedModel`` in torch's layout.

    Keras computes ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` (I, 4H), (H, 4H), (4H,) and
    splits z into i, f, c, o: the same order as torch's i, f, g, o (c is torch's candidate g), so
    ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``, ``bias_ih = bias``, ``bias_hh = 0``.
    Optional members: ``recurrent_activation`` ("sigmoid"; "hard_sigmoid" is refused), ``activation``
    ("tanh"), ``bias`` (absent: use_bias=False), ``dense_kernel`` (H, O) and ``dense_bias`` (O,).
    recurrent_activation: the user's answer when the file does not record it (the weights cannot tell);
    with neither, ModelImportError asks for it.
    """
    data = _read_limited(file, max_bytes, "Keras .npz file")
    arrays, recorded = keras_arrays(data, max_bytes)
    return _keras_saved(arrays, recorded, recurrent_activation, meta)


def _keras_saved(arrays: dict, recorded: str | None, answer: str | None, meta: dict | None):
    rnn, weight, bias, source = keras_model(arrays, recorded, answer)
    return _through_file(rnn, weight, bias, {"source": source, **(meta or {})})


# ------------------------------------------------------------------------------------------------
# any file: what it is, what the user must confirm, then the model


@dataclass(frozen=True)
class Inspection:
    """What a file is, before the user confirms what its weights cannot tell (:func:`inspect_file`).

    kind "model": an lstm_vault model file, ``saved`` is the model (nothing to confirm); "torch": a state
    dict, ``state`` and every recurrent module in it (``candidates``, unconvertible ones included with
    their ``problem``); "keras": a Keras LSTM's checked ``arrays`` and the ``recurrent_activation`` the file
    records (None: the user is asked).
    """

    kind: str
    saved: modelfile.SavedModel | None = None
    state: StateDict | None = None
    candidates: tuple[Candidate, ...] = ()
    arrays: dict | None = None
    recurrent_activation: str | None = None

    @property
    def convertible(self) -> tuple[Candidate, ...]:
        """The recurrent modules that can become a model (no ``problem``)."""
        return tuple(c for c in self.candidates if c.problem is None)

    @property
    def problems(self) -> tuple[str, ...]:
        """Why each of the other recurrent modules cannot be converted."""
        return tuple(c.problem for c in self.candidates if c.problem is not None)

    @property
    def asks_nonlinearity(self) -> bool:
        """An nn.RNN is among the modules: its tanh or relu must be confirmed."""
        return any(c.ask_nonlinearity for c in self.convertible)

    @property
    def asks_recurrent_activation(self) -> bool:
        """A Keras export that does not record its recurrent_activation: sigmoid or hard_sigmoid is asked."""
        return self.kind == "keras" and self.recurrent_activation is None

    def facts(self, candidate: Candidate | None = None) -> list[tuple[str, str]]:
        """(what, value) rows for the confirm form: what the weights say about ``candidate`` (torch) or
        the Keras LSTM. Every value is read from the file's shapes and names."""
        if self.kind == "keras":
            return keras_facts(self.arrays, self.recurrent_activation)
        if self.kind != "torch" or candidate is None:
            raise ValueError("facts: a torch file's candidate, or a Keras file")
        c, D = candidate, 2 if candidate.bidirectional else 1
        G = {arch: blocks for blocks, arch in ARCH_BY_BLOCKS.items()}[c.arch]
        gates = ", ".join(GATES[c.arch]) or "no gates"  # LSTM i, f, g, o: three gates and the candidate g
        return [
            ("Module", c.name),
            (
                "Architecture",
                f"{TORCH_NAMES[c.arch]}: weight_hh_l0 has {G * c.hidden_size} = {G} × {c.hidden_size} rows, "
                f"{G} block{'s' if G > 1 else ''} ({gates})",
            ),
            ("Input size", f"{c.input_size} {_numbers(c.input_size)} per step (columns of weight_ih_l0)"),
            ("Hidden size", str(c.hidden_size)),
            ("Layers", str(c.num_layers)),
            (
                "Bidirectional",
                f"yes: _reverse weights, D·H = {D * c.hidden_size} outputs" if D == 2 else "no",
            ),
            ("Bias", "yes" if c.bias else "no (bias=False): converted with zero biases, the same outputs"),
            ("Read-out", c.readout_summary),
        ]

    def pick(self, module: str | None = None) -> Candidate:
        """The recurrent module named ``module`` ("encoder.lstm"), or the only convertible one."""
        if module is not None:
            chosen = [c for c in self.candidates if c.name == module.rstrip(".") or c.prefix == module]
            if not chosen:
                found = ", ".join(c.name for c in self.candidates)
                raise ModelImportError(f"no recurrent module {module!r}; found {found}")
            if chosen[0].problem:
                raise ModelImportError(chosen[0].problem)
            return chosen[0]
        if len(self.convertible) > 1:
            raise ModelImportError(
                "the file holds several recurrent modules; choose one: "
                + "; ".join(c.label for c in self.convertible)
            )
        return self.convertible[0]

    def build(
        self,
        module: str | None = None,
        nonlinearity: str | None = None,
        recurrent_activation: str | None = None,
        meta: dict | None = None,
    ) -> modelfile.SavedModel:
        """The model, with the user's answers: which ``module`` (torch, when several), an nn.RNN's
        ``nonlinearity`` ("tanh"; "relu" is refused), a Keras ``recurrent_activation`` the file does not
        record ("sigmoid"; "hard_sigmoid" is refused). ModelImportError names a missing or refused answer."""
        if self.kind == "model":
            return self.saved
        if self.kind == "keras":
            return _keras_saved(self.arrays, self.recurrent_activation, recurrent_activation, meta)
        candidate = self.pick(module)
        if candidate.ask_nonlinearity and nonlinearity is None:
            raise ModelImportError(
                f"{candidate.name} is an nn.RNN: its nonlinearity (tanh or relu) cannot be told from its "
                "weights; say which"
            )
        return to_saved_model(self.state, candidate, nonlinearity or "tanh", meta)


def _numbers(n: int) -> str:
    return "number" if n == 1 else "numbers"


def inspect_file(file, max_bytes: int = MAX_FILE_BYTES) -> Inspection:
    """What a file (path, bytes or binary file-like) holds, told apart by its content, not its name.

    An ``.npz`` with a ``meta`` member is an lstm_vault model file (``modelfile.load``: ModelFileError if
    bad); one with a ``kernel`` is a Keras export; any other zip is read as a torch file. ModelImportError
    (naming what was found) for anything else, and for a torch file with no convertible recurrent module.
    """
    data = _read_limited(file, max_bytes, "file")
    if data.startswith(b"PK"):
        names = _zip_members(data, max_bytes, "file")
        if names and all(name.endswith(".npy") for name in names):
            members = {name[: -len(".npy")] for name in names}
            if "meta" in members:
                return Inspection("model", saved=modelfile.load(data))
            if "kernel" in members:
                arrays, recorded = keras_arrays(data, max_bytes)
                return Inspection("keras", arrays=arrays, recurrent_activation=recorded)
            raise ModelImportError(
                "this .npz is neither an lstm_vault model file (it has no meta) nor a Keras LSTM export "
                f"(no kernel): it holds {', '.join(sorted(members)[:8])}"
            )
    elif not data.startswith(b"\x80"):  # \x80: a bare pickle, which the torch reader names
        what = "a single .npy array" if data.startswith(b"\x93NUMPY") else f"bytes starting {data[:8]!r}"
        raise ModelImportError(
            "not a model file, torch state dict or Keras export (all three are zip archives): "
            f"this file holds {what}"
        )
    state = read_torch_state_dict(data, max_bytes)
    candidates = tuple(find_recurrent_modules(state))
    found = Inspection("torch", state=state, candidates=candidates)
    if not found.convertible:
        raise ModelImportError(" ".join(found.problems))
    return found


def convert(
    file,
    module: str | None = None,
    nonlinearity: str | None = None,
    meta: dict | None = None,
    recurrent_activation: str | None = None,
) -> modelfile.SavedModel:
    """A torch state dict file or a Keras ``.npz`` (told apart by content) -> ``SavedModel``:
    :func:`inspect_file`, then :meth:`Inspection.build` with the answers the weights cannot give."""
    return inspect_file(file).build(module, nonlinearity, recurrent_activation, meta)
