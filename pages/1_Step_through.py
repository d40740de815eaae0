"""Step through: feed a sequence to an LSTM (or the session's trained model) and watch every gate, one step
at a time.

Layout and wiring only. The forward pass runs once per input and model (cached), and one layer's trace goes
to the browser's stepper once per unit (``lstm_vault.stepping.step_payload``): from then on the slider, the
previous and next buttons, the arrow keys and Play step in the browser with no script run, and move the
marker on the timeline of every unit below (``pages.common.timeline_marker``). The knobs, their bounds and
help come from ``lstm_vault.handset``; the trace budget, captions and link checks from
``lstm_vault.step_through``.

Beside the cell, a model with a read-out shows what it predicts at each step
(``lstm_vault.predictions``, from ``SavedModel.predict``): the shown trained model, the shipped next-number
LSTM (each window of the input read from a zero state, as the task trains it) or, when switched on, the
hand-set cell's read-out fitted by least squares.

Page state: the knobs only this page has (``bf``, ``bi``, ``bo``, ``bg``, ``scale``, ``hh``) and ``unit``
are widgets bound to the address; ``H`` and ``seed`` (the Vanishing gradients page has its own, with other
ranges) and the input sequence (``preset`` and ``x`` also pick the source) are kept by hand
(``pages.common.links``, written before any widget is drawn); the stepper keeps ``t``. A new input opens at
t = 0; a new knob or unit keeps t.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st

from lstm_vault import explain, modelfile, predictions, step_through
from lstm_vault.figures.cell import timeline
from lstm_vault.handset import KNOBS, HandSetLSTM
from lstm_vault.sequences import MAX_SEED, PRESETS
from lstm_vault.stepping import step_payload
from pages.common import links, model_upload
from pages.common.interventions_ui import interventions_panel
from pages.common.navigation import sidebar
from pages.common.sequence_input import QUERY_NAMES, apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model, current_model_version, set_current_model
from pages.common.stepper import step_from_query, stepper
from pages.common.timeline_marker import timeline_marker

P = "st_"  # this page's own session keys (a bound widget's key is its link name)
SEQ = "st_x_"  # the sequence widgets' keys
BOUND = ("bf", "bi", "bo", "bg", "scale", "hh")  # knobs only this page has: each widget carries its link
BY_HAND = ("H", "seed")  # also on the Vanishing gradients page, with other ranges: kept by hand
KEYS = {name: name if name in BOUND else P + name for name in KNOBS}  # knob -> session key
HAND_LINK = (*BY_HAND, *QUERY_NAMES)  # what the page writes into the address itself
HAND_SET, TRAINED, NEXT_NUMBER = "hand-set LSTM", "trained model", "next-number LSTM"
EXAMPLE, SEQUENCE, WINDOWS = "task example", "the input sequence above", "windows of the input sequence"
MODEL_NAMES = {TRAINED: "the session's trained model", NEXT_NUMBER: "the shipped next-number LSTM"}
COUNTING = "counting"  # the preset the next-number LSTM opens on: 1, 2, ..., 10
NEXT_NUMBER_FILE = Path(__file__).resolve().parents[1] / "assets" / "models" / "next_number_lstm.npz"
TIMELINE = P + "timeline"  # the container of the timeline chart, marked by the stepper
CHART_CONFIG = {"displayModeBar": False}

st.set_page_config(page_title="Step through · lstm_vault", page_icon="🔍", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_data(max_entries=24, show_spinner=False)
def hand_trace(x, cell: HandSetLSTM, clamps: tuple = ()):
    return cell.trace(x, list(clamps))


@st.cache_data(max_entries=8, show_spinner=False)
def trained_trace(model: tuple[str, int], _rnn, x, layer: int, direction: int, clamps: tuple = ()):
    """``model`` (this session's id and model version) stands for the weights."""
    return step_through.layer_trace(_rnn, x, layer, direction, list(clamps))


@st.cache_data(max_entries=16, show_spinner=False)
def payload(view: tuple, _lt, unit: int, encoding: dict | None, caption: str, _prediction, _shares) -> dict:
    """What the stepper is sent; ``view`` names the trace and the read-out."""
    return step_payload(_lt, unit, encoding=encoding, caption=caption, prediction=_prediction, shares=_shares)


@st.cache_data(max_entries=8, show_spinner=False)
def model_prediction(view: tuple, _saved, x, example_seed: int | None, scaled: bool):
    """The read-out of the shown model at every step; ``view`` names the model and its input."""
    return step_through.model_prediction(_saved, x, example_seed, scaled)


@st.cache_resource(max_entries=16, show_spinner=False)
def hand_fit(x, cell: HandSetLSTM) -> predictions.Fit:
    """The hand-set cell's read-out, fitted by least squares to the next input (shared read-only)."""
    return predictions.fitted_readout(cell.build(), x.reshape(-1, 1, 1))


@st.cache_resource(show_spinner=False)
def next_number_model() -> modelfile.SavedModel:
    """The shipped next-number LSTM (assets/models/README.md), shared read-only."""
    return modelfile.load(NEXT_NUMBER_FILE)


@st.cache_resource(max_entries=8, show_spinner=False)
def timeline_figure(view: tuple, _lt, input_text: tuple[str, ...] | None, _prediction, input_names=None):
    """Built once per trace and shared read-only (pickling a figure through st.cache_data re-validates it)."""
    line = None if _prediction is None else predictions.timeline_line(_prediction)
    text = None if input_text is None else list(input_text)
    return timeline(_lt, input_text=text, prediction=line, input_names=input_names)


def model_changed() -> None:
    """The next-number LSTM opens on the classic example, counting 1 to 10, unless the user typed or
    uploaded an input of their own."""
    if s[P + "model_source"] == NEXT_NUMBER and s.get(SEQ + "source", "preset") == "preset":
        s[SEQ + "preset"], s[SEQ + "T"] = COUNTING, PRESETS[COUNTING].default_length
        s[SEQ + "source"] = "preset"


def write_hand_link(seq_link: dict | None) -> None:
    """The parameters kept by hand: the sequence's (``seq_link``, None when a model other than the hand-set
    cell is shown) with H and the seed. Written before any widget is drawn, as pages/3_Train.py does: on the
    first run after a visit to another page, Streamlit's browser side drops an address written after the
    page's bound widgets."""
    params = {} if seq_link is None else {**seq_link, **{n: KNOBS[n].link_text(s[KEYS[n]]) for n in BY_HAND}}
    links.write({k: v for k, v in params.items() if v is not None}, HAND_LINK, P + "link")


def uploaded(source: str, saved) -> None:
    """The sidebar's upload becomes the session's model, shown at once (no toast about the Train page)."""
    set_current_model(saved)
    st.session_state[P + "seen_model"] = current_model_version()
    st.session_state[P + "model_source"] = TRAINED


def reset_to_defaults() -> None:
    """The knobs and the unit back to their defaults, and the stepper back to t = 0; the input stays."""
    for name, knob in KNOBS.items():
        st.session_state[KEYS[name]] = knob.default
    st.session_state["unit"] = 0
    st.session_state[P + "restart"] = True


def knob_input(name: str) -> None:
    knob, bound = KNOBS[name], name in BOUND
    st.number_input(
        knob.label,
        knob.low,
        knob.high,
        # a bound widget's default leaves the address clean; the kept-by-hand ones start from session state
        **({"value": knob.default, "bind": "query-params"} if bound else {}),
        step=knob.step,
        key=KEYS[name],
        help=knob.help,
        persist_state="session",  # kept when the user visits another page and comes back
    )


# ------------------------------------------------------------------------------------- the link
s = st.session_state
notes: list[str | None] = []  # what was wrong with a link, shown at the top
for name in BOUND:  # the widget drops a bad value; say so the first time this session sees one
    if name in st.query_params and name not in s:
        notes.append(KNOBS[name].link_warning(st.query_params[name], KNOBS[name].default))
arrived = links.arrived(HAND_LINK, P + "link")
for name in BY_HAND:
    s.setdefault(KEYS[name], KNOBS[name].default)
if arrived is not None:
    notes += apply_query_params(arrived, SEQ)
    for name in (name for name in BY_HAND if name in arrived):
        warning = KNOBS[name].link_warning(arrived[name], s[KEYS[name]])
        if warning is None:
            s[KEYS[name]] = KNOBS[name].parse(arrived[name])
        notes.append(warning)
fresh = arrived is not None or P + "stepper" not in s  # the stepper opens at the link's t
if P + "seq_link" in s:  # the input as last shown; a new one is written again below
    write_hand_link(s[P + "seq_link"])

st.title("Step through an LSTM")
st.caption(
    "Pick an input and a model in the sidebar, then move through time: the drawn cell shows one unit's "
    "numbers at step t, the sentences say what each gate did, and the timeline below shows every unit at "
    "every step."
)
notes_box = st.container()

# ------------------------------------------------------------------------------------ the sidebar
saved, version = current_model(), current_model_version()
# the version counts per session, and the caches serve every session: the model is (this session, version)
model_id = (s.setdefault(P + "session", uuid.uuid4().hex), version)
why_not = None if saved is None else step_through.unsteppable(saved)
sources = [HAND_SET, NEXT_NUMBER] + ([TRAINED] if saved is not None and why_not is None else [])
if TRAINED in sources and s.get(P + "seen_model") != version:
    # a model trained or loaded since this page last looked: show it (the radio switches back)
    s[P + "seen_model"], s[P + "model_source"] = version, TRAINED
    st.toast("Showing the model from the Train page. Switch back under **Model** in the sidebar.")
if s.get(P + "model_source") not in sources:
    s[P + "model_source"] = sources[0]

with st.sidebar:
    input_box = st.container()  # filled below, once the model says whether it reads this input
    st.header("Model")
    with st.expander("Your own model: torch, Keras or this app's file"):
        model_upload.panel(P + "upload", uploaded)
    st.radio("Model", sources, key=P + "model_source", horizontal=True, on_change=model_changed)
    if why_not:
        st.caption(f"Trained model not available here: {why_not}.")
    elif TRAINED not in sources:
        st.caption("Train a model on the Train page and it appears here too.")
    use_trained, feed = s[P + "model_source"] in (TRAINED, NEXT_NUMBER), SEQUENCE
    if s[P + "model_source"] == NEXT_NUMBER:
        saved, model_id = next_number_model(), ("shipped", NEXT_NUMBER_FILE.name)
    width = step_through.window_width(saved) if use_trained else None
    if use_trained:
        rnn, layer, direction = saved.rnn, 0, 0
        if rnn.num_layers > 1:
            layer = st.number_input("Layer", 0, rnn.num_layers - 1, key=P + "layer", persist_state="session")
        if rnn.bidirectional:
            direction = st.radio(
                "Direction",
                [0, 1],
                format_func=["forward", "reverse"].__getitem__,
                key=P + "direction",
                persist_state="session",
            )
        feeds = [{"example": EXAMPLE, "sequence": SEQUENCE}[f] for f in step_through.feeds(saved)]
        feeds = ([WINDOWS] if width else []) + feeds  # a model that names no task reads the input above
        if s.get(P + "feed") not in feeds:
            s[P + "feed"] = feeds[0]
        feed = st.radio("Feed it", feeds, key=P + "feed", persist_state="session") if feeds[1:] else feeds[0]
        if feed not in feeds:  # another model's choice
            feed = feeds[0]
        if feed == EXAMPLE:
            example_seed = st.number_input(
                "Example seed", 0, MAX_SEED, key=P + "example_seed", persist_state="session"
            )
        window_box = st.container()  # the window to step through, once the input is known
        st.caption(step_through.trained_caption(saved))
    else:
        for name in BY_HAND:
            knob_input(name)
        st.caption("Biases and weight scale: set them and watch the gates move.")
        for name in BOUND:
            knob_input(name)
        st.toggle(
            "Read-out: predict the next input",
            key=P + "readout",
            persist_state="session",
            help="A linear map from h_t to the next input, fitted by least squares to this input: not "
            "trained, it shows how much of the next input the hidden state holds.",
        )
        st.button(
            "Reset to defaults",
            icon=":material/restart_alt:",
            key=P + "reset",
            on_click=reset_to_defaults,
            help="H, the seed, the biases, the weight scales and the unit back to their defaults, and the "
            "step back to t = 0. The input stays.",
        )
    st.header("Experiment")
    experiment_box = st.empty()  # the trained model's or the hand-set cell's panel, whichever is shown

with input_box:
    st.header("Input")
    if feed == EXAMPLE:
        st.caption("The trained model reads a held-out example of its own task (set in Model below).")
        with st.expander("Sequence for the hand-set LSTM"):
            seq = sequence_input(SEQ)
    else:  # a model that scales numbers itself needs no advice to standardise them
        seq = sequence_input(SEQ, warn_large=not (use_trained and step_through.input_scaling(saved)))

# --------------------------------------------------------------------------------- the trace shown
encoding, prediction, fit, scaling_note = None, None, None, ""
if use_trained:
    try:
        if feed == WINDOWS:  # one window of the input, read from a zero state as the task trains the model
            windows = step_through.window_options(seq.values, width)
            if not windows:
                raise ValueError(f"the input holds fewer numbers than the model's window of {width}")
            with window_box:
                start = st.selectbox(
                    "Window", range(len(windows)), format_func=windows.__getitem__, key=P + "window"
                )
            x, prediction, label = step_through.window_input(saved, seq.values, int(start), width)
        elif feed == EXAMPLE:
            x, label = saved.example(int(example_seed))
        else:  # the user's numbers, scaled as the model's task fed it (unless they are standardised already)
            x, label = step_through.model_input(rnn, seq.matrix, seq.columns), seq.label
            if step_through.input_scaling(saved) is not None:
                if seq.standardised:
                    notes.append(step_through.own_standardising_warning(saved))
                else:
                    x, scaling_note = (
                        step_through.scaled_input(saved, x),
                        step_through.scaling_note(saved, seq.columns),
                    )
        with experiment_box.container():
            exp = interventions_panel(saved, x, int(layer), int(direction), s.get("unit", 0), key=P + "exp_t")
        lt = trained_trace(model_id, rnn, x, int(layer), int(direction), clamps := tuple(exp.records))
        view = (TRAINED, model_id, x.tobytes(), int(layer), int(direction), clamps)
        if clamps:  # the read-out beside the cell would be the model's without the experiment: not shown
            prediction = None
        elif feed != WINDOWS:
            seed = int(example_seed) if feed == EXAMPLE else None
            prediction = model_prediction(view[:3] + (seed,), saved, x, seed, bool(scaling_note))
        model_label = step_through.trained_label(rnn, saved)
        encoding = step_through.input_encoding(saved, int(layer), feed == EXAMPLE)
    except step_through.InputMismatch as err:  # the user's input has other columns: say what to pick
        st.warning(f"{err} Showing the hand-set LSTM until then.")
        use_trained, prediction = False, None
    except ValueError as err:  # its task, shapes or size: say so, carry on with the hand-set cell
        st.error(f"Cannot run the trained model: {err}. Showing the hand-set LSTM instead.")
        use_trained, prediction = False, None
if not use_trained:
    cell = HandSetLSTM(**{name: s.get(KEYS[name], knob.default) for name, knob in KNOBS.items()})
    x, label, model_label = seq.values, seq.label, cell.describe()
    with experiment_box.container():
        exp = interventions_panel(cell.build(), x.reshape(-1, 1, 1), unit=s.get("unit", 0), key=P + "exp_h")
    clamps = tuple(exp.records)
    lt, view = hand_trace(x, cell, clamps), (HAND_SET, x.tobytes(), cell, clamps)
    if s.get(P + "readout") and len(x) >= 2 and not clamps:  # fitted to the cell without the experiment
        fit = hand_fit(x, cell)
        prediction = predictions.predict_steps(fit.saved, x.reshape(-1, 1, 1), fitted=True)
        view = (*view, "fit")
T, H = lt.h.shape[0], lt.h.shape[-1]

# a new input (or a reset) opens at t = 0 and a link at its own t: a new key is a new step in the browser
fed = x.tobytes()
restart = s.pop(P + "restart", False) or s.get(P + "fed", fed) != fed
s[P + "fed"] = fed
if fresh or restart:
    s[P + "stepper"] = s.get(P + "stepper", -1) + 1
initial_t = 0 if restart and not fresh else None
if fresh and "t" in st.query_params:
    notes.append(step_through.step_link_warning(st.query_params["t"], T, step_from_query(T)))

unit_link = st.query_params.get("unit") if "unit" not in s else None
c_view, c_unit = st.columns([6, 1], vertical_alignment="bottom")
c_view.caption(step_through.view_caption(label, model_label))
if use_trained and scaling_note:
    c_view.caption(scaling_note)
seq_link = query_params_of(seq)  # parses typed numbers: once per run
shown_model = MODEL_NAMES.get(s[P + "model_source"], "")
if unlinked := step_through.unlinked_note(use_trained, seq.source, bool(seq_link), shown_model):
    c_view.caption(unlinked)
unit = c_unit.number_input(
    "unit",
    0,
    H - 1,
    value=0,
    key="unit",
    bind="query-params",
    persist_state="session",
    help="Which hidden unit the drawn cell and the sentences follow.",
)
if unit_link is not None:
    notes.append(step_through.unit_link_warning(unit_link, H, unit))
if note := step_through.ARCH_NOTES.get(lt.arch):
    st.info(note)
if exp.note:
    st.info(exp.note, icon=":material/science:")
with notes_box:
    for warning in filter(None, notes):
        st.warning(warning)
    if seq.error and not use_trained:
        st.warning(f"The new input was not used ({seq.error}); still showing the last valid one.")

caption = step_through.readings_caption(lt, unit, label)
readout = fit.saved if fit is not None else saved if use_trained else None
shown = (int(layer), int(direction)) if use_trained else (0, 0)  # the layer and direction drawn
shares = step_through.readout_shares(readout, prediction, lt, *shown, unit)
stepper(
    payload(view, lt, unit, encoding, caption, prediction, shares),
    key=f"{P}step{s[P + 'stepper']}",
    initial_t=initial_t,
    marks=[TIMELINE],
)
exp.show(unit)

# ------------------------------------------------------------------------------------ the read-out
if fit is not None:
    st.caption(predictions.fit_sentence(fit))
if use_trained and feed == WINDOWS:
    st.subheader(f"Each window of {width}, read from a zero state")
    st.caption(step_through.window_caption(saved, width))
    if seq.standardised:
        st.warning(step_through.standardised_windows_warning(saved))
    rows = predictions.window_table(saved, seq.values, width)
    st.table(step_through.window_table_columns(rows[: step_through.MAX_WINDOW_ROWS]))
    if len(rows) > step_through.MAX_WINDOW_ROWS:
        st.caption(f"The first {step_through.MAX_WINDOW_ROWS} of {len(rows)} windows.")

st.subheader("Every unit over all time steps")
st.caption(step_through.timeline_caption(H))
timeline_marker(TIMELINE, step_from_query(T) if initial_t is None else initial_t, T)
with st.container(key=TIMELINE):
    labels = explain.input_labels(lt.x[:, 0], encoding) if encoding else None
    user_input = not use_trained or feed == SEQUENCE
    names = step_through.input_names(saved if use_trained else None, seq.columns, user_input, lt.x.shape[-1])
    figure = timeline_figure(view, lt, None if labels is None else tuple(labels), prediction, names)
    st.plotly_chart(figure, config=CHART_CONFIG, key=P + "timeline_chart")

s[P + "seq_link"] = None if use_trained else seq_link
write_hand_link(s[P + "seq_link"])  # again, for an input or knob changed in this run
