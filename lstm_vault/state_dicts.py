"""Find the recurrent modules in a torch state dict from tensor names and shapes alone (NumPy only).

A state dict is a flat ``{name: array}`` map. A ``torch.nn.LSTM`` / ``GRU`` / ``RNN`` registered as
``encoder.lstm`` stores ``encoder.lstm.weight_ih_l0`` (G*H, I), ``...weight_hh_l0`` (G*H, H),
``...bias_ih_l0`` and ``...bias_hh_l0`` (G*H,), one set per layer ``l`` and, when bidirectional, per
``_reverse`` direction (shape letters as in :mod:`lstm_vault.cells`). From those the architecture follows:

- G = rows of ``weight_hh_l0`` / its columns: 4 LSTM (i, f, g, o), 3 GRU (r, z, n), 1 RNN;
- I = columns of ``weight_ih_l0``, H = columns of ``weight_hh_l0``, L = how many ``_l<k>``, D = 2 with
  ``_reverse``; no ``bias_*`` at all is torch's ``bias=False``; ``weight_hr_l<k>`` is an LSTM's ``proj_size``.

What the weights cannot tell: ``batch_first`` (it changes no weight; the converted model reads (T, B, I))
and an ``nn.RNN``'s ``nonlinearity`` (tanh and relu have the same parameters), which the user must confirm.

A read-out is a single Linear (``<p>weight`` (O, D*H), optional ``<p>bias`` (O,)) whose input is the
top layer's output h_t; a Linear whose output feeds another Linear is a deeper head, and then the model
has no read-out here (the note says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lstm_vault import models

TOP_LEVEL = "(top level)"  # the name of a module that is the whole state dict (a bare nn.LSTM, GRU or RNN)

MAX_IO_SIZE = 100_000  # as modelfile.MAX_IO_SIZE (not imported: modelfile imports nothing from here)
ARCH_BY_BLOCKS = {4: "lstm", 3: "gru", 1: "rnn"}
TORCH_NAMES = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}
_RECURRENT_KEY = re.compile(
    r"^(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)"
    r"(?P<rev>_reverse)?$"
)
_CELL_KEY = re.compile(r"^(?:.*\.)?weight_ih$")  # nn.LSTMCell / GRUCell / RNNCell: no _l<k>


class ModelImportError(ValueError):
    """A file or state dict that cannot become an lstm_vault model; the message says what was found."""


@dataclass(frozen=True)
class Linear:
    """A 2-D ``<prefix>weight`` (O, N) outside the recurrent modules, with its optional ``<prefix>bias``."""

    prefix: str  # "head." ("" for a bare Linear's own state dict)
    out_features: int  # O
    in_features: int  # N
    has_bias: bool
    position: int  # index of its weight among the state dict's keys (modules are saved in order)

    @property
    def name(self) -> str:
        return self.prefix.rstrip(".") or TOP_LEVEL


@dataclass(frozen=True)
class Candidate:
    """One recurrent module found in a state dict, with what its weights say about it."""

    prefix: str  # "" or "encoder.lstm." : the start of its keys
    arch: str  # "lstm", "gru" or "rnn", from the gate count G
    input_size: int  # I: columns of weight_ih_l0
    hidden_size: int  # H: columns of weight_hh_l0 (of weight_hr_l0 with a projection)
    num_layers: int  # L
    bidirectional: bool  # _reverse keys present
    bias: bool  # False: no bias_* keys (torch's bias=False); converted with zero biases
    proj_size: int  # > 0: rows of weight_hr_l0; refused (``problem`` says so)
    ask_nonlinearity: bool  # True for an RNN: tanh or relu cannot be told from weights; the user confirms
    readout: str | None  # prefix of the read-out Linear ("head."), None when there is none
    output_size: int  # O of the read-out; 0 without one
    readout_summary: str  # a few words for a table: "head: a Linear from 10 to 3", "none: a deeper head ..."
    keys: tuple[str, ...]  # the recurrent module's own keys, in file order
    problem: str | None  # why it cannot be converted; None when it can
    note: str  # plain-language account: what was found, the read-out or why none, unused tensors

    @property
    def name(self) -> str:
        """The module's path in the owner model ("encoder.lstm"), or "(top level)"."""
        return self.prefix.rstrip(".") or TOP_LEVEL

    @property
    def label(self) -> str:
        """One line for a picker, e.g. ``encoder.lstm: nn.LSTM, I=3, H=16, 2 layers, no read-out``."""
        parts = [f"{self.name}: {TORCH_NAMES[self.arch]}", f"I={self.input_size}", f"H={self.hidden_size}"]
        parts.append(f"{self.num_layers} layer{'s' if self.num_layers > 1 else ''}")
        if self.bidirectional:
            parts.append("bidirectional")
        if not self.bias:
            parts.append("bias=False")
        if self.proj_size:
            parts.append(f"proj_size={self.proj_size}")
        if self.readout is None:
            parts.append("no read-out")
        else:
            parts.append(f"read-out {self.readout.rstrip('.') or '(top level)'} (O={self.output_size})")
        return ", ".join(parts) + (" (cannot be converted)" if self.problem else "")


def summarize(state, limit: int = 8) -> str:
    """``"12 tensors: a (4, 3), b (4,), ... and 4 more"``: the keys and shapes a message names."""
    items = [f"{k} {tuple(np.shape(v))}" for k, v in list(state.items())[:limit]]
    more = len(state) - limit
    return (
        f"{len(state)} tensor{'s' if len(state) != 1 else ''}: "
        + ", ".join(items)
        + (f" and {more} more" if more > 0 else "")
    )


def _looks_like(state) -> str:
    """A guess at what a state dict without a recurrent module holds, for the refusal message."""
    keys = list(state)
    attention = [k for k in keys if "self_attn" in k or "in_proj_weight" in k or "attention" in k.lower()]
    if attention:
        return f"it looks like a transformer (attention weights such as {attention[0]!r})"
    cells = [k for k in keys if _CELL_KEY.match(k)]
    if cells:
        return (
            f"it holds a recurrent cell ({cells[0]!r}: nn.LSTMCell, GRUCell or RNNCell, stepped by your own "
            "loop); save the weights of an nn.LSTM / nn.GRU / nn.RNN instead"
        )
    if any(np.ndim(v) >= 3 for v in state.values()):
        return "it looks like a convolutional network (weights with 3 or more dimensions)"
    if any(np.ndim(v) == 2 for v in state.values()):
        return "it holds only 2-D weights and vectors, like a feed-forward network of Linear layers"
    return "it holds no weight matrices at all"


def find_recurrent_modules(state) -> list[Candidate]:
    """Every recurrent module in ``state`` ({name: array}), in file order; ModelImportError if there is none.

    A candidate that cannot be converted (``proj_size``, mismatched shapes, missing layers) is still listed,
    with ``problem`` saying why, so the user sees what the file holds.
    """
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        m = _RECURRENT_KEY.match(key)
        if m and np.ndim(value) in (1, 2):
            groups.setdefault(m["prefix"], {})[key[len(m["prefix"]) :]] = np.asarray(value)
    if not groups:
        raise ModelImportError(
            "no recurrent module (nn.LSTM, nn.GRU or nn.RNN, whose weights are named weight_ih_l0 and "
            f"weight_hh_l0) in this state dict: {_looks_like(state)}. Found {summarize(state)}"
        )
    recurrent = {prefix + local for prefix, params in groups.items() for local in params}
    linears = _linears(state, recurrent)
    order = {key: i for i, key in enumerate(state)}
    shapes = {prefix: _inspect(prefix, params) for prefix, params in groups.items()}
    owners, shared = _assign_linears(shapes, linears, groups, order)
    candidates = []
    for prefix, params in groups.items():
        fields = shapes[prefix]
        keys = tuple(sorted((prefix + local for local in params), key=order.get))
        readout, output_size, readout_note, readout_summary = _readout(
            fields, owners.get(prefix, []), linears
        )
        readout_note += "".join(f" {why}" for key, why in shared if key == prefix)
        used = set(keys) | ({readout + "weight", readout + "bias"} if readout is not None else set())
        unused = {k: v for k, v in state.items() if k not in used}
        note = " ".join(
            s
            for s in (
                fields.pop("found"),
                readout_note,
                "An nn.RNN's nonlinearity (tanh or relu) cannot be told from its weights: say which."
                if fields["arch"] == "rnn"
                else "",
                f"Not used: {summarize(unused, limit=6)}." if unused else "",
            )
            if s
        )
        candidates.append(
            Candidate(
                prefix=prefix,
                readout=readout,
                output_size=output_size,
                readout_summary=readout_summary,
                keys=keys,
                note=note,
                ask_nonlinearity=fields["arch"] == "rnn",
                **fields,
            )
        )
    return candidates


def _inspect(prefix: str, params: dict[str, np.ndarray]) -> dict:
    """The Candidate fields that the module's own keys determine (plus "found", the note's first sentence)."""
    where = f"the module {prefix.rstrip('.')}" if prefix else "the module at the top level"
    layers = sorted({int(_RECURRENT_KEY.match(k)["layer"]) for k in params})
    L, D = len(layers), 2 if any(k.endswith("_reverse") for k in params) else 1
    ih, hh = params.get("weight_ih_l0"), params.get("weight_hh_l0")
    I = ih.shape[1] if ih is not None and ih.ndim == 2 else 0
    proj = params.get("weight_hr_l0")
    if proj is not None and proj.ndim == 2:
        H, P = proj.shape[1], proj.shape[0]
    else:
        H, P = (hh.shape[1] if hh is not None and hh.ndim == 2 else 0), 0
    G = hh.shape[0] // H if hh is not None and hh.ndim == 2 and H and hh.shape[0] % H == 0 else 0
    arch = "lstm" if P else ARCH_BY_BLOCKS.get(G, "lstm")
    has_bias = any(k.startswith("bias_") for k in params)
    fields = dict(
        arch=arch,
        input_size=I,
        hidden_size=H,
        num_layers=L,
        bidirectional=D == 2,
        bias=has_bias,
        proj_size=P,
        problem=None,
    )

    def refuse(problem: str) -> dict:
        return fields | {"problem": f"{where}: {problem}", "found": f"Recurrent weights in {where}."}

    if layers != list(range(L)):
        return refuse(f"the layers found are {layers}; a torch module numbers them 0 to {L - 1} without gaps")
    if ih is None or hh is None:
        return refuse("weight_ih_l0 and weight_hh_l0 are both needed; found " + ", ".join(params))
    if P:
        return refuse(
            f"an LSTM with proj_size={P} (weight_hr_l0 has shape {proj.shape}): projections are not "
            "supported; save an nn.LSTM without proj_size"
        )
    if G not in ARCH_BY_BLOCKS:
        return refuse(
            f"weight_hh_l0 has shape {hh.shape}: its rows are not 4, 3 or 1 times its columns "
            "(LSTM, GRU, RNN), so the architecture cannot be told"
        )
    for layer in range(L):
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            want = {
                "weight_ih" + sfx: (G * H, I if layer == 0 else D * H),
                "weight_hh" + sfx: (G * H, H),
            }
            if has_bias:
                want |= {"bias_ih" + sfx: (G * H,), "bias_hh" + sfx: (G * H,)}
            for name, shape in want.items():
                found = params.get(name)
                if found is None:
                    return refuse(f"{name} is missing (expected shape {shape} for a {L}-layer {arch})")
                if found.shape != shape:
                    return refuse(f"{name} has shape {found.shape}; a {arch} of this size needs {shape}")
                if found.dtype.kind != "f":
                    return refuse(f"{name} holds {found.dtype} values, not floating-point weights")
    caps = {
        "hidden size": (H, models.MAX_HIDDEN),
        "layers": (L, models.MAX_LAYERS),
        "input size": (I, MAX_IO_SIZE),
    }
    for what, (value, cap) in caps.items():
        if value > cap:
            return refuse(f"{what} {value} is over this app's limit of {cap}")
    shape = f"input size {I}, hidden size {H}, {L} layer{'s' if L > 1 else ''}"
    shape += ", bidirectional" if D == 2 else ""
    found = f"{where[0].upper()}{where[1:]} is an {TORCH_NAMES[arch]}: {shape}."
    if not has_bias:
        found += " It has no biases (bias=False): converted with zero biases, which computes the same."
    return fields | {"found": found}


def _linears(state, recurrent: set[str]) -> list[Linear]:
    """The 2-D ``*weight`` tensors outside the recurrent modules that are not embeddings."""
    found = []
    for i, (key, value) in enumerate(state.items()):
        if key in recurrent or not (key == "weight" or key.endswith(".weight")) or np.ndim(value) != 2:
            continue
        prefix = key[: -len("weight")]
        if "emb" in prefix.lower() or np.asarray(value).dtype.kind != "f":
            continue
        O, N = np.shape(value)
        bias = state.get(prefix + "bias")
        found.append(Linear(prefix, O, N, bias is not None and np.shape(bias) == (O,), i))
    return found


def _assign_linears(shapes: dict, linears: list[Linear], groups: dict, order: dict):
    """({prefix: Linears that read its output}, [(prefix, sentence)] for Linears that fit several modules).

    A Linear that fits several modules (equal D*H) goes to the one saved closest before it (torch saves
    modules in the order they were registered), and each module it fits is told so.
    """
    owners: dict[str, list[Linear]] = {}
    shared: list[tuple[str, str]] = []
    for lin in linears:
        fits = [
            p
            for p, f in shapes.items()
            if f["problem"] is None and lin.in_features == (2 if f["bidirectional"] else 1) * f["hidden_size"]
        ]
        if not fits:
            continue
        last = {p: max(order[p + local] for local in groups[p]) for p in fits}
        before = [p for p in fits if last[p] < lin.position]
        owner = max(before, key=last.get) if before else fits[0]
        owners.setdefault(owner, []).append(lin)
        if len(fits) > 1:
            how = "the nearest module saved before it" if before else "the first module it fits"
            why = f"{lin.name} fits {len(fits)} modules and is taken to read {owner.rstrip('.')}, {how}."
            shared.extend((p, why) for p in fits)
    return owners, shared


def _readout(fields: dict, own: list[Linear], linears: list[Linear]):
    """(read-out prefix or None, O, the note's sentence about it, a few words for a table)."""
    if fields["problem"] is not None:
        return None, 0, "", "none (the module cannot be converted)"
    width = (2 if fields["bidirectional"] else 1) * fields["hidden_size"]
    if not own:
        why = f"No Linear in the file is taken to read its output (D·H = {width} values per step)"
        return None, 0, why + ", so it is shown without a read-out.", "none: no Linear reads its output"
    if len(own) > 1:
        names = ", ".join(lin.name for lin in own)
        why = f"Several Linears read its output ({names}): which one is the read-out cannot be told"
        return (
            None,
            0,
            why + ", so it is shown without one.",
            f"none: several Linears read its output ({names})",
        )
    lin = own[0]
    after = [other for other in linears if other is not lin and other.in_features == lin.out_features]
    if after:
        head = f"{lin.name} {(lin.out_features, lin.in_features)} then {after[0].name} "
        head += f"{(after[0].out_features, after[0].in_features)}"
        why = (
            f"Its output goes into a deeper head ({head}); only a single Linear can be drawn as the read-out"
        )
        return None, 0, why + ", so it is shown without one.", f"none: a deeper head ({head})"
    if lin.out_features > MAX_IO_SIZE:
        why = f"{lin.name} has {lin.out_features} outputs, over the limit of {MAX_IO_SIZE}."
        return None, 0, why, f"none: {lin.name} has too many outputs ({lin.out_features})"
    bias = "" if lin.has_bias else " (no bias: zero)"
    note = f"Read-out: {lin.name}, a Linear from its {width} outputs to {lin.out_features}{bias}."
    return (
        lin.prefix,
        lin.out_features,
        note,
        f"{lin.name}: a Linear from {width} to {lin.out_features}{bias}",
    )
