"""Vanishing gradients: one input sequence through a tanh RNN and an LSTM, a loss at the last step, and how
much of its gradient reaches every earlier step.

Layout and wiring only: widgets -> ``lstm_vault.vanishing`` -> ``lstm_vault.figures.gradients``. The RNN's
half and the LSTM's half of a run are cached apart, so dragging ρ recomputes only the RNN and the forget bias
only the LSTM; each figure is cached on the halves it draws. The controls (bounds, steps, help) and the
choice of models come from ``lstm_vault.gradient_models``, every sentence from
``lstm_vault.gradient_readings`` and ``lstm_vault.gradient_notes``, the equations from ``lstm_vault.explain``.

A slider move reruns the page, so what does not need to follow every move waits until it is asked for: the
edge sweep (its chart marks ρ), the input-gradient heatmaps (open at first when a trained pair's example marks
steps) and "How this is computed" are drawn only while their expanders are open, and the f = 1
experiment (``vanishing.forget_clamp``: every forget gate clamped to 1, the running product of f beside
‖∂L/∂c_t‖ of that run) only while its toggle is on; each model's readings are one markdown element.

Page state: ρ (``rho``) and the forget-gate bias (``fb``), which only this page has, are sliders bound to
the address; ``H`` and ``seed`` (Step through has its own, with other ranges), the model choice
(``compare=shipped``, ``session`` or ``current``) and the input sequence (``preset``, ``T``, ``xseed``, ``x``,
``z``) are kept by hand (``pages.common.links``). A link's bad value falls back to its default with a warning.

The sequence length has two controls that stay in step: the sequence widget's "Length T" in the sidebar and
the slider above the plots (the one a teacher drags); each writes the other's session-state key. Both stop at
T = 2. A pair from a new Train run is picked as soon as it arrives (with a toast; the user can switch back).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from lstm_vault import gradient_notes as notes
from lstm_vault import modelfile
from lstm_vault.explain import GRADIENT_EQUATIONS
from lstm_vault.figures import gradients as figs
from lstm_vault.gradient_edge import EdgeSweep, edge_sweep, sweep_is_quick
from lstm_vault.gradient_models import (
    COMPARE,
    MIN_T,
    SETTINGS,
    SLIDER_T_MAX,
    Pair,
    Resolved,
    choices,
    compare_link_warning,
    load_shipped_pair,
    resolve,
    session_pair,
    unusable,
    unusable_note,
)
from lstm_vault.gradient_readings import forget_clamp_reading, lstm_readings, rnn_readings
from lstm_vault.sequences import PRESETS
from lstm_vault.vanishing import (
    ForgetClamp,
    LSTMSide,
    RNNSide,
    VanishingResult,
    compared_hidden_size,
    forget_clamp,
    lstm_side,
    rnn_side,
)
from pages.common import links
from pages.common.navigation import sidebar
from pages.common.sequence_input import QUERY_NAMES, apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model, last_run_models

P = "vg_"  # this page's session keys, and its sequence widgets' (a bound slider's key is its link name)
BOUND = ("rho", "fb")  # only this page has them: each slider carries its own link parameter
BY_HAND = ("H", "seed")  # also on Step through, with other ranges: kept by hand under this page's keys
KEYS = {name: name if name in BOUND else P + name for name in SETTINGS}  # setting -> session key
HAND_LINK = (*BY_HAND, COMPARE, *QUERY_NAMES)  # what the page writes into the address itself
MODELS, SEEN_PAIR, LENGTH, WIDGET_T = P + "models", P + "seen_pair", P + "len", P + "T"
CHART = {"width": "stretch", "theme": None}

st.set_page_config(page_title="Vanishing gradients · lstm_vault", page_icon="📉", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_data(max_entries=32, show_spinner=False)
def rnn_half(x, H: int, seed: int, rho: float, model_key: str, _model) -> RNNSide:
    """``model_key`` stands for a trained RNN's weights ("" for a fresh one)."""
    return rnn_side(x, H, seed, rho, _model)


@st.cache_data(max_entries=32, show_spinner=False)
def lstm_half(x, H: int, seed: int, fb: float, model_key: str, _model) -> LSTMSide:
    return lstm_side(x, H, seed, fb, _model)


@st.cache_data(max_entries=16, show_spinner=False)
def clamp_run(x, H: int, seed: int, model_key: str, _model) -> ForgetClamp:
    """The LSTM with f clamped to 1: the forget-gate bias does not enter, so its slider keeps this entry."""
    return forget_clamp(x, H, seed, _model)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(x, H: int, seed: int) -> EdgeSweep:
    return edge_sweep(x, H, seed)


# each figure is built once for the halves it draws and shared read-only (pickling one re-validates it)
FIGURES = {
    "norms": figs.gradient_norms,
    "forget": figs.forget_product,
    "inputs": figs.input_gradients,
    "clamp": figs.forget_clamp_plot,
}


@st.cache_resource(max_entries=48, show_spinner=False)
def figure(kind: str, drawn: tuple, _res, **options):
    """``drawn``: what the figure shows (the run and the halves it reads); ``options``: the builder's."""
    return FIGURES[kind](_res, **options)


@st.cache_resource(max_entries=16, show_spinner=False)
def edge_figure(run: tuple, rho: float):
    return figs.edge_sweep(sweep(*run), rho)


@st.cache_resource(show_spinner=False)
def shipped_pair() -> Pair:
    return load_shipped_pair()


def control(widget, name: str) -> None:
    """The control of one setting; a bound one starts from its default, the others from session state."""
    setting, bound = SETTINGS[name], name in BOUND
    widget(
        setting.label,
        setting.low,
        setting.high,
        step=setting.step,
        key=KEYS[name],
        help=setting.help,
        persist_state="session",
        **({"value": setting.default, "bind": "query-params"} if bound else {}),
    )


def follow_length_slider() -> None:
    st.session_state[WIDGET_T] = st.session_state[LENGTH]


# ------------------------------------------------------------------------------------------ the link
s = st.session_state
link_notes: list[str | None] = []  # what was wrong with a link, shown at the top
for name in BOUND:  # the slider drops a bad value itself; say so the first time this session sees one
    if name in st.query_params and name not in s:
        link_notes.append(SETTINGS[name].link_warning(st.query_params[name]))
arrived = links.arrived(HAND_LINK, P + "link") or {}
for name in BY_HAND:
    s.setdefault(KEYS[name], SETTINGS[name].default)
    if name in arrived:
        warning = SETTINGS[name].link_warning(arrived[name])
        if warning is None:
            s[KEYS[name]] = SETTINGS[name].parse(arrived[name])
        link_notes.append(warning)
short_T = arrived.pop("T") if notes.length_link_warning(arrived.get("T"), None) else None
link_notes += apply_query_params({k: v for k, v in arrived.items() if k in QUERY_NAMES}, P)
if short_T is not None:
    using = s.get(WIDGET_T) or PRESETS[s.get(P + "preset", "sine")].default_length  # the preset's, as shown
    link_notes.append(
        notes.length_link_warning(short_T, using if s.get(P + "source", "preset") == "preset" else None)
    )
if s.get(WIDGET_T, MIN_T) < MIN_T:  # the sidebar's length box (shared widget) allows 1
    s[WIDGET_T] = MIN_T
    link_notes.append(notes.SHORT_LENGTH_WARNING)

st.title("Vanishing gradients: RNN vs LSTM")
intro_box, notes_box = st.empty(), st.container()  # filled once the run and the models are known

# ------------------------------------------------------------------------------------------ the sidebar
with st.sidebar:
    input_box, models_box = st.container(), st.container()  # filled out of order: the model decides the input
with models_box:
    st.header("Models")
    current = current_model()
    own = current if current is not None and not unusable(current) else None
    session = session_pair(current, last_run_models())
    options = choices(own, session)
    if session is not None and s.get(SEEN_PAIR) != (seen := session.fingerprint()):  # a new Train run
        if SEEN_PAIR in s:
            st.toast(
                "Now comparing the LSTM and RNN of your last Train run; pick other models in the sidebar."
            )
        s[SEEN_PAIR], s[MODELS] = seen, "session"
    if COMPARE in arrived:
        warning = compare_link_warning(arrived[COMPARE], options)
        s[MODELS] = arrived[COMPARE] if warning is None else ""
        link_notes.append(warning)
    if s.get(MODELS) not in options:
        s[MODELS] = ""
    choice = st.radio("Compare", list(options), format_func=options.get, key=MODELS, persist_state="session")
    if current is not None and own is None:
        st.caption(unusable_note(current))
    try:
        chosen = resolve(choice, own, session, shipped_pair, int(s[KEYS["seed"]]))
    except (modelfile.ModelFileError, OSError) as err:
        st.error(f"Cannot load the shipped models: {err}")
        chosen = Resolved(Pair(""))
    if chosen.note:
        st.caption(chosen.note)
    pair, example = chosen.pair, chosen.example
    if pair.any_model is None:
        control(st.slider, "H")
    else:
        st.caption(notes.trained_size_caption(pair.any_model.rnn.hidden_size))
    control(st.number_input, "seed")
with input_box:
    st.header("Input")
    if example is not None:
        st.info(notes.input_not_used(example.label))
    seq = sequence_input(P)

x, x_label = (example.x, example.label) if example is not None else (seq.values, seq.label)
length_col, rho_col, fb_col = st.columns(3)
with length_col:
    if example is not None:
        st.metric("Sequence length T", len(x), help="Set by the trained models' task.")
    elif seq.source == "preset":
        s[LENGTH] = int(seq.length)  # the sidebar box may have moved: follow it
        st.slider(
            "Sequence length T",
            MIN_T,
            max(SLIDER_T_MAX, seq.length),
            key=LENGTH,
            on_change=follow_length_slider,
            help="Steps the gradient travels back through.",
        )
    else:
        st.metric("Sequence length T", seq.length, help="Set by your numbers.")
with rho_col:
    rho_box = st.container()  # the RNN's σ_max goes under its ρ once the run is known
    if "rnn" not in pair.trained:
        with rho_box:
            control(st.slider, "rho")
with fb_col:
    if "lstm" in pair.trained:
        bias = notes.trained_forget_bias(pair.model("lstm"))
        st.metric("LSTM forget-gate bias", bias, help="The trained LSTM's own (mean of units).")
    else:
        control(st.slider, "fb")

hand_link = query_params_of(seq) | ({COMPARE: choice} if choice else {})
hand_link |= {name: str(s[KEYS[name]]) for name in BY_HAND if s[KEYS[name]] != SETTINGS[name].default}
links.write(hand_link, HAND_LINK, P + "link")
for warning in filter(None, link_notes):
    notes_box.warning(notes.as_sentence(warning))
if len(x) < MIN_T:
    st.info(notes.SINGLE_STEP_INFO)
    st.stop()

# ------------------------------------------------------------------------------------------ the run
# a trained side ignores its slider: its default keeps that half's cache entry when the slider moves
rho = SETTINGS["rho"].default if "rnn" in pair.trained else float(s.get("rho", SETTINGS["rho"].default))
fb = SETTINGS["fb"].default if "lstm" in pair.trained else float(s.get("fb", SETTINGS["fb"].default))
seed = int(s[KEYS["seed"]])
rnn_id, lstm_id = (rho, pair.side_key("rnn")), (fb, pair.side_key("lstm"))  # what each half depends on
marked = example.marked if example is not None else ()
try:
    H = compared_hidden_size(int(s[KEYS["H"]]), pair.model("rnn"), pair.model("lstm"))
    run_id = (x, H, seed)
    # a spinner costs a timer thread per run: only where the run may take long enough to need one
    with st.spinner("Backpropagating…") if not sweep_is_quick(len(x), H) else contextlib.nullcontext():
        halves = (
            rnn_half(*run_id, *rnn_id, pair.model("rnn")),
            lstm_half(*run_id, *lstm_id, pair.model("lstm")),
        )
        res = VanishingResult.of_sides(*run_id, *halves)
except ValueError as err:
    st.error(f"Cannot run this setting: {err}")
    st.stop()

intro_box.markdown(
    notes.intro(res, pair.source, pair.task_title, pair.losses() if len(pair.trained) == 2 else None)
)
rho_box.caption(notes.singular_value_caption(res))
st.plotly_chart(figure("norms", (run_id, rnn_id, lstm_id), res), **CHART, key=P + "norms")
st.caption(notes.norms_caption(res, x_label))
if clipped := figs.clip_notes(res):
    st.caption(" ".join(notes.as_sentence(n) for n in clipped))

for col, metric in zip(st.columns(4), notes.headline_metrics(res)):
    col.metric(
        metric.label, metric.value, delta=metric.delta, delta_color="off", delta_arrow="off", help=metric.help
    )

# ---- why, with this run's numbers
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Why the RNN's gradient vanishes (or explodes)")
    st.markdown(notes.RNN_STEP)
    st.latex(GRADIENT_EQUATIONS["rnn_step"])
    st.latex(GRADIENT_EQUATIONS["rnn_product"])
    st.markdown(notes.MEAN_FIELD)
    st.latex(GRADIENT_EQUATIONS["rnn_estimate"])
    st.markdown(notes.MEAN_FIELD_SLOPES)
    st.markdown(notes.paragraphs(rnn_readings(res)))  # one element: fewer to redraw per slider move
    if res.prediction_applies:  # the sweep's chart marks ρ: drawn only when opened, not at every move
        edge = st.expander(notes.EDGE_TITLE, key=P + "edge", on_change="rerun")
        if edge.open and (sweep_is_quick(res.T, H) or edge.button(notes.EDGE_BUTTON)):
            edge.markdown(notes.edge_reading(sweep(*run_id)))
            edge.plotly_chart(edge_figure(run_id, res.spectral_radius), **CHART)
            edge.caption(notes.EDGE_CAPTION)

with right:
    st.subheader("How the LSTM's cell state can carry it")
    st.markdown(notes.LSTM_STEP)
    st.latex(GRADIENT_EQUATIONS["lstm_step"])
    st.latex(GRADIENT_EQUATIONS["lstm_product"])
    st.caption("The second line is the cell-state path alone, without the route through h.")
    st.markdown(notes.paragraphs(lstm_readings(res)))
    st.markdown(notes.GATES_LEARN)
    st.plotly_chart(figure("forget", (run_id, lstm_id), res), **CHART, key=P + "forget")
    st.caption(notes.forget_caption(res, figs.MAX_UNIT_LINES))
    if st.toggle(notes.CLAMP_TOGGLE, key=P + "clamp", help=notes.CLAMP_HELP, persist_state="session"):
        clamp_id = (run_id, pair.side_key("lstm"))
        clamped = clamp_run(*run_id, pair.side_key("lstm"), pair.model("lstm"))
        st.plotly_chart(figure("clamp", clamp_id, clamped), **CHART, key=P + "clamped")
        st.markdown(forget_clamp_reading(clamped))

# ---- which inputs still matter
st.subheader("Which inputs can the loss still feel?")
st.markdown(
    notes.paragraphs([notes.input_reading(res, figs.DX_DECADES), *notes.marked_steps_readings(res, marked)])
)
# two heatmaps that change with every ρ and bias move: drawn while open (open at first for marked steps)
heatmaps = st.expander(notes.HEATMAPS_TITLE, expanded=bool(marked), key=P + "heatmaps", on_change="rerun")
if heatmaps.open:
    heatmaps.plotly_chart(
        figure("inputs", (run_id, rnn_id, lstm_id), res, marked=marked), **CHART, key=P + "dx"
    )

methods = st.expander("How this is computed", key=P + "methods", on_change="rerun")
if methods.open:  # drawn only when open: its formulas need not be redrawn while a slider moves
    methods.latex(GRADIENT_EQUATIONS["loss"])
    methods.markdown(notes.method_notes(res))
