"""Step through: feed a sequence to an LSTM and watch every gate, one time step at a time.

The forward pass runs once per input and model (``st.cache_data``) and returns a frozen trace.
Moving the timestep only indexes that trace: the slider, the drawn cell with its numbers and the
readings live in an ``@st.fragment``, so a step reruns that fragment alone. The timeline of every
gate over all steps is drawn once, outside the fragment; the fragment marks step t on it with a
CSS line (the timeline's geometry is fixed in ``lstm_vault.figures.cell``), so a step never
resends the heatmaps. The page's state mirrors into ``st.query_params`` for shareable links.
"""

from __future__ import annotations

import hashlib
import html
import math
import re

import numpy as np
import streamlit as st

from lstm_vault import LSTM, explain
from lstm_vault.cells import LSTM_GATES, sigmoid
from lstm_vault.figures.cell import (
    MAX_LINE_UNITS,
    TIMELINE_MARGIN,
    TIMELINE_X_DOMAIN,
    marker_fraction,
    timeline,
)
from lstm_vault.figures.drawing import cell_img
from pages.common.navigation import sidebar
from pages.common.sequence_input import apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model

P = "st_"  # this page's session-state keys
P_SEQ = "st_x_"  # the sequence widgets' keys
MAX_HIDDEN = 64
# hand-set model knobs: key -> (label, default, low, high, step, link parameter)
KNOBS = {
    "H": ("Hidden size H (units)", 8, 1, MAX_HIDDEN, 1, "H"),
    "seed": ("Weight seed", 0, 0, 2**31 - 1, 1, "seed"),
    "bf": ("Forget-gate bias b_f", 1.0, -8.0, 8.0, 0.25, "bf"),
    "bi": ("Input-gate bias b_i", 0.0, -8.0, 8.0, 0.25, "bi"),
    "bo": ("Output-gate bias b_o", 0.0, -8.0, 8.0, 0.25, "bo"),
    "bg": ("Candidate bias b_g", 0.0, -8.0, 8.0, 0.25, "bg"),
    "scale": ("Weight scale", 1.0, 0.0, 10.0, 0.25, "scale"),
    "hh": ("Recurrent weight scale", 1.0, 0.0, 10.0, 0.25, "hh"),
}
TRACE_BUDGET = 2_000_000  # T x H of a trained model's trace: ~12 arrays of it, ~200 MB in float64
_SIG = {b: float(sigmoid(b)) for b in (3.0, 1.0, 0.0, -1.0)}  # σ(b): a gate whose weighted sum is 0
_SETTLED = _SIG[0.0] * math.tanh(1.0) / (1 - _SIG[1.0])  # c = i·g / (1 - f) at b_f = 1, b_i = 0, b_g = 1
KNOB_HELP = {
    "H": "Memory units in the cell: the length of the vectors c and h.",
    "seed": "Seeds the random initial weights, drawn as torch draws them (uniform within ±1/√H): another "
    "seed, another cell.",
    "bf": "Added inside the forget gate's sigmoid, f = σ(weights · [hₜ₋₁, xₜ] + b_f). Where the weighted sum "
    f"is 0, b_f = 3 gives f = {_SIG[3.0]:.2f}: a memory halves "
    f"{explain.fmt_half_life(explain.half_life(_SIG[3.0]))}. b_f = 0 gives {_SIG[0.0]:.2f}: it halves at "
    f"every step. b_f = −1 gives {_SIG[-1.0]:.2f}: the memory fades fast, but each step still keeps "
    f"{explain.pct(_SIG[-1.0])} of it; no finite bias wipes it at once.",
    "bi": "Added inside the input gate's sigmoid: how readily new content is written into the memory.",
    "bo": "Added inside the output gate's sigmoid: how much of the memory shows in h.",
    "bg": "Added inside the candidate's tanh: a nonzero b_g makes g nonzero even where the input is 0, so "
    "i·g is written at every step. While f < 1 the memory does not drift away: with steady gates it "
    "settles where the forget gate takes away what is written, c = i·g / (1 − f) (with a weighted sum of "
    f"0, b_f = 1, b_i = 0 and b_g = 1: c = {_SETTLED:.2f}).",
    "scale": "Multiplies every weight (not the biases). 0: the gates see only their biases; large: the "
    "weighted sums grow and push the gates towards 0 or 1.",
    "hh": "Multiplies the recurrent weights W_h· once more. 0 cuts hₜ₋₁ out of the gates and the candidate: "
    "they then see only the input and their biases, so where the input is 0 (and b_g = 0) nothing is "
    "written, and you can watch the forget gate alone decide how long the memory lasts.",
}
PLAY_SECONDS = 0.3  # one animation frame while playing
PLAY_FRAMES = 80  # a play-through takes at most this many frames
CHART_CONFIG = {"displayModeBar": False}
# the drawn cell beside the readings, stacked when the window is narrow
STEP_CSS = (
    "<style>.lv-step {display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 3fr); gap: 1.5rem;"
    " align-items: start;} @media (max-width: 900px) {.lv-step {grid-template-columns: minmax(0, 1fr);}}"
    "</style>"
)

st.set_page_config(page_title="Step through · lstm_vault", page_icon="🔍", layout="wide")
sidebar()  # the app's page links, first in the sidebar


# ------------------------------------------------------------------------------------- the model


def hand_set_lstm(
    H: int, seed: int, bf: float, bi: float, bo: float, scale: float, bg: float = 0.0, hh: float = 1.0
) -> LSTM:
    """A one-unit-input LSTM with torch's initialisation, then the knobs: each gate's bias slice of
    ``bias_ih`` set to its knob and of ``bias_hh`` to 0 (so b_ih + b_hh = knob), weights times ``scale``,
    the recurrent weights ``W_h·`` times ``hh`` as well (0 cuts h_{t-1} out of every gate).
    The candidate's bias is a knob too (0 by default): left random, it would write into the cell at every
    step whatever the input."""
    model = LSTM(1, H, seed=seed)
    p = {k: v.copy() for k, v in model.params.items()}
    p["weight_ih_l0"] *= scale
    p["weight_hh_l0"] *= scale * hh
    for gate, bias in (("f", bf), ("i", bi), ("o", bo), ("g", bg)):
        k = LSTM_GATES.index(gate)
        p["bias_ih_l0"][k * H : (k + 1) * H] = bias
        p["bias_hh_l0"][k * H : (k + 1) * H] = 0.0
    return model.load_params(p)


@st.cache_data(max_entries=24, show_spinner=False)
def hand_trace(
    x: np.ndarray, H: int, seed: int, bf: float, bi: float, bo: float, scale: float, bg: float, hh: float
):
    """The layer trace of the hand-set LSTM on x (T,), batch of one."""
    model = hand_set_lstm(H, seed, bf, bi, bo, scale, bg, hh)
    return model.forward(x.reshape(-1, 1, 1))[2].layers[0][0]


@st.cache_data(max_entries=8, show_spinner=False)
def model_trace(fingerprint: str, _rnn, x: np.ndarray, layer: int, direction: int):
    """The layer trace of a trained model on x (T, 1, I); ``fingerprint`` stands for its weights.
    ValueError when the trace would be too big (a model from elsewhere can be huge)."""
    size = x.shape[0] * _rnn.hidden_size * _rnn.num_layers * (2 if _rnn.bidirectional else 1)
    if size > TRACE_BUDGET:
        raise ValueError(
            f"{x.shape[0]:,} steps through its {_rnn.hidden_size:,} hidden units are too big to trace here "
            f"(T x H x layers x directions = {size:,}; at most {TRACE_BUDGET:,})"
        )
    return _rnn.forward(x)[2].layers[layer][direction]


def _fingerprint(rnn) -> str:
    digest = hashlib.sha1(rnn.arch.encode())
    for name in sorted(rnn.params):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(rnn.params[name]).tobytes())
    return digest.hexdigest()


@st.cache_resource(max_entries=8, show_spinner=False)
def timeline_figure(_lt, key: str, input_text: tuple[str, ...] | None = None):
    """The timeline figure of a trace (``key`` identifies the trace), built once and shared read-only:
    a resource, since pickling a figure in and out of ``st.cache_data`` would re-validate it.
    ``input_text`` writes a one-hot input (characters, symbols) as text along time."""
    return timeline(_lt, input_text=None if input_text is None else list(input_text))


def _trained():
    """(model, why-not): the session's trained model when this page can show it."""
    saved = current_model()
    if saved is None:
        return None, None
    rnn = getattr(saved, "rnn", None)
    if rnn is None or getattr(rnn, "arch", None) not in ("lstm", "gru", "rnn"):
        return None, "the session's model has no NumPy recurrent part (.rnn) to show"
    return saved, None


def _task_input(saved, seed: int):
    """(x (T, 1, I), label) from the trained model's task, or raise ValueError."""
    from lstm_vault.tasks import get_task

    meta = getattr(saved, "meta", None) or {}
    if "task" not in meta:
        raise ValueError("the model does not name the task it was trained on")
    task = get_task(meta["task"], **meta.get("task_options", {}))
    batch = task.validation(1, seed)
    x = np.asarray(batch.x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] != saved.rnn.input_size:
        raise ValueError(
            f"the task's input has shape {x.shape}, the model expects {saved.rnn.input_size} features"
        )
    return x[:, :1], f"{getattr(task, 'title', '') or meta['task']}: held-out example, seed {seed}"


# ---------------------------------------------------------------------------------- link handling


def _read_link() -> list[str]:
    """Set the widgets from the URL once per session; warnings for values that were not valid."""
    params = st.query_params.to_dict()
    warnings = apply_query_params(params, P_SEQ)
    for key, (label, default, low, high, _step, name) in KNOBS.items():
        if name not in params:
            continue
        try:
            value = float(params[name])
            if not math.isfinite(value) or not low <= value <= high:
                raise ValueError
            if isinstance(default, int):
                if value != int(value):
                    raise ValueError
                value = int(value)
            st.session_state[P + key] = value
        except ValueError:
            warnings.append(
                f"link parameter {name}={params[name]!r} ignored: {label} must be in [{low}, {high}]"
            )
    for name in ("t", "unit"):
        if name in params:
            try:
                st.session_state[f"{P}link_{name}"] = int(params[name])
            except ValueError:
                warnings.append(f"link parameter {name}={params[name]!r} ignored: not a whole number")
    return warnings


def _clamp_state(key: str, high: int, link_key: str) -> None:
    """Put a link's pending value (validated against ``high``) or keep the current one in [0, high]."""
    s = st.session_state
    if link_key in s:
        value = s.pop(link_key)
        if 0 <= value <= high:
            s[key] = value
        else:
            s.setdefault(f"{P}warnings", []).append(
                f"link parameter {link_key.removeprefix(P + 'link_')}={value} ignored: must be in [0, {high}]"
            )
    if s.get(key, 0) > high:
        s[key] = high
    s.setdefault(key, 0)


# ------------------------------------------------------------------------------ the step fragment


def _step(delta: int, T: int) -> None:
    s = st.session_state
    s[P + "t"] = min(T - 1, max(0, s[P + "t"] + delta))
    s[P + "touched"] = True


def _toggle_play(T: int) -> None:
    s = st.session_state
    s[P + "playing"] = not s.get(P + "playing", False)
    if s[P + "playing"] and s[P + "t"] >= T - 1:
        s[P + "t"] = 0  # play from the start again
    s[P + "touched"] = True
    s[P + "rerun_app"] = True  # run_every is fixed when the fragment is defined: redefine it


def _touched() -> None:
    st.session_state[P + "touched"] = True


def _marker_css(t: int, T: int) -> str:
    """A vertical line over the timeline (drawn outside this fragment) at step t."""
    left_px, right_px = TIMELINE_MARGIN["l"], TIMELINE_MARGIN["r"]
    frac = (TIMELINE_X_DOMAIN[1] - TIMELINE_X_DOMAIN[0]) * marker_fraction(t, T) + TIMELINE_X_DOMAIN[0]
    return (
        "<style>"
        f".st-key-{P}timeline [data-testid='stPlotlyChart'] {{position: relative;}}"
        f".st-key-{P}timeline [data-testid='stPlotlyChart']::after {{content: ''; position: absolute;"
        f" top: {TIMELINE_MARGIN['t']}px; bottom: {TIMELINE_MARGIN['b']}px; width: 2px; margin-left: -1px;"
        f" left: calc({left_px}px + (100% - {left_px + right_px}px) * {frac:.6f});"
        " background: rgba(17, 17, 17, 0.85); pointer-events: none; z-index: 2;}"
        "</style>"
    )


def _bold(markdown: str) -> str:
    """The readings' markdown (only **bold**) as HTML."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(markdown, quote=False))


def _readings_html(lt, t: int, unit: int, label: str, encoding: dict | None) -> str:
    x_t = html.escape(explain.describe_input(lt.x[t, 0], encoding, 3), quote=False)
    items = "".join(f"<li>{_bold(line)}</li>" for line in explain.readings(lt, t, unit))
    return (
        f"<h4 style='margin: 0 0 0.4rem 0; font-size: 1.25rem'>t = {t} · unit {unit} · x\u209c = {x_t}</h4>"
        f"<ul style='padding-left: 1.2rem; line-height: 1.5; margin-bottom: 0.5rem'>{items}</ul>"
        f"<p style='font-size: 0.85rem; opacity: 0.7'>{html.escape(explain.summary(lt, unit))} "
        f"Input: {html.escape(label)}.</p>"
    )


def step_view(lt, label: str, encoding: dict | None = None) -> None:
    """Everything that depends on t: the controls, the drawn cell, the readings, the marker.
    ``encoding`` (a task's) names one-hot inputs: the character or symbol read at step t."""
    s = st.session_state
    T, H = lt.h.shape[0], lt.h.shape[-1]
    playing = s.get(P + "playing", False)
    if playing and not s.pop(P + "touched", False):  # a timer tick, not a click: advance
        s[P + "t"] = min(T - 1, s[P + "t"] + max(1, math.ceil(T / PLAY_FRAMES)))
        if s[P + "t"] >= T - 1:
            s[P + "playing"] = False
            st.rerun()  # stop the timer (the whole page redefines the fragment without run_every)
    s.pop(P + "touched", None)
    if s.pop(P + "rerun_app", False):
        st.rerun()

    c_prev, c_slider, c_next, c_play, c_unit = st.columns(
        [0.6, 5.5, 0.6, 1.5, 1.3], vertical_alignment="bottom"
    )
    c_prev.button(
        "",
        icon=":material/chevron_left:",
        key=P + "prev",
        on_click=_step,
        args=(-1, T),
        help="previous step",
        disabled=T < 2,
        width="stretch",
    )
    c_slider.slider(
        "timestep t",
        0,
        max(T - 1, 1),
        key=P + "t",
        on_change=_touched,
        disabled=T < 2,
        persist_state="session",  # kept when the user visits another page and comes back
    )
    c_next.button(
        "",
        icon=":material/chevron_right:",
        key=P + "next",
        on_click=_step,
        args=(1, T),
        help="next step",
        disabled=T < 2,
        width="stretch",
    )
    c_play.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        key=P + "play",
        on_click=_toggle_play,
        args=(T,),
        disabled=T < 2,
        width="stretch",
    )
    c_unit.number_input(
        "unit",
        0,
        H - 1,
        key=P + "unit",
        on_change=_touched,
        help="which hidden unit to follow",
        persist_state="session",
    )
    t, unit = min(int(s[P + "t"]), T - 1), int(s[P + "unit"])

    # one st.html for the drawn cell (an SVG image), the readings and the timeline marker: an image
    # is decoded and painted in a few ms, a plotly chart whose figure changed is rebuilt (~30 ms);
    # inline SVG would be dropped by st.html's sanitiser
    x_text = None if lt.x.shape[-1] == 1 else explain.describe_input(lt.x[t, 0], encoding)
    drawn = cell_img(explain.step_values(lt, t, unit), unit, t, x_text, max_height=420, arch=lt.arch)
    readings = _readings_html(lt, t, unit, label, encoding)
    st.html(
        f"<div class='lv-step'><div class='lv-drawn'>{drawn}</div>"
        f"<div class='lv-readings'>{readings}</div></div>" + _marker_css(t, T)
    )
    st.query_params.update({"t": str(t), "unit": str(unit)})
    s[P + "link_written"] = {**s.get(P + "link_written", {}), "t": str(t), "unit": str(unit)}


# ---------------------------------------------------------------------------------------- the page

s = st.session_state
arrived = st.query_params.to_dict()
if arrived and arrived != s.get(P + "link_written"):  # a link from outside: shared, or the home page's
    s[P + "warnings"] = _read_link()
for key, (_label, default, *_rest) in KNOBS.items():
    s.setdefault(P + key, default)

st.html(STEP_CSS)
st.title("Step through an LSTM")
st.caption(
    "Pick an input and a model in the sidebar, then move through time: the drawn cell shows one unit's "
    "numbers at step t, the sentences say what each gate did, and the timeline below shows every unit at "
    "every step."
)

with st.sidebar:
    input_box = st.container()  # filled below, once the model says whether it reads this input
    st.header("Model")
    saved, why_not = _trained()
    sources = ["hand-set LSTM"] + (["trained model"] if saved is not None else [])
    if saved is not None and s.get(P + "seen_model") != id(saved):
        # a model trained or loaded since this page last looked: show it (the radio switches back)
        s[P + "seen_model"], s[P + "model_source"] = id(saved), "trained model"
        s[P + "arrived_model"] = True
    if s.get(P + "model_source") not in sources:
        s[P + "model_source"] = sources[0]
    if len(sources) > 1:
        st.radio("Model", sources, key=P + "model_source", horizontal=True)
    elif why_not:
        st.caption(f"Trained model not available here: {why_not}.")
    else:
        st.caption("Train a model on the Train page and it appears here too.")
    use_trained = s[P + "model_source"] == "trained model"
    feed = "the input sequence above"
    if not use_trained:
        for key in ("H", "seed"):
            label, default, low, high, step, _name = KNOBS[key]
            st.number_input(
                label, low, high, step=step, key=P + key, help=KNOB_HELP[key], persist_state="session"
            )
        st.caption("Biases and weight scale: set them and watch the gates move.")
        for key in ("bf", "bi", "bo", "bg", "scale", "hh"):
            label, default, low, high, step, _name = KNOBS[key]
            # number inputs, not sliders: every slider on the page re-renders on each timestep move
            st.number_input(
                label, low, high, step=step, key=P + key, help=KNOB_HELP[key], persist_state="session"
            )
    else:
        rnn = saved.rnn
        meta = getattr(saved, "meta", None) or {}
        layer = direction = 0
        if rnn.num_layers > 1:
            layer = st.number_input("Layer", 0, rnn.num_layers - 1, key=P + "layer")
        if rnn.bidirectional:
            direction = st.radio(
                "Direction",
                [0, 1],
                format_func=["forward", "reverse"].__getitem__,
                key=P + "direction",
                horizontal=True,
            )
        inputs = ["task example"] + (["the input sequence above"] if rnn.input_size == 1 else [])
        feed = st.radio("Feed it", inputs, key=P + "feed") if len(inputs) > 1 else inputs[0]
        if feed == "task example":
            example_seed = st.number_input("Example seed", 0, 2**31 - 1, key=P + "example_seed")
        st.caption(
            f"{rnn.arch.upper()}, H = {rnn.hidden_size}, trained on {meta.get('task', 'an unnamed task')}."
        )

with input_box:
    st.header("Input")
    if use_trained and feed == "task example":
        st.caption("The trained model reads a held-out example of its own task (set in Model below).")
        with st.expander("Sequence for the hand-set LSTM"):
            seq = sequence_input(P_SEQ)
    else:
        seq = sequence_input(P_SEQ)

warnings = s.pop(P + "warnings", [])

trace_key, label, encoding = None, seq.label, None
if use_trained:
    try:
        if feed == "task example":
            x, label = _task_input(saved, int(example_seed))
            if layer == 0:  # a deeper layer reads the hidden states below it, not the task's input
                encoding = (getattr(saved, "meta", None) or {}).get("encoding")
        else:
            x = seq.values.reshape(-1, 1, 1)
        fp = _fingerprint(rnn)
        lt = model_trace(fp, rnn, x, layer, direction)
        trace_key = f"{fp}:{hashlib.sha1(x.tobytes()).hexdigest()}:{layer}:{direction}"
        model_label = f"trained {rnn.arch.upper()} (H = {rnn.hidden_size})"
    except (ValueError, TypeError, KeyError, OSError) as err:  # its task, shapes or size: say so, carry on
        st.error(f"Cannot run the trained model: {err}. Showing the hand-set LSTM instead.")
        use_trained = False
if not use_trained:
    knobs = {k: s[P + k] for k in KNOBS}
    lt = hand_trace(
        seq.values,
        int(knobs["H"]),
        int(knobs["seed"]),
        float(knobs["bf"]),
        float(knobs["bi"]),
        float(knobs["bo"]),
        float(knobs["scale"]),
        float(knobs["bg"]),
        float(knobs["hh"]),
    )
    trace_key = hashlib.sha1(seq.values.tobytes() + repr(sorted(knobs.items())).encode()).hexdigest()
    model_label = (
        f"hand-set LSTM, H = {knobs['H']}, b_f = {knobs['bf']:g}, b_i = {knobs['bi']:g}, "
        f"b_o = {knobs['bo']:g}, b_g = {knobs['bg']:g}, weights ×{knobs['scale']:g}"
        + (f", recurrent weights ×{knobs['scale'] * knobs['hh']:g}" if knobs["hh"] != 1 else "")
    )
    label = seq.label

T, H = lt.h.shape[0], lt.h.shape[-1]
_clamp_state(P + "t", T - 1, P + "link_t")
_clamp_state(P + "unit", H - 1, P + "link_unit")
for w in warnings + s.pop(P + "warnings", []):
    st.warning(w)
if seq.error and not use_trained:
    st.warning(f"The new input was not used ({seq.error}); still showing the last valid one.")
st.caption(f"**Input:** {label} · **Model:** {model_label}")
if s.pop(P + "arrived_model", False) and use_trained:
    st.toast("Showing the model from the Train page. Switch back under **Model** in the sidebar.")
seq_link = query_params_of(seq)  # parses typed numbers: once per run
unlinked = (
    "the session's trained model"
    if use_trained
    else "an uploaded file"
    if seq.source == "csv"
    else "a long typed list"
    if not seq_link
    else None
)
if unlinked:
    st.caption(
        f"This view uses {unlinked}, which the page's address cannot carry: a copied link opens the "
        "hand-set LSTM on the default input."
    )
if lt.arch == "rnn":
    st.info("A vanilla RNN has no gates: each step rewrites its whole hidden state, h = tanh(W x + W h + b).")
elif lt.arch == "gru":
    st.info(
        "A GRU has two gates, reset r and update z, and a candidate n; its hidden state h is also its memory."
    )

# the link: everything but t and unit here; the fragment keeps those two up to date
link = {} if use_trained else {**seq_link, **{KNOBS[k][5]: f"{s[P + k]:g}" for k in KNOBS}}
link |= {"t": str(s[P + "t"]), "unit": str(s[P + "unit"])}
if arrived != link:
    st.query_params.from_dict(link)
s[P + "link_written"] = link

playing = s.get(P + "playing", False)
st.fragment(step_view, run_every=PLAY_SECONDS if playing else None)(lt, label, encoding)

st.subheader("Every unit over all time steps")
st.caption(
    "Gates run from 0 (shut) to 1 (open); candidate, cell and hidden state are signed. "
    "The black line is step t. "
    + (
        "One line per unit."
        if H <= MAX_LINE_UNITS
        else "Each heatmap row is one unit: gates go from dark (0) to yellow (1); in the signed rows red is "
        "positive, blue negative."
    )
)
with st.container(key=P + "timeline"):
    labels = explain.input_labels(lt.x[:, 0], encoding) if encoding else None
    figure = timeline_figure(lt, trace_key, None if labels is None else tuple(labels))
    st.plotly_chart(figure, config=CHART_CONFIG, key=P + "timeline_chart")
