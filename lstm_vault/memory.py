"""Reading a trained memory: what the text (or series) is doing at each step, and which unit follows it.

Karpathy, Johnson & Fei-Fei (2015) found single LSTM cells that track quotes, brackets or the position in
the line. This module makes that search a computation a test can check::

    feats = text_features(text)                        # {name: (T,)}, one value per character
    values = unit_values(trace.layers[0][0], "c")      # (T, H) one unit's cell state per column
    matches = rank_units(values, feats)                # every (unit, feature) pair, largest |r| first
    best_by_feature(matches)["in_quotes"]              # the unit that follows quotes best

A feature whose best |r| is below :data:`FOUND_R` is reported as not found: the shipped texts are small
and no particular cell is promised. Gate saturation (the paper's §4.2) is in
:mod:`lstm_vault.saturation`, re-exported here.

Value at character t: the state *after* the model read character t. The features below describe
character t itself, so a unit that switches on when it reads an opening quote is one step ahead of
``in_quotes`` (which is 0 on the quote character); over strings of a few characters that costs some r.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .saturation import (  # noqa: F401  (part of this module's API)
    SATURATION_GATES,
    SaturationClass,
    saturation,
    saturation_classes,
    saturation_sentences,
)

#: below this best |r| a page says that no unit was found for the feature
FOUND_R = 0.3

#: every text feature, with the definition a page can show (``text_features`` documents the details)
TEXT_FEATURES = {
    "in_quotes": "inside quotes: after an opening quote and before its closing one",
    "in_brackets": "inside brackets: after an opening ( [ or { and before its closing one",
    "bracket_depth": "how many brackets are open around the character",
    "line_position": "position in the line (0 for the first character)",
    "word_start": "the first character of a word",
    "after_newline": "the first character after a line break",
    "indent": "indentation: the spaces that begin the line, counted as they are read",
    "vowel": "a vowel (a e i o u)",
    "punctuation": "a punctuation mark",
}
#: added by ``text_features(..., comments="#")``
COMMENT_FEATURE = {"in_comment": "inside a comment: from its marker to the end of the line"}

SERIES_FEATURES = {
    "level": "the value of the series",
    "rise_fall": "rising (+1), flat (0) or falling (-1) since the step before",
    "since_peak": "steps since the last peak",
}

_OPEN, _CLOSE = "([{", ")]}"


def text_features(text: str, quote_chars: str = "\"'", comments: str | None = None) -> dict[str, np.ndarray]:
    """One float array (T,) per feature of ``text``, T = len(text); names and order as :data:`TEXT_FEATURES`.

    in_quotes: 1 for characters after an opening quote and before its closing one, 0 elsewhere (the quote
        characters themselves are 0). Quote characters are ``quote_chars`` (default ``"`` and ``'``).
        A quote opens only outside quotes and closes only the quote of its own kind, so ``"it's"`` is
        one string. Three equal quote characters (``\"\"\"`` or ``'''``) count as one quote, closed only by
        the same three. A quote with an odd number of backslashes right before it is escaped and does not
        count. A quote that is never closed runs to the end of the text. In prose an apostrophe is a
        ``'``: pass ``quote_chars='"'`` to count double quotes only.
    in_brackets, bracket_depth: the number of brackets (round, square and curly together) opened before
        character t and not closed at or before it; in_brackets is 1 where that depth is > 0. So in
        ``f(a)`` only ``a`` is inside. A closing bracket closes the innermost open one only if it is of
        the same kind (else it is ignored); brackets inside quotes or comments do not count.
    line_position: characters before t in its line (0 for the first; a line break is the last
        character of the line it ends).
    word_start: 1 for a word character (a letter, digit or ``_``) whose previous character is not one.
    after_newline: 1 where the previous character is a line break (``\\n``), 0 for the first character.
    indent: the number of spaces (a tab counts as one) at the start of the current line up to and
        including character t: it counts up through the leading spaces, then holds the line's
        indentation to its end (line break included). A model reads left to right, so this is what it
        can know at t. Measured in characters, not indent levels.
    vowel: 1 for a e i o u in either case (not y).
    punctuation: 1 for a character in Unicode's punctuation categories (P*: . , ; : ! ? ' " - _ ( ) [ ]
        { } and the like; not symbols such as + = < > | $).
    comments: None, or a marker such as ``"#"``: outside quotes it starts a comment to the end of the
        line, where quotes and brackets do not count; adds the feature ``in_comment`` (1 from the marker
        to the line break, which is 0).
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    if comments is not None and (not isinstance(comments, str) or not comments or "\n" in comments):
        raise ValueError(f"comments must be None or a one-line marker such as '#', got {comments!r}")
    T = len(text)
    in_quotes, depth, in_comment = _scan(text, set(quote_chars), comments)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if T else np.zeros(0, np.uint32)
    newline = codes == ord("\n")
    after_nl = np.zeros(T, bool)
    after_nl[1:] = newline[:-1]
    # line_position: distance to the start of the line (the character after the last line break before t)
    idx = np.arange(T)
    line_start = np.maximum.accumulate(np.where(after_nl, idx, 0)) if T else idx
    is_word = np.array([ch.isalnum() or ch == "_" for ch in text], dtype=bool)
    word_start = is_word.copy()
    word_start[1:] &= ~is_word[:-1]
    feats = {
        "in_quotes": in_quotes.astype(np.float64),
        "in_brackets": (depth > 0).astype(np.float64),
        "bracket_depth": depth.astype(np.float64),
        "line_position": (idx - line_start).astype(np.float64),
        "word_start": word_start.astype(np.float64),
        "after_newline": after_nl.astype(np.float64),
        "indent": _indent(codes, line_start).astype(np.float64),
        "vowel": np.isin(codes, [ord(v) for v in "aeiouAEIOU"]).astype(np.float64),
        "punctuation": np.array([unicodedata.category(ch)[0] == "P" for ch in text], dtype=np.float64),
    }
    if comments is not None:
        feats["in_comment"] = in_comment.astype(np.float64)
    return feats


def _escaped(text: str, t: int) -> bool:
    """True when an odd number of backslashes stands right before position t."""
    n = 0
    while t - n - 1 >= 0 and text[t - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _scan(text: str, quotes: set, comments: str | None):
    """One pass for the states that need a stack: (in_quotes, bracket depth, in_comment), each (T,)."""
    T = len(text)
    in_quotes, depth, in_comment = np.zeros(T, bool), np.zeros(T, np.int64), np.zeros(T, bool)
    stack: list[str] = []
    delim = None  # the open quote ("\"", "'", '\"\"\"' or "'''"), None outside quotes
    comment = False
    t = 0
    while t < T:
        ch = text[t]
        depth[t] = len(stack)
        if comment:
            if ch == "\n":
                comment = False
            else:
                in_comment[t] = True
            t += 1
            continue
        if delim is not None:
            if text.startswith(delim, t) and not _escaped(text, t):
                for k in range(len(delim)):  # the closing quote: outside, at the depth around the string
                    depth[t + k] = len(stack)
                t += len(delim)
                delim = None
                continue
            in_quotes[t] = True
            t += 1
            continue
        if ch in quotes and not _escaped(text, t):
            delim = ch * 3 if text.startswith(ch * 3, t) else ch
            for k in range(len(delim)):
                depth[t + k] = len(stack)
            t += len(delim)
            continue
        if comments is not None and text.startswith(comments, t):
            comment = True
            continue
        if ch in _OPEN:
            stack.append(ch)
        elif ch in _CLOSE and stack and stack[-1] == _OPEN[_CLOSE.index(ch)]:
            stack.pop()
            depth[t] = len(stack)  # the closing bracket is no longer inside
        t += 1
    return in_quotes, depth, in_comment


def _indent(codes: np.ndarray, line_start: np.ndarray) -> np.ndarray:
    """(T,) leading spaces or tabs of the current line, counted up to and including each character."""
    idx = np.arange(len(codes))
    filled = (codes != ord(" ")) & (codes != ord("\t"))
    seen = np.cumsum(filled)  # non-blank characters in [0, t]
    before_line = seen[line_start] - filled[line_start]  # ... before the line began
    first = np.searchsorted(seen, before_line + 1)  # the line's first non-blank (past the line if none)
    return np.where(idx < first, idx - line_start + 1, first - line_start)


def series_features(x, peak_window: int = 1) -> dict[str, np.ndarray]:
    """One float array (T,) per feature of a series x (T,) or (T, 1); names as :data:`SERIES_FEATURES`.

    level: x_t.  rise_fall: sign(x_t - x_{t-1}), 0 at t = 0.
    since_peak: steps since the last peak that step t can already see. A peak is a step p that is
        higher than the ``peak_window`` steps before it and at least as high as the ``peak_window``
        steps after it (a flat top counts once, at its first step); the first and last ``peak_window``
        steps cannot be peaks. A peak is confirmed ``peak_window`` steps later, so since_peak[t] =
        t - p for the latest peak p with p + peak_window <= t; before the first confirmed peak it is
        t + 1 (steps since the series began, counting a virtual peak at t = -1).
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"a series must be one value per step, (T,) or (T, 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("the series must be finite")
    if isinstance(peak_window, bool) or not isinstance(peak_window, (int, np.integer)) or peak_window < 1:
        raise ValueError(f"peak_window must be an integer >= 1, got {peak_window!r}")
    T, w = arr.size, int(peak_window)
    rise = np.zeros(T)
    rise[1:] = np.sign(np.diff(arr))
    peak = np.zeros(T, bool)
    if 2 * w < T:
        core = arr[w : T - w]
        left = np.lib.stride_tricks.sliding_window_view(arr[: T - w - 1], w)  # x[p-w .. p-1] for p in core
        right = np.lib.stride_tricks.sliding_window_view(arr[w + 1 :], w)  # x[p+1 .. p+w]
        peak[w : T - w] = (core > left.max(axis=1)) & (core >= right.max(axis=1))
    idx = np.arange(T)
    seen = np.full(T, -1)
    confirmed = np.flatnonzero(peak) + w  # the step at which each peak becomes visible
    seen[confirmed] = confirmed - w
    seen = np.maximum.accumulate(seen)
    return {"level": arr.copy(), "rise_fall": rise, "since_peak": (idx - seen).astype(np.float64)}


@dataclass(frozen=True)
class UnitMatch:
    """How well one unit follows one feature: r is Pearson's correlation over all steps (0 when constant)."""

    unit: int
    feature: str
    r: float


def rank_units(values, features: Mapping[str, np.ndarray]) -> list[UnitMatch]:
    """Every unit against every feature, sorted by |r|, largest first (ties: by unit, then feature order).

    values: (T, H) one column per unit (e.g. :func:`unit_values`);  features: {name: (T,)}.
    r is Pearson's correlation of the two columns; 0 when either is constant (no correlation is defined).
    One matrix product for all pairs: T = 100,000, H = 256 and 10 features take a fraction of a second.
    """
    V = np.asarray(values, dtype=np.float64)
    if V.ndim != 2:
        raise ValueError(f"values must be (T, H), one column per unit, got shape {V.shape}")
    T, H = V.shape
    names = list(features)
    if not names:
        raise ValueError("no features to rank against")
    F = np.empty((T, len(names)))
    for k, name in enumerate(names):
        col = np.asarray(features[name], dtype=np.float64)
        if col.shape != (T,):
            raise ValueError(f"feature {name!r} has shape {col.shape}, the values have {T} steps")
        F[:, k] = col
    if not (np.all(np.isfinite(F)) and np.all(np.isfinite(V))):
        raise ValueError("values and features must be finite")
    r = _pearson(V, F)  # (H, F)
    order = np.lexsort(
        (np.tile(np.arange(len(names)), H), np.repeat(np.arange(H), len(names)), -np.abs(r).ravel())
    )
    flat = r.ravel()
    return [UnitMatch(int(j // len(names)), names[j % len(names)], float(flat[j])) for j in order]


def _pearson(V: np.ndarray, F: np.ndarray) -> np.ndarray:
    """(H, K) correlations of V (T, H) with F (T, K), without a centred copy of V (it may be 100k x 256).

    Only F is centred: V.T @ Fc is then V's centred cross-product (Fc sums to 0; the rounding left in
    that sum is taken out through the outer product). V's sum of squares about its mean comes from
    Σv² - T·mean², recomputed from centred values for the columns where that difference cancels.
    """
    T = V.shape[0]
    Fc = F - F.mean(axis=0)
    f_ss = np.einsum("tk,tk->k", Fc, Fc)
    v_mean = V.mean(axis=0)
    cross = V.T @ Fc - np.outer(v_mean, Fc.sum(axis=0))
    raw = np.einsum("th,th->h", V, V)
    v_ss = raw - T * v_mean * v_mean
    risky = np.flatnonzero(v_ss <= 1e-6 * raw)  # half the digits or more lost: centre those columns
    if risky.size:
        d = V[:, risky] - v_mean[risky]
        v_ss[risky] = np.einsum("th,th->h", d, d)
        cross[risky] = d.T @ Fc
    constant_v = V.max(axis=0) == V.min(axis=0)
    constant_f = F.max(axis=0) == F.min(axis=0)
    denom = np.sqrt(np.outer(np.maximum(v_ss, 0.0), f_ss))
    ok = ~constant_v[:, None] & ~constant_f[None, :] & (denom > 0)
    r = np.zeros(cross.shape)
    r[ok] = cross[ok] / denom[ok]
    return np.clip(r, -1.0, 1.0)


def best_by_feature(matches: list[UnitMatch]) -> dict[str, UnitMatch]:
    """{feature: its best match}, in the order features first appear in ``matches`` (best first)."""
    best: dict[str, UnitMatch] = {}
    for m in matches:
        best.setdefault(m.feature, m)
    return best


def found(match: UnitMatch, threshold: float = FOUND_R) -> bool:
    """Whether a match is strong enough to call the unit a detector of its feature (|r| >= threshold)."""
    return abs(match.r) >= threshold


def unit_values(layer_trace, name: str, batch: int = 0) -> np.ndarray:
    """(T, H) one quantity of a :class:`~lstm_vault.trace.LayerTrace` for one sequence of the batch:
    ``"h"``, ``"c"`` (LSTM), a gate (``"i" "f" "g" "o"``, ``"r" "z" "n"``) or a pre-activation ``"a_f"``."""
    if name in ("h", "c"):
        arr = getattr(layer_trace, name)
        if arr is None:
            raise ValueError(f"a {layer_trace.arch} has no cell state c")
    else:
        gates = layer_trace.gates
        if (name[2:] if name.startswith("a_") else name) not in gates:
            raise ValueError(
                f"a {layer_trace.arch} has h{', c' if layer_trace.c is not None else ''}"
                f" and gates {gates}, not {name!r}"
            )
        arr = getattr(layer_trace, name)
    B = arr.shape[1]
    if not 0 <= batch < B:
        raise ValueError(f"batch must be in [0, {B - 1}], got {batch}")
    return np.asarray(arr[:, batch, :])
