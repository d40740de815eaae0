"""Vanishing gradients: one input sequence through a tanh RNN and an LSTM, a loss at the last step, and how
much of its gradient reaches every earlier step.

Layout and wiring only: widgets -> ``lstm_vault.vanishing`` -> ``lstm_vault.gradient_live`` (the live view)
and ``lstm_vault.figures.gradients`` (the charts Python draws). The controls (bounds, steps, help) and the
choice of models come from ``lstm_vault.gradient_models``, every sentence from
``lstm_vault.gradient_readings`` and ``lstm_vault.gradient_notes``, the equations from ``lstm_vault.explain``.

ρ, the forget-gate bias and a preset's length move in the browser (``pages.common.gradient_live``): the RNN's
half is computed for every ρ of the view and the LSTM's half for every bias (cached per input, size, seed and
grid), both halves at the lengths next to the committed one (at the committed ρ and bias, on the same axes),
and the browser swaps the charts' lines, the metrics and the sentences with no script run. When a slider
rests, the browser sets the view's state ``at`` (one run), so what Python draws for the committed values
follows: the edge sweep (its chart marks ρ), the input-gradient heatmaps (open at first when a trained pair's
example marks steps) and "How this is computed", each drawn only while its expander is open, and the f = 1
experiment (``vanishing.forget_clamp``) only while its toggle is on; a new length gets every ρ and bias. A new
input, size or seed first gets the committed values and their neighbours (and a few lengths); the browser asks
for the rest (state ``full``) a second later.

Page state: ρ (``rho``) and the forget-gate bias (``fb``) are where the browser's sliders last rested, else a
link's values (the browser writes ``?rho=`` and ``?fb=`` at every move), else this session's, else the
defaults; ``H`` and ``seed`` (Step through has its own, with other ranges), the model choice
(``compare=shipped``, ``session`` or ``current``) and the input sequence (``preset``, ``T``, ``xseed``, ``x``,
``z``) are kept by hand (``pages.common.links``). A link's bad value falls back to its default with a warning.

The sequence length of a preset has two controls that stay in step: the sequence widget's "Length T" in the
sidebar and the live view's slider above the plots (the one a teacher drags). A commit of the browser's slider
sets the sidebar's key once (its number ``n``: the browser's last commit stays its state, and must not put
back a length typed in the box since); the slider follows the box's length when Python sends it. Both stop at
T = 2; typed numbers, a CSV and a trained pair's task input have their own length (a metric). A pair from a
new Train run is picked as soon as it arrives (with a toast; the user can switch back)."""

from __future__ import annotations

import streamlit as st

from lstm_vault import gradient_live as live
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
from lstm_vault.gradient_readings import forget_clamp_reading
from lstm_vault.sequences import MAX_LENGTH, PRESETS
from lstm_vault.vanishing import (
    ForgetClamp,
    LSTMSide,
    RNNSide,
    VanishingResult,
    compared_hidden_size,
    forget_clamp,
)
from pages.common import links
from pages.common.gradient_live import committed, live_part, live_state, live_top
from pages.common.navigation import sidebar
from pages.common.sequence_input import (
    QUERY_NAMES,
    SequenceChoice,
    apply_query_params,
    query_params_of,
    sequence_input,
    with_length,
)
from pages.common.session import current_model, last_run_models

P = "vg_"  # this page's session keys, and its sequence widgets'
GROUP = "vg"  # the live view's parts (pages.common.gradient_live)
LIVE = ("rho", "fb")  # moved in the browser; the address carries them (?rho=, ?fb=), written by the browser
BY_HAND = ("H", "seed")  # also on Step through, with other ranges: kept by hand under this page's keys
KEYS = {name: P + name for name in SETTINGS}  # setting -> session key
HAND_LINK = (*BY_HAND, COMPARE, *QUERY_NAMES)  # what the page writes into the address itself
MODELS, SEEN_PAIR, WIDGET_T = P + "models", P + "seen_pair", P + "T"
SEEN_COMMIT, FULL = P + "seen_commit", P + "full"  # the browser's last commit applied; payloads sent whole
CHART = {"width": "stretch", "theme": None}

st.set_page_config(page_title="Vanishing gradients · lstm_vault", page_icon="📉", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_data(max_entries=8, show_spinner=False)
def rnn_sweep(x, H: int, seed: int, values: tuple, model_key: str, _model) -> tuple[RNNSide, ...]:
    """The RNN's half at every ρ of ``values``; ``model_key`` stands for a trained RNN's weights ("")."""
    return live.rnn_sides(x, H, seed, values, _model)


@st.cache_data(max_entries=8, show_spinner=False)
def lstm_sweep(x, H: int, seed: int, values: tuple, model_key: str, _model) -> tuple[LSTMSide, ...]:
    return live.lstm_sides(x, H, seed, values, _model)


def sweeps(run_id: tuple, rho_grid, fb_grid, side_keys: tuple, pair) -> tuple[live.Sweep, live.Sweep]:
    rnn = live.Sweep(rho_grid, rnn_sweep(*run_id, rho_grid.values, side_keys[0], pair.model("rnn")))
    lstm = live.Sweep(fb_grid, lstm_sweep(*run_id, fb_grid.values, side_keys[1], pair.model("lstm")))
    return rnn, lstm


@st.cache_data(max_entries=16, show_spinner=False)
def view_axes(run_id: tuple, rho_grid, fb_grid, side_keys: tuple, _pair) -> tuple:
    """The y axes of every view within these (whole) grids, from their ends and defaults alone
    (:func:`lstm_vault.gradient_live.probe`): a first, small view gets the axes the whole one will have."""
    return live.axis_ranges(*sweeps(run_id, live.probe(rho_grid), live.probe(fb_grid), side_keys, _pair))


@st.cache_resource(max_entries=8, show_spinner=False)
def live_view(
    run_id: tuple,
    rho_values: tuple,
    fb_values: tuple,
    side_keys: tuple,
    x_label: str,
    own: str,
    ranges: tuple,
    _sweeps,
):
    """The live view's data for every ρ and bias of the grids, on the axes ``ranges``: computed once per
    input, size, seed and grids, and kept when a slider comes to rest (that changes only
    :func:`live_cross`). ``own``: the sentence in a trained LSTM's slider's place."""
    notes_ = {"fb": own} if own else None
    return live.view_data(*run_id, *_sweeps, x_label, trained_notes=notes_, ranges=ranges)


@st.cache_data(max_entries=16, show_spinner=False)
def live_cross(run_id: tuple, rho_grid, fb_grid, side_keys: tuple, x_label: str, marked: tuple, _sweeps):
    """The sentences that compare both models on the cross through the committed values."""
    return live.cross_data(*run_id, *_sweeps, x_label, marked)


@st.cache_resource(max_entries=160, show_spinner=False)
def length_sides(x, H: int, seed: int, rho: float, fb: float, side_keys: tuple, _pair) -> tuple:
    """Both halves at one other length, at the committed ρ and bias (read-only, shared)."""
    rnn = live.rnn_sides(x, H, seed, (rho,), _pair.model("rnn"))[0]
    return rnn, live.lstm_sides(x, H, seed, (fb,), _pair.model("lstm"))[0]


@st.cache_resource(max_entries=8, show_spinner=False)
def live_lengths(
    made: tuple, H: int, seed: int, rho: float, fb: float, side_keys: tuple, values: tuple, high: int,
    own: str, view: str, _seq: SequenceChoice, _view: dict, _pair,
) -> dict:  # fmt: skip
    """The length slider's data: the views of the lengths ``values`` at the committed ρ and bias, on the
    axes of the committed view (``view``: its fingerprint). ``made``: what the input is made from (preset,
    seed, standardised)."""
    trained = ("rnn" in _pair.trained, "lstm" in _pair.trained)
    entries = []
    for length in values:
        other = with_length(_seq, length)
        rnn, lstm = length_sides(other.values, H, seed, rho, fb, side_keys, _pair)
        halves = (
            live.Sweep(live.window("rho", rho, 1, trained[0]), (rnn,)),
            live.Sweep(live.window("fb", fb, 1, trained[1]), (lstm,)),
        )
        notes_ = {"fb": own} if own else None
        entries.append(
            live.length_entry(other.values, H, seed, *halves, other.label, live.view_ranges(_view), notes_)
        )
    return live.length_data(_view, rho, fb, MIN_T, high, entries)


@st.cache_data(max_entries=16, show_spinner=False)
def clamp_run(x, H: int, seed: int, model_key: str, _model) -> ForgetClamp:
    """The LSTM with f clamped to 1: the forget-gate bias does not enter, so its slider keeps this entry."""
    return forget_clamp(x, H, seed, _model)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(x, H: int, seed: int) -> EdgeSweep:
    return edge_sweep(x, H, seed)


# each figure is built once for the halves it draws and shared read-only (pickling one re-validates it)
FIGURES = {"inputs": figs.input_gradients, "clamp": figs.forget_clamp_plot}


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
    """The control of one setting kept by hand (H, seed), from session state."""
    setting = SETTINGS[name]
    widget(
        setting.label,
        setting.low,
        setting.high,
        step=setting.step,
        key=KEYS[name],
        help=setting.help,
        persist_state="session",
    )


# ------------------------------------------------------------------------------------------ the link
s = st.session_state
link_notes: list[str | None] = []  # what was wrong with a link, shown at the top
rested = committed(GROUP) or {}  # where the browser's sliders last rested
if "T" in rested and rested.get("n") != s.get(SEEN_COMMIT):  # a length the browser's slider set, once
    s[SEEN_COMMIT] = rested.get("n")
    if s.get(P + "source", "preset") == "preset":
        s[WIDGET_T] = int(min(max(round(rested["T"]), MIN_T), MAX_LENGTH))
for name in LIVE:  # else a link's value (once per value it brings), else this session's, else the default
    setting, raw = SETTINGS[name], st.query_params.get(name)
    if name in rested:
        s[KEYS[name]] = live.snap(setting, min(max(rested[name], setting.low), setting.high))
    elif raw is not None and s.get(P + "seen_" + name) != raw:
        s[P + "seen_" + name] = raw
        warning = setting.link_warning(raw)
        if warning is None:
            s[KEYS[name]] = live.snap(setting, setting.parse(raw))
        link_notes.append(warning)
    s.setdefault(KEYS[name], setting.default)
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
length_slider = example is None and seq.source == "preset"  # the live view's slider, beside ρ and the bias
if not length_slider:
    length_col, _ = st.columns([1, 2])
    length_col.metric(
        "Sequence length T",
        len(x),
        help="Set by the trained models' task." if example is not None else "Set by your numbers.",
    )

hand_link = query_params_of(seq) | ({COMPARE: choice} if choice else {})
hand_link |= {name: str(s[KEYS[name]]) for name in BY_HAND if s[KEYS[name]] != SETTINGS[name].default}
links.write(hand_link, HAND_LINK, P + "link")
for warning in filter(None, link_notes):
    notes_box.warning(notes.as_sentence(warning))
if len(x) < MIN_T:
    st.info(notes.SINGLE_STEP_INFO)
    st.stop()

# ------------------------------------------------------------------------------------------ the run
# ρ and the bias where the browser's sliders rest (a trained side ignores its slider)
rho = SETTINGS["rho"].default if "rnn" in pair.trained else s[KEYS["rho"]]
fb = SETTINGS["fb"].default if "lstm" in pair.trained else s[KEYS["fb"]]
seed = int(s[KEYS["seed"]])
marked = example.marked if example is not None else ()
try:
    H = compared_hidden_size(int(s[KEYS["H"]]), pair.model("rnn"), pair.model("lstm"))
    run_id = (x, H, seed)
    side_keys = (pair.side_key("rnn"), pair.side_key("lstm"))
    # a new input, size or seed gets a few slider values first (the page answers at once); the browser
    # then asks for as many as the budgets allow (live_state "full"), computed while the page is read
    view_key = live.fingerprint(x, H, seed, side_keys, x_label, marked)
    trained = ("rnn" in pair.trained, "lstm" in pair.trained)
    full_keys = s.setdefault(FULL, [])  # what the browser asked to have whole (the latest few)
    for asked in str(live_state(GROUP, "full") or "").split("+"):
        if asked and asked not in full_keys:
            full_keys[:] = [*full_keys[-31:], asked]
    full = view_key in full_keys
    n_rho, n_fb = live.counts(len(x), H, *trained, quick=not full)
    whole_rho, whole_fb = live.counts(len(x), H, *trained)
    expand = [view_key] if not full and (whole_rho, whole_fb) != (n_rho, n_fb) else []
    rho_grid = live.window("rho", rho, n_rho, "rnn" in pair.trained)
    fb_grid = live.window("fb", fb, n_fb, "lstm" in pair.trained)
    both = sweeps(run_id, rho_grid, fb_grid, side_keys, pair)
    windows = live.window("rho", rho, whole_rho, trained[0]), live.window("fb", fb, whole_fb, trained[1])
    ranges = view_axes(run_id, *windows, side_keys, pair)  # the same for the first view and the whole one
    own = ""
    if fb_grid.trained:
        bias = notes.trained_forget_bias(pair.model("lstm"))
        own = f"The trained LSTM's own forget-gate bias: **{bias}** (mean over units)."
    view = live_view(run_id, rho_grid.values, fb_grid.values, side_keys, x_label, own, ranges, both)
    cross = live_cross(run_id, rho_grid, fb_grid, side_keys, x_label, marked, both)
    res = VanishingResult.of_sides(*run_id, both[0].sides[rho_grid.index], both[1].sides[fb_grid.index])
    lengths = None
    if length_slider:  # the lengths next to T, at the committed ρ and bias, on this view's axes
        high = max(SLIDER_T_MAX, len(x))
        lengths_key = live.fingerprint(view_key, rho, fb, high)
        whole = lengths_key in full_keys
        values = live.length_window(len(x), MIN_T, high, H, *trained, quick=not whole)
        if not whole and live.length_window(len(x), MIN_T, high, H, *trained) != values:
            expand.append(lengths_key)
        made = (seq.preset, seq.seed, seq.standardised)
        fp = view["fingerprint"]
        lengths = live_lengths(made, H, seed, rho, fb, side_keys, values, high, own, fp, seq, view, pair)
        lengths = {**lengths, "n": s.get(SEEN_COMMIT)}  # the browser's last commit applied (its length)
except ValueError as err:
    st.error(f"Cannot run this setting: {err}")
    st.stop()

intro_box.markdown(
    notes.intro(res, pair.source, pair.task_title, pair.losses() if len(pair.trained) == 2 else None)
)
live_top(view, group=GROUP)
if view_key not in expand and not (rho_grid.complete and fb_grid.complete):  # a first view says so itself
    st.caption(notes.window_note(rho_grid, fb_grid))

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
    more = view_key in expand
    live_part("rnn", group=GROUP, lengths=lengths, expand="+".join(expand) or None, more_values=more)
    if res.prediction_applies:  # the sweep's chart marks ρ: drawn only when opened
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
    live_part("lstm", group=GROUP, cross=cross)
    st.markdown(notes.GATES_LEARN)
    live_part("forget", group=GROUP)
    if st.toggle(notes.CLAMP_TOGGLE, key=P + "clamp", help=notes.CLAMP_HELP, persist_state="session"):
        clamp_id = (run_id, pair.side_key("lstm"))
        clamped = clamp_run(*run_id, pair.side_key("lstm"), pair.model("lstm"))
        st.plotly_chart(figure("clamp", clamp_id, clamped), **CHART, key=P + "clamped")
        st.markdown(forget_clamp_reading(clamped))

# ---- which inputs still matter
st.subheader("Which inputs can the loss still feel?")
live_part("inputs", group=GROUP)
# two heatmaps of the committed ρ and bias: drawn while open (open at first for marked steps)
heatmaps = st.expander(notes.HEATMAPS_TITLE, expanded=bool(marked), key=P + "heatmaps", on_change="rerun")
if heatmaps.open:
    heatmaps.caption(notes.HEATMAPS_FOLLOW)
    heatmaps.plotly_chart(
        figure("inputs", (run_id, (rho, side_keys[0]), (fb, side_keys[1])), res, marked=marked),
        **CHART,
        key=P + "dx",
    )

methods = st.expander("How this is computed", key=P + "methods", on_change="rerun")
if methods.open:  # drawn only when open: its formulas need not be redrawn while a slider moves
    methods.latex(GRADIENT_EQUATIONS["loss"])
    methods.markdown(notes.method_notes(res))
