"""What a browser needs to step through one layer's trace on its own: :func:`step_payload`.

A page sends this once per input, model and unit; from then on the browser (``pages/common/stepper``)
changes the step without asking Python. Everything a person reads is made here, in Python:

- ``series``: every gate, candidate, cell and hidden value of every unit at every step (the shown unit
  only above the byte cap), as base64 of little-endian float32, (T, U) row-major. Base64 float32 is
  5.3 characters a number; a JSON list of the same float32 values, written shortest, takes about 10, and
  the browser decodes base64 into a ``Float32Array`` faster than it parses a list;
- ``headers``: the step header of each step, "t = 5 · unit 3 · xₜ = 'a'";
- ``readings``: :func:`lstm_vault.explain.readings` of the shown unit at each step, each sentence split
  into runs that alternate plain and bold (even index plain), so the browser writes them as text;
- ``cell``: the drawn cell once, as a template, and per step its labels and fill bars
  (:func:`lstm_vault.figures.drawing.cell_frames`): the drawing stays in one place;
- ``timeline``: which series the browser paints as a strip (h, in [-1, 1]), its colour scale and label;
- ``prediction``: None, or what the model's read-out says at each step (:func:`lstm_vault.predictions.panel`:
  a title, [label, value] rows, sentences, and whether the output is one the model was not trained to
  give), while the cell drawing carries the read-out with its numbers (``y``, ``target``, ``note``,
  ``share`` slots).

Nothing of the data is markup: labels of the input (a character of an uploaded text) are strings that
the browser writes with ``textContent``. ``fingerprint`` changes exactly when the payload does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence

import numpy as np
from plotly.colors import get_colorscale

from . import explain, predictions
from .figures.drawing import TITLES, cell_frames
from .figures.palette import DIVERGING

#: the payload's format; a browser that knows another one shows nothing rather than nonsense
PAYLOAD_VERSION = 1
#: bytes of JSON per view (all units) above which only the shown unit's numbers are sent
MAX_BYTES = 2_000_000
#: a play-through lasts at most this long: a long sequence is played by skipping steps
MAX_PLAY_SECONDS = 20.0
#: the speeds offered, steps a second, and the default
SPEEDS = (1, 2, 5, 10, 20, 50)
DEFAULT_SPEED = 10
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def series_names(arch: str) -> tuple[str, ...]:
    """The per-step quantities sent for ``arch``: the gates and candidate in the trace's order, then the
    states (an RNN has no gates: its pre-activation ``a`` and ``h``)."""
    return {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h"), "rnn": ("a", "h")}[arch]


def encode_f32(values: np.ndarray) -> str:
    """An array as base64 of its little-endian float32 bytes, row-major."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def decode_f32(text: str, shape: tuple[int, ...]) -> np.ndarray:
    """:func:`encode_f32` backwards (what the browser's ``Float32Array`` reads)."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape)


def runs(markdown: str) -> list[str]:
    """A sentence with **bold** parts as runs, plain and bold in turn: "a **b** c" -> ["a ", "b", " c"]."""
    return _BOLD.split(markdown)


def step_header(t: int, unit: int, x_label: str) -> str:
    """The header of step t, as the Step through page has always written it."""
    return f"t = {t} · unit {unit} · x\u209c = {x_label}"


def _colorscale(name: str) -> list[list]:
    """A plotly colour scale as [[position, [r, g, b]], ...], for the browser's timeline strip."""
    out = []
    for pos, color in get_colorscale(name):
        rgb = [int(float(c)) for c in re.findall(r"[\d.]+", color)[:3]]
        out.append([float(pos), rgb])
    return out


def _timeline_label(H: int, unit: int, all_units: bool) -> str:
    what = f"all {H} units (a row each, unit {unit} marked)" if all_units else f"unit {unit}"
    scale = "from −1 (blue) through 0 (white) to 1 (red)"
    return f"Hidden state h of {what} over time, {scale}; the line is step t."


def step_payload(
    lt,
    unit: int,
    *,
    encoding: dict | None = None,
    x_labels: Sequence[str] | None = None,
    readings_fn: Callable[..., list[str]] = explain.readings,
    caption: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_height: int = 420,
    batch: int = 0,
    prediction: predictions.Predictions | None = None,
    shares: Sequence[float] | None = None,
) -> dict:
    """Everything the browser's stepper shows for ``unit`` of one layer and direction (``lt``, a
    :class:`lstm_vault.trace.LayerTrace`), as a JSON-ready dict; see the module docstring for its keys.

    encoding: the task's (``Task.encoding()``) to name one-hot inputs in the header, see
        :func:`lstm_vault.explain.describe_input`;
    x_labels: (T,) how to show x_t instead (characters of a text, say); used as given, as text;
    readings_fn: ``(lt, t, unit) -> list of sentences`` (markdown, only **bold**);
    caption: a line under the readings (markdown, only **bold**), the same at every step;
    max_bytes: above this many bytes of JSON, only the shown unit's numbers are sent, with a ``note``;
    prediction: the model's read-out at every step (:func:`lstm_vault.predictions.predict_steps`), shown
        beside the cell and drawn on it;
    shares: (T,) what the shown unit adds to the drawn output at each step
        (:func:`lstm_vault.predictions.contributions`); None when the shown layer is not the one read out.
    """
    T, _, H = lt.h.shape
    explain.step_values(lt, 0, unit, batch)  # checks unit and batch
    if x_labels is None:
        x_labels = [explain.describe_input(lt.x[t, batch], encoding, 3) for t in range(T)]
        x_texts = (
            None
            if lt.x.shape[-1] == 1
            else [explain.describe_input(lt.x[t, batch], encoding) for t in range(T)]
        )
    else:
        x_labels = [str(label) for label in x_labels]
        x_texts = x_labels
    if len(x_labels) != T:
        raise ValueError(f"{len(x_labels)} input labels for {T} steps")
    readouts = None
    if prediction is not None:
        if prediction.T != T or (shares is not None and len(shares) != T):
            raise ValueError(f"predictions for {prediction.T} steps, a trace of {T}")
        readouts = [
            predictions.readout_labels(prediction, t, None if shares is None else float(shares[t]), unit)
            for t in range(T)
        ]
    frames = cell_frames(
        [explain.step_values(lt, t, unit, batch) for t in range(T)],
        x_texts,
        lt.arch,
        title=f"{TITLES[lt.arch]}, unit {unit}",
        max_height=max_height,
        readouts=readouts,
        fitted=prediction is not None and prediction.fitted,
    )
    body = {
        "version": PAYLOAD_VERSION,
        "arch": lt.arch,
        "T": T,
        "H": H,
        "unit": unit,
        "headers": [step_header(t, unit, x_labels[t]) for t in range(T)],
        "readings": [[runs(s) for s in readings_fn(lt, t, unit)] for t in range(T)],
        "caption": None if caption is None else runs(caption),
        "cell": {
            "svg": frames.svg,
            "text_keys": list(frames.text_keys),
            "fill_keys": list(frames.fill_keys),
            "texts": [list(step) for step in frames.texts],
            "fills": [[v for yh in step for v in yh] for step in frames.fills],  # (T, 2F): y, height, ...
        },
        "play": {"speeds": list(SPEEDS), "speed": DEFAULT_SPEED, "max_seconds": MAX_PLAY_SECONDS},
        "prediction": None if prediction is None else [predictions.panel(prediction, t) for t in range(T)],
    }
    full = _with_series(body, lt, range(H), batch, unit, note=None)
    size = len(json.dumps(full))
    if size <= max_bytes:
        return _sealed(full)
    note = (
        f"Only unit {unit}'s numbers are sent to the browser: all {H} units would take "
        f"{size / 1e6:.1f} MB, above the {max_bytes / 1e6:g} MB a view may take."
    )
    return _sealed(_with_series(body, lt, [unit], batch, unit, note))


def _with_series(body: dict, lt, units: Sequence[int], batch: int, unit: int, note: str | None) -> dict:
    units = list(units)
    series = {}
    for name in series_names(lt.arch):
        values = getattr(lt, name)[:, batch, :]
        series[name] = encode_f32(values[:, units])
    timeline = {
        "series": "h",
        "range": [-1.0, 1.0],
        "colors": _colorscale(DIVERGING),
        "row": units.index(unit),
        "label": _timeline_label(lt.h.shape[-1], unit, len(units) > 1),
    }
    return {**body, "units": units, "series": series, "timeline": timeline, "note": note}


def _sealed(payload: dict) -> dict:
    """The payload with its size (bytes of its JSON) and a fingerprint of its content."""
    text = json.dumps(payload)
    digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return {**payload, "bytes": len(text), "fingerprint": digest}
