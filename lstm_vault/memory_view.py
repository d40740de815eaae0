"""What the Reading the memory page shows, made without streamlit: a model's trace over held-out text or
a series, its units ranked against the features, the sentences that read them, and the browser payload.

Pieces (each a test can call)::

    text = held_out_text("python", 2000)                      # from the part training never saw
    view = text_view(saved, text, source="python")            # trace, features, ranked units
    payload = text_payload(view.layer_trace, text, unit=3)    # for pages/common/memory_text.py
    feature_rows(view.matches)                                # best unit per feature, or "none found"

The payload carries every quantity of every unit (float32, base64) once, so the browser recolours the text
for another unit or quantity with no script run; above ``max_bytes`` only as many units as fit are sent
(the chosen unit and the suggested ones first), with a note that says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import numpy as np
from plotly.colors import get_colorscale

from .figures.palette import DIVERGING, NAMES
from .formatting import fmt
from .generate import one_hot, vocabulary
from .memory import (
    COMMENT_FEATURE,
    FOUND_R,
    SERIES_FEATURES,
    TEXT_FEATURES,
    UnitMatch,
    best_by_feature,
    found,
    rank_units,
    series_features,
    text_features,
)
from .stepping import encode_f32
from .tasks.data import encoded_text, load_text

#: the payload's format (the browser refuses another)
PAYLOAD_VERSION = 1
#: base64 characters of values per payload above which only some units are sent
MAX_BYTES = 8_000_000
#: held-out characters shown: the issue asks for at least 2,000
MIN_CHARS, MAX_CHARS = 2000, 5000
#: text_features options per shipped text: prose has apostrophes, not single quotes; code has comments
FEATURE_OPTIONS = {"python": {"comments": "#"}, "sonnets": {"quote_chars": '"'}}

QUANTITIES = {"lstm": ("c", "h", "i", "f", "g", "o"), "gru": ("h", "r", "z", "n"), "rnn": ("h",)}
_SIGMOID = {"i", "f", "o", "r", "z"}  # in (0, 1); g, n and h are in (-1, 1); c is unbounded


def ranked_quantity(arch: str) -> str:
    """The quantity whose units are ranked: the cell state c of an LSTM (what Karpathy et al. coloured),
    else the hidden state h."""
    return "c" if arch == "lstm" else "h"


def held_out_text(source: str, n_chars: int = MIN_CHARS) -> str:
    """``n_chars`` characters of a shipped text's held-out part (the last 15 %, which training never sees),
    from the first line start in it."""
    if not MIN_CHARS <= n_chars <= MAX_CHARS:
        raise ValueError(f"n_chars must be from {MIN_CHARS} to {MAX_CHARS}, got {n_chars}")
    text, split = load_text(source), encoded_text(source)[2]
    newline = text.find("\n", split)
    start = newline + 1 if 0 <= newline < len(text) - n_chars else split
    return text[start : start + n_chars]


def layer_values(layer_trace, quantity: str) -> np.ndarray:
    """(T, H) one quantity of the first sequence of a layer trace."""
    return np.asarray(getattr(layer_trace, quantity)[:, 0, :])


@dataclass(frozen=True)
class TextView:
    """A model's trace over a text: the layer shown, the features and every (unit, feature) match."""

    text: str
    layer_trace: object  # lstm_vault.trace.LayerTrace, batch of 1
    features: dict  # {name: (T,)}
    matches: list  # [UnitMatch], largest |r| first
    quantity: str  # what was ranked ("c" or "h")


def text_view(saved, text: str, source: str | None = None, layer: int = 0) -> TextView:
    """Run ``saved`` (a character model) over ``text`` from a zero state and rank its units' ``c`` (LSTM) or
    ``h`` against :func:`lstm_vault.memory.text_features` (with :data:`FEATURE_OPTIONS` of ``source``)."""
    vocab = vocabulary(saved)
    unknown = sorted(set(text) - set(vocab))
    if unknown:
        raise ValueError(f"the text has characters the model does not know: {unknown[:5]!r}")
    if not 0 <= layer < saved.rnn.num_layers:
        raise ValueError(f"layer must be in [0, {saved.rnn.num_layers - 1}], got {layer}")
    _, _, trace = saved.rnn.forward(one_hot(text, vocab))
    lt = trace.layers[layer][0]
    features = text_features(text, **FEATURE_OPTIONS.get(source, {}))
    quantity = ranked_quantity(lt.arch)
    return TextView(text, lt, features, rank_units(layer_values(lt, quantity), features), quantity)


def top_units(matches: list[UnitMatch], k: int = 5, threshold: float = FOUND_R) -> list[UnitMatch]:
    """Up to k distinct units with |r| >= threshold, each with its best feature: first the best unit of
    each feature (features by their best |r|), then the next strongest matches, so several features show."""
    strong = [m for m in matches if found(m, threshold)]
    out, seen = [], set()
    for m in [*best_by_feature(strong).values(), *strong]:
        if len(out) == k:
            break
        if m.unit not in seen:
            seen.add(m.unit)
            out.append(m)
    return out


def feature_description(name: str) -> str:
    return {**TEXT_FEATURES, **COMMENT_FEATURE, **SERIES_FEATURES}.get(name, name)


def feature_rows(matches: list[UnitMatch], threshold: float = FOUND_R) -> list[dict]:
    """One row per feature, in the order of the features' best |r|: its best unit, r, and a finding that
    says whether that unit follows it (|r| >= threshold) or that none was found."""
    rows = []
    for name, m in best_by_feature(matches).items():
        if found(m, threshold):
            finding = f"unit {m.unit} follows it (r = {fmt(m.r)})"
        else:
            finding = (
                f"none found: the best, unit {m.unit}, has |r| = {fmt(abs(m.r))}, below {fmt(threshold, 1)}"
            )
        rows.append(
            {
                "feature": name,
                "what it is": feature_description(name),
                "best unit": m.unit,
                "r": m.r,
                "finding": finding,
            }
        )
    return rows


def colorscale_stops(name: str = DIVERGING) -> list[list]:
    """A plotly colour scale as [[position, [r, g, b]], ...] for the browser."""
    out = []
    for pos, color in get_colorscale(name):
        out.append([float(pos), [int(float(c)) for c in re.findall(r"[\d.]+", color)[:3]]])
    return out


def value_range(quantity: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the ends (lo, hi) of the colour scale for ``values`` (T, H) of ``quantity``: a gate's
    whole range (0, 1), a tanh value's (-1, 1), and for the unbounded cell state +-max|c| of that unit."""
    H = values.shape[1]
    if quantity in _SIGMOID:
        return np.zeros(H), np.ones(H)
    if quantity == "c":
        m = np.abs(values).max(axis=0) if len(values) else np.zeros(H)
        m = np.where(m > 0, m, 1.0)
        return -m, m
    return -np.ones(H), np.ones(H)


def sent_units(H: int, per_unit_bytes: int, max_bytes: int, first: list[int]) -> list[int]:
    """The units whose values fit in ``max_bytes``: ``first`` (in order, without repeats), then the rest by
    index; at least one."""
    fit = max(1, max_bytes // max(per_unit_bytes, 1))
    order = list(dict.fromkeys([*(u for u in first if 0 <= u < H), *range(H)]))
    return sorted(order[:fit])


def text_payload(
    layer_trace,
    text: str,
    *,
    unit: int = 0,
    quantity: str | None = None,
    suggested: list[UnitMatch] = (),
    max_bytes: int = MAX_BYTES,
    caption: str = "",
) -> dict:
    """What ``pages/common/memory_text`` is sent: the text (as data: the browser writes it with textContent),
    every quantity of every unit (base64 float32, (Q, T, U) row-major, U the units sent), the colour range
    of each quantity and unit, the colour scale, the unit and quantity shown first, and chips for the
    suggested units (their feature and r).

    T = len(text) must equal the trace's steps (batch 1).
    """
    arch = layer_trace.arch
    names = QUANTITIES[arch]
    quantity = quantity or ranked_quantity(arch)
    if quantity not in names:
        raise ValueError(f"a {arch} shows {', '.join(names)}, not {quantity!r}")
    T, _, H = layer_trace.h.shape
    if len(text) != T:
        raise ValueError(f"the text has {len(text)} characters, the trace {T} steps")
    if not 0 <= unit < H:
        raise ValueError(f"unit must be in [0, {H - 1}], got {unit}")
    per_unit = 4 * ((4 * len(names) * T + 2) // 3)  # base64 characters of one unit's values, about
    units = sent_units(H, per_unit, max_bytes, [unit, *(m.unit for m in suggested)])
    values = np.stack([layer_values(layer_trace, q)[:, units] for q in names])  # (Q, T, U)
    ranges = []
    for q, v in zip(names, values):
        lo, hi = value_range(q, v)
        ranges.append([[float(np.float32(a)), float(np.float32(b))] for a, b in zip(lo, hi)])
    note = None
    if len(units) < H:
        note = (
            f"Only {len(units)} of the {H} units are sent to the browser (the values of all of them would "
            f"pass {max_bytes / 1e6:g} MB): the unit list offers those."
        )
    body = {
        "version": PAYLOAD_VERSION,
        "text": text,
        "T": T,
        "H": H,
        "quantities": list(names),
        "names": {q: NAMES[q] for q in names},
        "units": units,
        "values": encode_f32(values),
        "ranges": ranges,
        "colorscale": colorscale_stops(),
        "unit": unit if unit in units else units[0],
        "quantity": quantity,
        "suggested": [
            {"unit": m.unit, "label": f"unit {m.unit}: {m.feature}, r = {fmt(m.r)}"}
            for m in suggested
            if m.unit in units
        ],
        "note": note,
        "caption": caption,
    }
    blob = json.dumps(body, sort_keys=True).encode()
    return {**body, "bytes": len(blob), "fingerprint": hashlib.sha1(blob).hexdigest()[:16]}


# ------------------------------------------------------------------------------------------ series


@dataclass(frozen=True)
class SeriesView:
    """A series model's trace over a series: the values shown, the layer, the features and the matches."""

    values: np.ndarray  # (T,) the series in its own unit
    labels: tuple  # (T,) the x axis: dates, or step numbers
    title: str
    layer_trace: object
    features: dict
    matches: list
    quantity: str


def series_input(saved, seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple, str]:
    """What a series model reads here, ``(x (T, 1, 1) as the model reads it, the series in its own unit
    (T,), x labels, title)``: a shipped series' held-out part as one sequence, else one held-out example of
    the model's task. ValueError when the model does not read one value per step."""
    if saved.rnn.input_size != 1:
        raise ValueError(
            f"this view colours a series, one value per step; the model reads {saved.rnn.input_size}"
        )
    task = saved.task()
    name = getattr(task, "series", "") if task is not None else ""
    if name:
        from .tasks.data import read_series, standardised

        z, split, mean, std = standardised(name)
        dates = read_series(name)[0][split:]
        z = np.asarray(z[split:], dtype=np.float64)
        return z[:, None, None], z * std + mean, tuple(dates), f"{task.title}: the held-out part"
    x, caption = saved.example(seed)
    return x, x[:, 0, 0].copy(), tuple(range(len(x))), caption


def series_view(saved, seed: int = 0, layer: int = 0) -> SeriesView:
    """Run a series model over :func:`series_input` and rank its units against the series' own features."""
    x, values, labels, title = series_input(saved, seed)
    _, _, trace = saved.rnn.forward(x)
    lt = trace.layers[layer][0]
    features = series_features(values)
    quantity = ranked_quantity(lt.arch)
    matches = rank_units(layer_values(lt, quantity), features)
    return SeriesView(values, labels, title, lt, features, matches, quantity)


def found_sentence(rows: list[dict], threshold: float = FOUND_R) -> str:
    """One sentence over :func:`feature_rows`: how many features have a unit with |r| >= threshold, and the
    features for which none was found."""
    hit = [r["feature"] for r in rows if abs(r["r"]) >= threshold]
    miss = [r["feature"] for r in rows if abs(r["r"]) < threshold]
    bound = fmt(threshold, 1)
    if not hit:
        return f"No unit follows any of the {len(rows)} features with |r| ≥ {bound}: none was found."
    sentence = f"{len(hit)} of the {len(rows)} features have a unit that follows them with |r| ≥ {bound}"
    if miss:
        sentence += f"; for {_and(miss)} none was found"
    return sentence + "."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
