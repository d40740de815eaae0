"""The input-sequence widget group shared by pages: a preset, numbers typed by the user, or a CSV column.

Usage on a page (``key_prefix`` keeps two pages' widgets apart)::

    from pages.common.sequence_input import sequence_input, apply_query_params, query_params_of

    warnings = apply_query_params(st.query_params, "vg_")   # once, before the widgets
    with st.sidebar:
        seq = sequence_input("vg_")
    seq.values          # (T,) float64, always valid (the last good one after a bad input)
    seq.error           # the message shown in st.error when the current input is bad, else None
    st.query_params.update(query_params_of(seq))

Bad input (empty, not numbers, NaN, too many, a broken file) shows ``st.error`` with the parser's
message and returns the last valid sequence of this session, so the page keeps working.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import streamlit as st

from lstm_vault.sequences import (
    MAX_LENGTH,
    MAX_SEED,
    PRESETS,
    check_length,
    check_seed,
    make_sequence,
    parse_whole,
    preset_label,
)
from lstm_vault.userdata import MAX_BYTES

SOURCES = {"preset": "Preset", "typed": "Type numbers", "csv": "Upload a CSV"}
#: the link parameters this widget group reads and writes (by hand: ``preset`` and ``x`` also pick the source)
QUERY_NAMES = ("preset", "T", "xseed", "x", "z")
DEFAULT_TEXT = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
MAX_URL_TEXT = 400  # typed numbers go into a shared link only when this short
LARGE_INPUT = 10.0  # above this, raw numbers saturate the gates: suggest standardising
# the uploader's limit, in Streamlit's MB (2**20 bytes), whole, within the parser's byte limit
UPLOAD_MB = max(1, MAX_BYTES // 2**20)


@dataclass(frozen=True)
class SequenceChoice:
    """What :func:`sequence_input` returns."""

    values: np.ndarray  # (T,) float64: the sequence to use (the last valid one when ``error`` is set)
    label: str  # for captions, e.g. "Sine wave, T = 100"
    source: str  # "preset", "typed" or "csv" (of ``values``)
    preset: str | None = None  # registry name when source == "preset"
    seed: int = 0  # the preset's noise seed
    text: str | None = None  # the typed numbers when source == "typed"
    error: str | None = None  # message of the current, rejected input; None when the input is valid
    standardised: bool = False  # the numbers shifted and scaled to mean 0, std 1
    columns: tuple[str, ...] = ()  # a CSV's chosen columns, in order
    inputs: np.ndarray | None = None  # (T, I) float64: every chosen column (values is the first)

    @property
    def length(self) -> int:
        return len(self.values)

    @property
    def matrix(self) -> np.ndarray:
        """(T, I) float64: one column per input (a single column for a preset or typed numbers)."""
        return self.values[:, None] if self.inputs is None else self.inputs


def _keys(p: str) -> dict[str, str]:
    return {
        name: f"{p}{name}"
        for name in ("source", "preset", "T", "xseed", "text", "csv", "column", "last_good", "z")
    }


def _defaults(p: str, default_preset: str) -> None:
    k = _keys(p)
    st.session_state.setdefault(k["source"], "preset")
    st.session_state.setdefault(k["preset"], default_preset)
    st.session_state.setdefault(k["T"], PRESETS[st.session_state[k["preset"]]].default_length)
    st.session_state.setdefault(k["xseed"], 0)
    st.session_state.setdefault(k["text"], DEFAULT_TEXT)
    st.session_state.setdefault(k["column"], "")
    st.session_state.setdefault(k["z"], False)


def _preset_changed(p: str) -> None:
    # a new preset proposes its own length (counting is 10 long, the waves 100)
    k = _keys(p)
    st.session_state[k["T"]] = PRESETS[st.session_state[k["preset"]]].default_length


def _read(p: str) -> SequenceChoice:
    """The current widgets' sequence, or ValueError with a message for the user."""
    k, s = _keys(p), st.session_state
    source = s[k["source"]]
    if source == "preset":
        name, T, seed = s[k["preset"]], int(s[k["T"]]), int(s[k["xseed"]])
        x = make_sequence(name, T, seed)
        return SequenceChoice(x, preset_label(name, x, seed), "preset", name, seed)
    from lstm_vault.userdata import parse_numbers

    if source == "typed":
        text = s[k["text"]] or ""
        x = parse_numbers(text, max_count=MAX_LENGTH)
        return SequenceChoice(x, f"typed numbers, T = {len(x)}", "typed", text=text)
    upload = s.get(k["csv"])
    if upload is None:
        raise ValueError("no file yet: upload a CSV file with a column of numbers")
    return csv_choice(upload.name, upload.getvalue(), s[k["column"]] or "")


def csv_choice(file: str, data: bytes, columns: str) -> SequenceChoice:
    """An uploaded CSV's columns, listed in ``columns`` as people type them ("temp, rain", "2, 3"; blank =
    the rightmost column of numbers), as the sequence; ValueError with the parser's message."""
    x, names, error = _parse_csv(data, columns.strip())
    if error:
        raise ValueError(error)
    shown = ", ".join(map(repr, names))
    label = f"{file}, column{'s' if len(names) > 1 else ''} {shown}, T = {len(x)}"
    return SequenceChoice(x[:, 0], label, "csv", columns=names, inputs=x if len(names) > 1 else None)


@st.cache_data(max_entries=4, show_spinner=False)
def _parse_csv(data: bytes, columns: str) -> tuple[np.ndarray | None, tuple[str, ...], str]:
    """(values (T, C), column names, "") or (None, (), the error): parsed once per file and columns, the
    error too, since every rerun of the page reads the input again and a crafted 5 MB file takes seconds."""
    from lstm_vault.userdata import parse_csv_columns

    try:
        x, names = parse_csv_columns(data, columns, max_rows=MAX_LENGTH)
    except ValueError as error:
        return None, (), str(error)
    return x, names, ""


def sequence_input(
    key_prefix: str, *, default_preset: str = "sine", allow_upload: bool = True, warn_large: bool = True
) -> SequenceChoice:
    """Draw the widget group where the caller is (e.g. ``with st.sidebar:``) and return the sequence.
    ``warn_large``: suggest standardising numbers large enough to saturate the gates (not where a model
    scales them itself)."""
    p, k = key_prefix, _keys(key_prefix)
    _defaults(p, default_preset)
    sources = list(SOURCES) if allow_upload else ["preset", "typed"]
    st.radio(
        "Input sequence",
        sources,
        format_func=SOURCES.get,
        key=k["source"],
        horizontal=True,
        persist_state="session",
    )
    source = st.session_state[k["source"]]
    if source == "preset":
        st.selectbox(
            "Preset",
            list(PRESETS),
            format_func=lambda n: PRESETS[n].title,
            key=k["preset"],
            on_change=_preset_changed,
            args=(p,),
            persist_state="session",
        )
        preset = PRESETS[st.session_state[k["preset"]]]
        st.number_input(
            "Length T (time steps)",
            min_value=1,
            max_value=MAX_LENGTH,
            step=10,
            key=k["T"],
            persist_state="session",
        )
        if preset.random:
            st.number_input(
                "Noise seed",
                min_value=0,
                max_value=MAX_SEED,
                step=1,
                key=k["xseed"],
                persist_state="session",
            )
        st.caption(preset.description)
    elif source == "typed":
        st.text_area(
            "Numbers",
            key=k["text"],
            height=100,
            persist_state="session",
            help=f"Up to {MAX_LENGTH:,} numbers separated by commas, spaces or new lines.",
        )
    else:
        st.file_uploader(
            "CSV file",
            type=["csv", "txt", "tsv"],
            key=k["csv"],
            help=f"A column of up to {MAX_LENGTH:,} numbers, in a file of at most {UPLOAD_MB} MB; a header "
            "row is optional.",
            max_upload_size=UPLOAD_MB,
        )
        st.text_input(
            "Columns (names or numbers, in order, comma-separated; blank = the rightmost column of numbers)",
            key=k["column"],
            persist_state="session",
            help="A model with several inputs reads one column per input, in the order listed here.",
        )
    st.checkbox(
        "Standardise (mean 0, standard deviation 1)",
        key=k["z"],
        persist_state="session",
        help="Shift and scale the numbers so that they sit around 0 with a spread of 1, where the gates "
        "respond. Large raw values push the gates towards 0 or 1, where they hardly respond to a change.",
    )
    waiting = source == "csv" and st.session_state.get(k["csv"]) is None
    if waiting:  # nothing is wrong yet: say what to do, keep showing the last sequence
        st.info("Upload a CSV file: until then the page keeps the last sequence.")
    try:
        if waiting:
            raise LookupError
        choice = _standardised(_read(p), st.session_state[k["z"]])
    except LookupError:
        last = st.session_state.get(k["last_good"]) or _default_choice(p, default_preset)
        return last
    except ValueError as err:
        message = str(err)
        st.error(f"Input not used: {message}")
        last = st.session_state.get(k["last_good"]) or _default_choice(p, default_preset)
        return dataclasses.replace(last, error=message)
    st.session_state[k["last_good"]] = choice
    if len(choice.columns) > 1:
        n = len(choice.columns)
        st.caption(
            f"{n} columns: a trained model with {n} inputs reads them all, in this order; the hand-set LSTM "
            f"reads one input, the first column ({choice.columns[0]!r})."
        )
    big = float(np.abs(choice.matrix).max(initial=0.0))
    if warn_large and not choice.standardised and big > LARGE_INPUT:
        st.warning(
            f"These numbers reach {big:,.4g}. Each gate adds up weight × input, so inputs this large push "
            "the gates towards 0 or 1, where they hardly respond to a change. Tick **Standardise** above "
            "to shift and scale them to mean 0, standard deviation 1."
        )
    return choice


def with_length(choice: SequenceChoice, length: int) -> SequenceChoice:
    """A preset ``choice`` made at another length, as the widgets would make it (same preset, seed and
    standardising); ValueError for a typed or uploaded sequence, whose length is its own."""
    if choice.source != "preset" or choice.preset is None:
        raise ValueError("only a preset sequence can be made at another length")
    x = make_sequence(choice.preset, length, choice.seed)
    label = preset_label(choice.preset, x, choice.seed)
    made = SequenceChoice(x, label, "preset", choice.preset, choice.seed)
    return _standardised(made, choice.standardised)


def _default_choice(p: str, default_preset: str) -> SequenceChoice:
    preset = st.session_state[f"{p}preset"]
    preset = preset if preset in PRESETS else default_preset
    x = make_sequence(preset)
    return SequenceChoice(x, f"{preset_label(preset, x)} (default)", "preset", preset)


def _standardised(choice: SequenceChoice, on: bool) -> SequenceChoice:
    """``choice`` with each column shifted and scaled to mean 0 and standard deviation 1 when ``on``
    (a constant column is only shifted)."""
    if not on:
        return choice
    x = choice.matrix - choice.matrix.mean(axis=0)
    spread = x.std(axis=0)
    x = x / np.where(spread > 0, spread, 1.0)  # each column on its own
    return dataclasses.replace(
        choice, values=x[:, 0], inputs=None if choice.inputs is None else x,
        label=f"{choice.label}, standardised", standardised=True,
    )  # fmt: skip


# -------------------------------------------------------------------------------- shareable links


def apply_query_params(params: Mapping[str, str], key_prefix: str) -> list[str]:
    """Set the widgets from a link's ``preset``, ``T``, ``xseed`` or ``x`` (typed numbers); ``z=1``
    standardises either.

    Call before :func:`sequence_input`, once per session. Invalid values are skipped;
    returns one warning per skipped value, for the page to show.
    """
    k, s, warnings = _keys(key_prefix), st.session_state, []
    if "x" in params:
        from lstm_vault.userdata import parse_numbers

        try:
            parse_numbers(params["x"], max_count=MAX_LENGTH)
            s[k["source"]], s[k["text"]] = "typed", params["x"]
            s[k["z"]] = params.get("z") == "1"
        except ValueError as err:
            warnings.append(f"link parameter x ignored: {err}")
    if "preset" in params:
        if params["preset"] in PRESETS:
            s[k["source"]], s[k["preset"]] = "preset", params["preset"]
            s[k["T"]] = PRESETS[params["preset"]].default_length
            s[k["z"]] = params.get("z") == "1"
        else:
            warnings.append(f"link parameter preset={params['preset']!r} is not one of: {', '.join(PRESETS)}")
    for name, check in (("T", check_length), ("xseed", check_seed)):
        if name in params:
            try:
                s[k[name]] = check(parse_whole(params[name]))
            except ValueError as err:
                warnings.append(f"link parameter {name} ignored: {err}")
    return warnings


def query_params_of(choice: SequenceChoice) -> dict[str, str]:
    """The link parameters that reproduce ``choice`` (empty for an uploaded file)."""
    if choice.source == "preset":
        out = {"preset": choice.preset, "T": str(choice.length)}
        if PRESETS[choice.preset].random:
            out["xseed"] = str(choice.seed)
        return out | ({"z": "1"} if choice.standardised else {})
    if choice.source == "typed" and choice.text is not None and len(choice.text) <= MAX_URL_TEXT:
        from lstm_vault.userdata import parse_numbers

        out = {"x": ",".join(f"{v:.12g}" for v in parse_numbers(choice.text, max_count=MAX_LENGTH))}
        return out | ({"z": "1"} if choice.standardised else {})
    return {}
