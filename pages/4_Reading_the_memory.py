"""Reading the memory: held-out text (or a series) coloured by one unit of a trained model, the units that
follow a feature of the text found automatically, gate saturation as in Karpathy, Johnson & Fei-Fei (2015),
and text the model writes from a prompt.

Layout and wiring only. The trace, the ranking, the sentences and the browser payload come from
``lstm_vault.memory_view``; the saturation from ``lstm_vault.saturation``; the writing from
``lstm_vault.generate``; the figures from ``lstm_vault.figures.memory``. The coloured text is a Custom
Components v2 element (``pages.common.memory_text``) sent every unit's values once: switching the unit or the
quantity recolours it in the browser with no script run. The experiment panel (clamps and ablations,
``pages.common.interventions_ui``) reruns the model with its records: the text (or the series) is then
coloured by that run, and the panel draws what changed and the held-out loss without and with.

Page state: ``model`` and ``chars`` are widgets bound to the address; the written text is kept in the session
per model.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

import streamlit as st

from lstm_vault import generate as gen
from lstm_vault import memory_view as mv
from lstm_vault import modelfile
from lstm_vault.figures.memory import saturation_figure, series_figure
from lstm_vault.formatting import fmt
from lstm_vault.memory import FOUND_R
from lstm_vault.saturation import HIGH, LOW, saturation, saturation_sentences
from pages.common.interventions_ui import NONE, interventions_panel
from pages.common.memory_text import memory_text
from pages.common.navigation import sidebar
from pages.common.session import current_model, current_model_version

P = "mem_"  # this page's own session keys
MODELS_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SHIPPED = {"Sonnets": "text_lstm.npz", "Python": "python_lstm.npz"}  # the choice (also the link) -> file
SESSION = "Train page"
CAPTIONS = {
    "Sonnets": "shipped: Shakespeare's Sonnets",
    "Python": "shipped: Python source",
    SESSION: "the model trained or loaded there",
}
CHART_CONFIG = {"displayModeBar": False}
GROUP = "memory"  # the coloured texts of this page share their unit and quantity

st.set_page_config(page_title="Reading the memory · lstm_vault", page_icon="📖", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_resource(max_entries=4, show_spinner=False)
def shipped_model(name: str, mtime: float) -> modelfile.SavedModel:
    """A shipped model file, loaded once (``mtime`` renews it when the file changes); read-only."""
    return modelfile.load(MODELS_DIR / SHIPPED[name])


@st.cache_resource(max_entries=8, show_spinner=False)
def text_view(model: tuple, _saved, n_chars: int, layer: int, source: str) -> mv.TextView:
    """``model`` names the weights (a file, or this session's model and its version)."""
    return mv.text_view(_saved, mv.held_out_text(source, n_chars), source, layer)


@st.cache_data(max_entries=8, show_spinner=False)
def text_payload(view_id: tuple, _view: mv.TextView) -> dict:
    top = mv.top_units(_view.matches)
    return mv.text_payload(
        _view.layer_trace, _view.text, unit=top[0].unit if top else 0, suggested=top, caption=CAPTION
    )


@st.cache_data(max_entries=4, show_spinner=False)
def written_payload(model: tuple, result: gen.Generation, _saved, _view: mv.TextView) -> dict:
    """The written text coloured: the model's trace over what it read and wrote."""
    _, _, trace = _saved.rnn.forward(gen.one_hot(result.full, gen.vocabulary(_saved)))
    top = mv.top_units(_view.matches)
    caption = (
        f"{len(result.used_prompt):,} prompt characters, then {len(result.text):,} written at temperature "
        f"{fmt(result.temperature, 1)} with seed {result.seed}; {100 * result.argmax_share:.0f}% of the "
        "written characters were the model's most likely one at their step."
    )
    lt = trace.layers[model[-1]][0]
    return mv.text_payload(lt, result.full, unit=top[0].unit if top else 0, suggested=top, caption=caption)


@st.cache_resource(max_entries=8, show_spinner=False)
def text_input(view_id: tuple, _saved, text: str):
    """(T, 1, V) the text one-hot, as the model reads it: what the experiment panel runs."""
    return gen.one_hot(text, gen.vocabulary(_saved))


@st.cache_resource(max_entries=8, show_spinner=False)
def series_input(model: tuple, _saved):
    """(T, 1, 1) the series as the model reads it here: what the experiment panel runs."""
    return mv.series_input(_saved)[0]


@st.cache_resource(max_entries=8, show_spinner="Running the model with the experiment...")
def clamped_layer(run_id: tuple, records: str, _saved, _x, layer: int, _records: tuple):
    """The layer's trace (forward direction) of ``_saved`` reading ``_x`` with the experiment's records;
    ``run_id`` names the model and the input, ``records`` (their repr) the records. Read-only."""
    _, _, trace = _saved.rnn.forward(_x, clamps=list(_records))
    return trace.layers[layer][0]


@st.cache_data(max_entries=4, show_spinner=False)
def clamped_payload(run_id: tuple, records: str, _lt, text: str, unit: int, _top: tuple) -> dict:
    """The coloured text of the run with the experiment (``run_id`` and ``records`` name it)."""
    return mv.text_payload(_lt, text, unit=unit, suggested=list(_top), caption=CAPTION + CLAMPED)


def experiment_unit(records: list, default: int) -> int:
    """The first unit the experiment acts on (``default`` when it acts on every unit)."""
    units = records[0].units
    if units is None:
        return default
    return int(units) if isinstance(units, int) else int(units[0])


@st.cache_resource(max_entries=4, show_spinner=False)
def task_length(model: tuple, _saved) -> int | None:
    """How many steps the examples of the model's task are (those the held-out loss averages over), None
    when the task cannot be rebuilt here (the panel says why there is no loss then)."""
    try:
        task = _saved.task()
    except (ValueError, TypeError, OSError):
        return None
    return None if task is None else getattr(task, "length", None)


def experiment_on(exp) -> None:
    """The panel's note, and a warning when the experiment starts after the held-out examples end."""
    st.info(exp.note, icon=":material/science:")
    start, length = min(r.start for r in exp.records), task_length(model_id, saved)
    if length is not None and start >= length:
        st.warning(
            f"The held-out loss averages over examples of the model's task, each {length:,} steps long: an "
            f"experiment that starts at step {start:,} does not reach them, so the loss with it is the loss "
            "without. Start it earlier to see the loss move."
        )


def experiment_panel(x, unit: int, key: str):
    """The experiment widgets in a fold (open while one is on), for ``saved`` reading ``x`` at the layer
    shown, starting on ``unit``."""
    on = s.get(key + "kind", NONE) != NONE
    with st.expander("Experiment: force a gate or silence a unit", expanded=on, icon=":material/science:"):
        return interventions_panel(saved, x, int(layer), 0, unit, key=key)


@st.cache_resource(max_entries=8, show_spinner=False)
def series_view(model: tuple, _saved, layer: int) -> mv.SeriesView:
    return mv.series_view(_saved, layer=layer)


CAPTION = (
    "Colour: the unit's value after it read the character (red high, blue low, white the middle of the "
    "scale). The scale runs over a gate's whole range (0 to 1), h's and g's (-1 to 1), and for the cell "
    "state from -max|c| to +max|c| of that unit over this text."
)
CLAMPED = " What is coloured is the run with the experiment set above."


def markdown_text(text: str) -> str:
    """Text from the user or a file, safe inside st.markdown / st.warning: markdown's special characters
    escaped (and so no HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


# ------------------------------------------------------------------------------------- the model
s = st.session_state
saved_session, version = current_model(), current_model_version()
session_id = s.setdefault(P + "session", uuid.uuid4().hex)
options = [name for name in SHIPPED if (MODELS_DIR / SHIPPED[name]).exists()]
if saved_session is not None:
    options.append(SESSION)
    if s.get(P + "seen_model") != version:  # trained or loaded since this page last looked: show it
        s[P + "seen_model"], s["model"] = version, SESSION
        st.toast("Showing the model from the Train page. Switch back under **Model** in the sidebar.")

st.title("Reading the memory")
st.caption(
    "What does a trained LSTM keep in its cells? Colour a text the model never trained on by one unit, let "
    "the page find the units that follow something in the text (an open bracket, the position in the line), "
    "see how often each gate is shut or open, and let the model write."
)

with st.sidebar:
    st.header("Model")
    if not options:
        st.error("No shipped character model in assets/models/ and no model from the Train page.")
        st.stop()
    choice = st.radio(
        "Model",
        options,
        captions=[CAPTIONS[o] for o in options],
        key="model",
        bind="query-params",
        persist_state="session",
        help="The two shipped character models, or the model trained or loaded on the Train page.",
    )
    if saved_session is None:
        st.caption("Train a model on the Train page and it appears here too.")

try:
    if choice == SESSION:
        saved, model_id = saved_session, ("session", session_id, version)
    else:
        path = MODELS_DIR / SHIPPED[choice]
        saved, model_id = shipped_model(choice, path.stat().st_mtime), ("file", choice, path.stat().st_mtime)
except (OSError, modelfile.ModelFileError) as err:
    st.error(f"Cannot load the shipped {choice} model: {err}")
    st.stop()

encoding = saved.meta.get("encoding") or {}
kind = "text" if encoding.get("type") == "chars" else "series" if saved.rnn.input_size == 1 else None
rnn = saved.rnn
# widgets whose range depends on the model are keyed by it: a value kept for another model may not fit
model_key = hashlib.sha1(repr(model_id).encode()).hexdigest()[:10]
with st.sidebar:
    layer = 0
    if rnn.num_layers > 1:
        layer = st.number_input("Layer", 0, rnn.num_layers - 1, key=f"{P}layer_{model_key}")
    if kind == "text":
        n_chars = st.number_input(
            "Held-out characters",
            mv.MIN_CHARS,
            mv.MAX_CHARS,
            value=mv.MIN_CHARS,
            step=500,
            key="chars",
            bind="query-params",
            persist_state="session",
            help="How much of the text the model never trained on is read and coloured.",
        )
    st.caption(f"{rnn.arch.upper()}, H = {rnn.hidden_size}, trained on {saved.meta.get('task', 'a task')}.")
    if rnn.bidirectional:
        st.caption("A bidirectional model: the forward direction is shown.")

if kind is None:
    st.info(
        f"This view reads character models and series models (one value per step); the model from the Train "
        f"page reads {rnn.input_size} values per step ({saved.meta.get('task', 'no task named')}). Train a "
        "text or series model, or pick a shipped one in the sidebar."
    )
    st.stop()


def interpretable_units(rows: list[dict], n: int, what: str) -> None:
    """The best unit of every feature, or that none was found."""
    st.subheader("Units that follow something, found automatically")
    st.caption(
        f"Every unit's {what} is correlated with each feature over the {n:,} steps shown (Pearson's r); a "
        f"unit counts as following a feature when |r| ≥ {fmt(FOUND_R, 1)}. This is a rough guide: r measures "
        "a straight-line relation over this stretch only, and says nothing of cause (clamping or silencing "
        "the unit tests that)."
    )
    st.write(mv.found_sentence(rows))
    st.dataframe(
        rows,
        hide_index=True,
        column_config={"r": st.column_config.NumberColumn("r", format="%.2f")},
        width="stretch",
    )


def gate_saturation(layer_trace) -> None:
    sat = saturation(layer_trace, LOW, HIGH)
    st.subheader("Gate saturation")
    if not sat:
        st.caption("A plain RNN has no gates to saturate.")
        return
    st.caption(
        "As in Karpathy, Johnson & Fei-Fei (2015): one point a unit, one panel a gate. Across: the share of "
        f"steps the gate is above {fmt(HIGH, 1)} (right-saturated, almost open); up: the share below "
        f"{fmt(LOW, 1)} (left-saturated, almost shut). A point near the origin is a gate that is rarely "
        "either."
    )
    st.plotly_chart(saturation_figure(sat, LOW, HIGH), config=CHART_CONFIG, key=P + "saturation")
    for sentence in saturation_sentences(sat, LOW, HIGH):
        st.markdown(f"- {sentence}")


# ------------------------------------------------------------------------------------- text models
if kind == "text":
    source = (saved.meta.get("task_options") or {}).get("source", "sonnets")  # the Text task's default
    try:
        view = text_view(model_id, saved, int(n_chars), int(layer), source)
    except ValueError as err:
        st.error(f"Cannot read the held-out text with this model: {err}")
        st.stop()
    view_id = (*model_id, int(n_chars), int(layer))
    top = mv.top_units(view.matches)
    first_unit = top[0].unit if top else 0  # the unit the text opens on
    st.subheader("The held-out text, coloured by one unit")
    st.caption(
        f"{len(view.text):,} characters of the {source} text that training never saw, read from a zero "
        "state. Pick the unit and what colours the text above it (this happens in the browser, at once); "
        "the chips are the units found below. Hover over a character, or click the text and step with the "
        "arrow keys, to read every gate of the unit at that step. Under **Experiment**, force a gate or "
        "silence a unit over a range of characters, and see the cell, the prediction and the held-out loss "
        "change."
    )
    # the experiment starts on the unit the text opens on; with one on, the text is its run, on its unit
    x_text = text_input(view_id, saved, view.text)
    exp = experiment_panel(x_text, first_unit, P + "exp_text")
    exp_unit = None
    if exp.records:
        exp_unit, said = experiment_unit(exp.records, first_unit), repr(exp.records)
        lt_exp = clamped_layer(view_id, said, saved, x_text, int(layer), tuple(exp.records))
        payload = clamped_payload(view_id, said, lt_exp, view.text, exp_unit, tuple(top))
        experiment_on(exp)
    else:
        payload = text_payload(view_id, view)
    memory_text(payload, key=P + "held_out", group=GROUP, lead=True)
    exp.show(exp_unit)  # nothing while no experiment is on

    interpretable_units(mv.feature_rows(view.matches), len(view.text), mv.NAMES[view.quantity])
    gate_saturation(view.layer_trace)

    # ---------------------------------------------------------------------------------- writing
    @st.fragment
    def writing() -> None:
        st.subheader("The model writes")
        st.caption(
            "The model reads your prompt, then writes one character at a time, each drawn from its "
            "predicted probabilities sharpened (low temperature) or flattened (high) and fed back as its "
            "next input. The text it read and wrote is coloured by the unit chosen above."
        )
        with st.form(P + "write_form"):
            prompt = st.text_area("Prompt", value="def " if source == "python" else "Shall I ", max_chars=500)
            c1, c2, c3 = st.columns(3)
            temperature = c1.slider("Temperature", *gen.TEMPERATURE_RANGE, value=0.8, step=0.1)
            seed = c2.number_input("Sampling seed", 0, 2**31 - 1, value=0)
            length = c3.number_input("Characters to write", 1, gen.MAX_LENGTH, value=400, step=100)
            submitted = st.form_submit_button("Write")
        key = P + "written"
        if submitted:
            try:
                s[key] = (model_id, gen.generate(saved, prompt, int(length), float(temperature), int(seed)))
            except ValueError as err:
                st.error(f"Cannot write: {err}")
        written = s.get(key)
        if written is None or written[0] != model_id:
            st.caption("Type a prompt and press Write.")
            return
        result = written[1]
        if message := result.unknown_message():
            st.warning(markdown_text(message))
        memory_text(
            written_payload((*model_id, int(layer)), result, saved, view),
            key=P + "written_text",
            group=GROUP,
        )

    writing()

# ------------------------------------------------------------------------------------- series models
else:
    try:
        sview = series_view(model_id, saved, int(layer))
    except ValueError as err:
        st.error(f"Cannot run this series model: {err}")
        st.stop()
    lt = sview.layer_trace
    names = mv.QUANTITIES[lt.arch]
    st.subheader("The series, coloured by one unit")
    c1, c2 = st.columns(2)
    top = mv.top_units(sview.matches)
    unit = c1.number_input(
        "unit", 0, lt.h.shape[-1] - 1, value=top[0].unit if top else 0, key=f"{P}series_unit_{model_key}"
    )
    quantity = c2.selectbox(
        "colour by", names, format_func=lambda q: mv.NAMES.get(q, q), key=P + "series_quantity"
    )
    x_series = series_input(model_id, saved)
    exp = experiment_panel(x_series, int(unit), P + "exp_series")
    shown = lt
    if exp.records:
        shown = clamped_layer(
            (*model_id, "series"), repr(exp.records), saved, x_series, int(layer), tuple(exp.records)
        )
        experiment_on(exp)
    values = mv.layer_values(shown, quantity)
    lo, hi = mv.value_range(quantity, values[:, [int(unit)]])
    st.caption(
        f"{sview.title} ({len(sview.values):,} steps, read as one sequence from a zero state)"
        + (", with the experiment set above." if exp.records else ".")
    )
    st.plotly_chart(
        series_figure(sview.labels, sview.values, values[:, int(unit)], int(unit), quantity, lo[0], hi[0]),
        config=CHART_CONFIG,
        key=P + "series",
    )
    exp.show(int(unit))  # nothing while no experiment is on
    interpretable_units(mv.feature_rows(sview.matches), len(sview.values), mv.NAMES[sview.quantity])
    gate_saturation(lt)
