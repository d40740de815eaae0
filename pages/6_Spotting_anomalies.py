"""Spotting anomalies: a trained forecaster's one-step error over a real series, a threshold the user
moves, the flagged steps and the model's memory there; planted spikes, level shifts and dropouts, and which
of them the model and two naive forecasters catch.

Layout and wiring only: widgets -> ``lstm_vault.anomaly`` (forecasts, flags, catches) ->
``lstm_vault.figures.anomaly``; every sentence from ``lstm_vault.anomaly_readings``. The forecast of a series
is cached (``st.cache_data``), keyed on the model and the series' values, so moving the threshold or the unit
only re-flags and redraws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from lstm_vault import anomaly, modelfile
from lstm_vault import anomaly_readings as say
from lstm_vault.figures import anomaly as figs
from lstm_vault.tasks.data import SERIES, load_series, split_index
from lstm_vault.train_config import ARCH_LABELS
from pages.common.navigation import sidebar
from pages.common.session import current_model, current_model_version

P = "an_"  # this page's session keys
SHIPPED = "assets/models/co2_forecaster.npz"  # from the repository root
ROOT = Path(__file__).resolve().parents[1]
CHART = {"width": "stretch", "theme": None}

st.set_page_config(page_title="Spotting anomalies · lstm_vault", page_icon="🚨", layout="wide")
sidebar()  # the app's page links, first in the sidebar


@st.cache_resource(show_spinner=False)
def shipped_model() -> modelfile.SavedModel:
    return modelfile.load(ROOT / SHIPPED)


@st.cache_data(max_entries=16, show_spinner=False)
def forecast_of(model_key: str, values: np.ndarray, _model) -> anomaly.Forecast:
    """``model_key`` stands for the model's weights; ``values`` the series it forecasts."""
    return anomaly.forecast(_model, values)


# each figure is built once for what it shows and shared read-only (st.plotly_chart does not change it)
@st.cache_resource(max_entries=16, show_spinner=False)
def main_figure(drawn: tuple, unit: int, _dates, _fc, _det, split: int, value_label: str):
    """``drawn``: (model key, the series, the threshold, the planted anomalies)."""
    planted, label = list(drawn[3]), _det.model
    return figs.series_figure(
        _dates, drawn[1], _fc.pred, _det.errors[label], drawn[2], _det.flags[label], _fc.state, unit,
        _fc.state_name, held_out_from=split, anomalies=planted, model_label=label, value_label=value_label,
    )  # fmt: skip


@st.cache_resource(max_entries=16, show_spinner=False)
def strip_figure(drawn: tuple, _dates, _det):
    return figs.flag_strip(_dates, _det.flags, list(drawn[3]))


s = st.session_state
st.title("Spotting anomalies")
st.markdown(
    "A model trained to forecast a series one step ahead knows what the series usually does next. Where "
    "its forecast misses by much more than usual, something unusual happened: an **anomaly**. Move the "
    "threshold, plant a spike, a level shift or a dropout, and see which the model catches, beside two "
    "forecasts that learn nothing (repeat the last value; repeat last season's value)."
)

# ------------------------------------------------------------------------------------------ the model
with st.sidebar:
    st.header("Forecaster")
    own = current_model()
    own_ok = own is not None and anomaly.series_model_problem(own) is None
    choices = {
        "shipped": "Shipped CO2 forecaster",
        **({"session": "Your model from the Train page"} if own_ok else {}),
    }
    if s.get(P + "model") not in choices:
        s[P + "model"] = "session" if own_ok else "shipped"
    choice = st.radio(
        "Model", list(choices), format_func=choices.get, key=P + "model", persist_state="session"
    )
    if own is not None and not own_ok:
        st.caption(f"Your Train page model cannot be used here: {anomaly.series_model_problem(own)}.")
try:
    model = own if choice == "session" else shipped_model()
except (modelfile.ModelFileError, OSError) as err:
    st.error(f"Cannot load the shipped forecaster {SHIPPED}: {err}")
    st.stop()
model_key = f"session-{current_model_version()}" if choice == "session" else "shipped"
label = ARCH_LABELS.get(model.arch, model.arch)
series = model.meta["encoding"]["series"]
unit_name = SERIES[series].unit
dates, clean = load_series(series)
split = split_index(len(clean))
period = anomaly.season_length(dates)

command = say.retrain_command(model.meta, SHIPPED if choice == "shipped" else "my_model.npz")
with st.expander("About this model, and how to train it again"):
    st.markdown(
        f"{label} with {model.rnn.hidden_size} units, trained on the first {split} values of "
        f"**{SERIES[series].title}** to forecast the next value from the {model.task().length} before it. "
        f"The last {len(clean) - split} values (from {dates[split]}) were held out."
    )
    recipe = say.train_page_recipe(model.meta)
    if recipe:
        st.markdown(recipe)
    if command:
        st.markdown("Or on the command line, from the repository's folder:")
        st.code(command, language="bash")

# ------------------------------------------------------------------------------------------ injections
try:
    real = forecast_of(model_key, clean, model)
    default, top, step = anomaly.threshold_range(anomaly.prediction_error(real.pred, clean))
except ValueError as err:
    st.error(f"This model cannot forecast {SERIES[series].title}: {err}")
    st.stop()
sizes = anomaly.default_sizes(default)
T = len(clean)
defaults = {"spike": int(0.3 * T), "level_shift": int(0.7 * T), "dropout": int(0.5 * T)}


def place_at_random() -> None:
    rng = np.random.default_rng(int(s[P + "seed"]))
    for kind in anomaly.KINDS:
        s[P + kind + "_at"] = anomaly.inject(clean, kind, rng=rng, size=0.0)[1].start


with st.sidebar:
    st.header("Inject anomalies")
    for kind in anomaly.KINDS:
        s.setdefault(P + kind + "_at", defaults[kind])
        s.setdefault(P + kind + "_size", sizes[kind])
        name = say.KIND_NAMES[kind].capitalize()
        if st.checkbox(name, key=P + kind, bind="query-params", persist_state="session"):
            left, right = st.columns(2)
            left.number_input(
                "at step",
                min_value=0,
                step=1,
                key=P + kind + "_at",
                help=f"0 is {dates[0]}",
                persist_state="session",
            )
            if kind == "dropout":
                right.number_input(
                    "steps", min_value=1, max_value=T, step=1, key=P + kind + "_size", persist_state="session"
                )
            else:
                right.number_input(
                    f"size ({unit_name or 'value'})",
                    step=sizes[kind] / 5,
                    key=P + kind + "_size",
                    persist_state="session",
                )
    st.number_input(
        "Seed", min_value=0, max_value=2**31 - 1, step=1, key=P + "seed", value=0, persist_state="session"
    )
    st.button("Place them at random", on_click=place_at_random, help="Draw every position from the seed.")

values, planted, problems = clean.copy(), [], []
for kind in anomaly.KINDS:
    if not s.get(P + kind):
        continue
    at, size = s[P + kind + "_at"], s[P + kind + "_size"]
    try:
        if kind == "dropout":
            values, a = anomaly.inject(values, kind, at=int(at), length=int(size))
        else:
            values, a = anomaly.inject(values, kind, at=int(at), size=float(size), scale=1.0)
        planted.append(a)
    except ValueError as err:
        problems.append(
            f"{say.KIND_NAMES[kind].capitalize()} not injected: {err} (the series has {T} steps)."
        )
for problem in problems:
    st.error(problem)

# ------------------------------------------------------------------------------------------ forecasts, flags
fc = forecast_of(model_key, values, model) if planted else real
preds = {label: fc.pred, "persistence": anomaly.persistence(values)}
clean_preds = {label: real.pred, "persistence": anomaly.persistence(clean)}
if period is not None:
    preds["seasonal naive"] = anomaly.seasonal_naive(values, period)
    clean_preds["seasonal naive"] = anomaly.seasonal_naive(clean, period)

key = P + "threshold_" + model_key
s.setdefault(key, default)
threshold = st.slider(
    f"Threshold on the {label}'s error ({unit_name or 'value'})",
    0.0,
    top,
    step=step,
    key=key,
    persist_state="session",
)
try:
    det = anomaly.detect(values, preds, threshold)
except ValueError as err:
    st.error(f"Cannot flag this series: {err}")
    st.stop()
st.caption(say.threshold_sentence(det, default, unit_name) + " " + say.ROUGH_GUIDE)
warning = say.zero_threshold_warning(det)
if warning:
    st.warning(warning)

flags = det.flags[label]
auto_unit, there, usual = anomaly.most_moved_unit(fc.state, flags)
unit = st.selectbox(
    f"Unit whose memory ({fc.state_name}) to follow",
    range(fc.state.shape[1]),
    index=auto_unit,
    key=P + f"unit_{model_key}_{auto_unit}",
    persist_state="session",
)
drawn = (model_key, values, threshold, tuple(planted))  # what the figures show, besides the unit
st.plotly_chart(main_figure(drawn, unit, dates, fc, det, split, unit_name or "value"), **CHART)
st.markdown(say.flags_sentence(det, dates, unit_name))
st.caption(
    f"Memory: the {fc.state_name} of each unit when the forecast of that step was made, after reading the "
    f"{fc.length} values before it. " + say.unit_sentence(auto_unit, there, usual, fc.state_name)
)
maes = anomaly.mean_abs_errors(clean, clean_preds, split)
st.markdown(say.held_out_sentence(maes, dates[split], T - split, unit_name))

st.subheader("Which forecaster flags what")
st.markdown(say.baselines_sentence(det, unit_name))
st.plotly_chart(strip_figure(drawn, dates, det), **CHART)
if planted:
    found = anomaly.catches(planted, det.errors, det.thresholds)
    st.dataframe(say.catch_rows(found, dates, unit_name), hide_index=True, width="stretch")
    st.markdown(say.catch_sentence(found))
    note = say.no_forecast_note(found, dates)
    if note:
        st.caption(note)
else:
    st.info("Nothing is injected yet: tick a spike, a level shift or a dropout in the sidebar.")
