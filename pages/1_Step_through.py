"""Step through: feed a sequence to an LSTM (or the session's trained model) and watch every gate, one step
at a time.

Layout and wiring only. The forward pass runs once per input and model (cached), and one layer's trace goes
to the browser's stepper once per unit (``lstm_vault.stepping.step_payload``): from then on the slider, the
previous and next buttons, the arrow keys and Play step in the browser with no script run, and move the
marker on the timeline of every unit below (``pages.common.timeline_marker``). The knobs, their bounds and
help come from ``lstm_vault.handset``; the trace budget, captions and link checks from
``lstm_vault.step_through``.

Page state: the knobs only this page has (``bf``, ``bi``, ``bo``, ``bg``, ``scale``, ``hh``) and ``unit``
are widgets bound to the address; ``H`` and ``seed`` (the Vanishing gradients page has its own, with other
ranges) and the input sequence (``preset`` and ``x`` also pick the source) are kept by hand
(``pages.common.links``); the stepper keeps ``t``. A new input opens at t = 0; a new knob or unit keeps t.
"""

from __future__ import annotations

import uuid

import streamlit as st

from lstm_vault import explain, step_through
from lstm_vault.figures.cell import timeline
from lstm_vault.handset import KNOBS, HandSetLSTM
from lstm_vault.sequences import MAX_SEED
from lstm_vault.stepping import step_payload
from pages.common import links
from pages.common.navigation import sidebar
from pages.common.sequence_input import QUERY_NAMES, apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model, current_model_version
from pages.common.stepper import step_from_query, stepper
from pages.common.timeline_marker import timeline_marker

P = "st_"  # this page's own session keys (a bound widget's key is its link name)
SEQ = "st_x_"  # the sequence widgets' keys
BOUND = ("bf", "bi", "bo", "bg", "scale", "hh")  # knobs only this page has: each widget carries its link
BY_HAND = ("H", "seed")  # also on the Vanishing gradients page, with other ranges: kept by hand
KEYS = {name: name if name in BOUND else P + name for name in KNOBS}  # knob -> session key
HAND_LINK = (*BY_HAND, *QUERY_NAMES)  # what the page writes into the address itself
HAND_SET, TRAINED = "hand-set LSTM", "trained model"
EXAMPLE, SEQUENCE = "task example", "the input sequence above"
TIMELINE = P + "timeline"  # the container of the timeline chart, marked by the stepper
CHART_CONFIG = {"displayModeBar": False}

st.set_page_config(page_title="Step through · lstm_vault", page_icon="🔍", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_data(max_entries=24, show_spinner=False)
def hand_trace(x, cell: HandSetLSTM):
    return cell.trace(x)


@st.cache_data(max_entries=8, show_spinner=False)
def trained_trace(model: tuple[str, int], _rnn, x, layer: int, direction: int):
    """``model`` (this session's id and model version) stands for the weights."""
    return step_through.layer_trace(_rnn, x, layer, direction)


@st.cache_data(max_entries=16, show_spinner=False)
def payload(view: tuple, _lt, unit: int, encoding: dict | None, caption: str) -> dict:
    """What the stepper is sent; ``view`` names the trace."""
    return step_payload(_lt, unit, encoding=encoding, caption=caption)


@st.cache_resource(max_entries=8, show_spinner=False)
def timeline_figure(view: tuple, _lt, input_text: tuple[str, ...] | None):
    """Built once per trace and shared read-only (pickling a figure through st.cache_data re-validates it)."""
    return timeline(_lt, input_text=None if input_text is None else list(input_text))


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
sources = [HAND_SET] + ([TRAINED] if saved is not None and why_not is None else [])
if TRAINED in sources and s.get(P + "seen_model") != version:
    # a model trained or loaded since this page last looked: show it (the radio switches back)
    s[P + "seen_model"], s[P + "model_source"] = version, TRAINED
    st.toast("Showing the model from the Train page. Switch back under **Model** in the sidebar.")
if s.get(P + "model_source") not in sources:
    s[P + "model_source"] = sources[0]

with st.sidebar:
    input_box = st.container()  # filled below, once the model says whether it reads this input
    st.header("Model")
    if len(sources) > 1:
        st.radio("Model", sources, key=P + "model_source", horizontal=True)
    elif why_not:
        st.caption(f"Trained model not available here: {why_not}.")
    else:
        st.caption("Train a model on the Train page and it appears here too.")
    use_trained, feed = s[P + "model_source"] == TRAINED, SEQUENCE
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
        feeds = [EXAMPLE] + ([SEQUENCE] if saved.meta.get("encoding", {}).get("type") != "chars" else [])
        feed = st.radio("Feed it", feeds, key=P + "feed", persist_state="session") if feeds[1:] else feeds[0]
        if feed == EXAMPLE:
            example_seed = st.number_input(
                "Example seed", 0, MAX_SEED, key=P + "example_seed", persist_state="session"
            )
        st.caption(step_through.trained_caption(saved))
    else:
        for name in BY_HAND:
            knob_input(name)
        st.caption("Biases and weight scale: set them and watch the gates move.")
        for name in BOUND:
            knob_input(name)
        st.button(
            "Reset to defaults",
            icon=":material/restart_alt:",
            key=P + "reset",
            on_click=reset_to_defaults,
            help="H, the seed, the biases, the weight scales and the unit back to their defaults, and the "
            "step back to t = 0. The input stays.",
        )

with input_box:
    st.header("Input")
    if feed == EXAMPLE:
        st.caption("The trained model reads a held-out example of its own task (set in Model below).")
        with st.expander("Sequence for the hand-set LSTM"):
            seq = sequence_input(SEQ)
    else:
        seq = sequence_input(SEQ)

# --------------------------------------------------------------------------------- the trace shown
encoding = None
if use_trained:
    try:
        x, label = (
            saved.example(int(example_seed))
            if feed == EXAMPLE
            else (seq.model_input(rnn.input_size), seq.label)
        )
        lt = trained_trace(model_id, rnn, x, int(layer), int(direction))
        view = (TRAINED, model_id, x.tobytes(), int(layer), int(direction))
        model_label = step_through.trained_label(rnn)
        encoding = step_through.input_encoding(saved, int(layer), feed == EXAMPLE)
    except ValueError as err:  # its task, shapes or size: say so, carry on with the hand-set cell
        st.error(f"Cannot run the trained model: {err}. Showing the hand-set LSTM instead.")
        use_trained = False
if not use_trained:
    cell = HandSetLSTM(**{name: s.get(KEYS[name], knob.default) for name, knob in KNOBS.items()})
    x, label, model_label = seq.values, seq.label, cell.describe()
    lt, view = hand_trace(x, cell), (HAND_SET, x.tobytes(), cell)
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
seq_link = query_params_of(seq)  # parses typed numbers: once per run
if unlinked := step_through.unlinked_note(use_trained, seq.source, bool(seq_link)):
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
with notes_box:
    for warning in filter(None, notes):
        st.warning(warning)
    if seq.error and not use_trained:
        st.warning(f"The new input was not used ({seq.error}); still showing the last valid one.")

caption = step_through.readings_caption(lt, unit, label)
stepper(
    payload(view, lt, unit, encoding, caption),
    key=f"{P}step{s[P + 'stepper']}",
    initial_t=initial_t,
    marks=[TIMELINE],
)

st.subheader("Every unit over all time steps")
st.caption(step_through.timeline_caption(H))
timeline_marker(TIMELINE, step_from_query(T) if initial_t is None else initial_t, T)
with st.container(key=TIMELINE):
    labels = explain.input_labels(lt.x[:, 0], encoding) if encoding else None
    figure = timeline_figure(view, lt, None if labels is None else tuple(labels))
    st.plotly_chart(figure, config=CHART_CONFIG, key=P + "timeline_chart")

hand_link = {} if use_trained else {**seq_link, **{n: KNOBS[n].link_text(s[KEYS[n]]) for n in BY_HAND}}
links.write({k: v for k, v in hand_link.items() if v is not None}, HAND_LINK, P + "link")
