"""The Spotting anomalies page runs under AppTest at its defaults and with each kind of planted anomaly: its
figure holds the series, the forecasts SavedModel.predict gives on each window and the flags flag() gives at
the threshold shown, its sentences and catch table are the library's for that data, and bad controls (a
threshold of 0, an anomaly outside the series) give a message, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app
from test_figures_gradients import plotly_array

from lstm_vault import anomaly, modelfile
from lstm_vault import anomaly_readings as say
from lstm_vault.tasks.data import ASSETS, load_series, split_index

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/6_Spotting_anomalies.py"
SHIPPED = modelfile.load(ASSETS / "models" / "co2_forecaster.npz")
DATES, CLEAN = load_series("co2")


def predicted(values) -> np.ndarray:
    """The shipped model's one-step forecast of every step it can reach, straight from SavedModel.predict."""
    L, enc = SHIPPED.task().length, SHIPPED.meta["encoding"]
    z = (values - enc["offset"]) / enc["scale"]
    windows = np.stack([z[t - L : t] for t in range(L, len(z))], axis=1)[:, :, None]  # (L, N, 1)
    y, _ = SHIPPED.predict(windows)
    return np.concatenate([np.full(L, np.nan), y[-1, :, 0] * enc["scale"] + enc["offset"]])


def figure(at, k: int = 0) -> dict:
    """meta kind -> trace of the k-th chart."""
    spec = json.loads(at.get("plotly_chart")[k].proto.spec)
    return {
        t["meta"]["kind"] if "forecaster" not in t["meta"] else t["meta"]["forecaster"]: t
        for t in spec["data"]
    }


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def threshold_slider(at):
    return next(s for s in at.slider if s.label.startswith("Threshold"))


def check_page(at, values, planted=()) -> anomaly.Detection:
    """The page's figures, sentences and table against the library on ``values`` at the slider's threshold."""
    threshold = threshold_slider(at).value
    preds = {"LSTM": predicted(values), "persistence": anomaly.persistence(values)}
    preds["seasonal naive"] = anomaly.seasonal_naive(values, 12)
    err = anomaly.prediction_error(preds["LSTM"], values)
    det = anomaly.detect(values, preds, threshold)
    flags = anomaly.flag(err, threshold)
    main, strip = figure(at, 0), figure(at, 1)
    np.testing.assert_array_equal(plotly_array(main["series"]["y"]), values)
    np.testing.assert_allclose(plotly_array(main["forecast"]["y"]), preds["LSTM"], rtol=1e-12)
    np.testing.assert_allclose(plotly_array(main["error"]["y"]), err, rtol=1e-9, atol=1e-12)
    assert main["flags_series"]["x"] == [DATES[t] for t in flags]
    np.testing.assert_array_equal(plotly_array(main["threshold"]["y"]), [threshold, threshold])
    for name in preds:
        assert strip[name]["x"] == [DATES[t] for t in det.flags[name]]
    shown = [md.value for md in at.markdown]
    assert say.flags_sentence(det, DATES, "ppmv") in shown
    assert say.baselines_sentence(det, "ppmv") in shown
    split = split_index(len(CLEAN))
    clean_preds = {"LSTM": predicted(CLEAN), "persistence": anomaly.persistence(CLEAN)}
    clean_preds["seasonal naive"] = anomaly.seasonal_naive(CLEAN, 12)
    maes = anomaly.mean_abs_errors(CLEAN, clean_preds, split)
    assert say.held_out_sentence(maes, DATES[split], len(CLEAN) - split, "ppmv") in shown
    assert maes["LSTM"] < maes["persistence"] < maes["seasonal naive"]
    default = anomaly.threshold_range(anomaly.prediction_error(clean_preds["LSTM"], CLEAN))[0]
    assert any(say.threshold_sentence(det, default, "ppmv") in c.value for c in at.caption)
    fc = anomaly.forecast(SHIPPED, values)  # its state: the c SavedModel.predict traces (test_anomaly)
    unit, there, usual = anomaly.most_moved_unit(fc.state, flags)
    memory = (
        f"Memory: the c of each unit when the forecast of that step was made, after reading the "
        f"{SHIPPED.task().length} values before it. " + say.unit_sentence(unit, there, usual, "c")
    )
    assert memory in [c.value for c in at.caption]
    np.testing.assert_allclose(plotly_array(main["unit_state"]["y"]), fc.state[:, unit], rtol=1e-12)
    if planted:
        found = anomaly.catches(planted, det.errors, det.thresholds)
        table = at.dataframe[0].value
        assert table.to_dict("records") == say.catch_rows(found, DATES, "ppmv")
        assert say.catch_sentence(found) in shown
    return det


@pytest.fixture(scope="module")
def default_page():
    at = page_app(PAGE).run()
    assert_clean(at)
    return at


def test_defaults_show_the_real_series_and_the_library_s_numbers(default_page):
    at = default_page
    default = anomaly.threshold_range(anomaly.prediction_error(predicted(CLEAN), CLEAN))[0]
    assert threshold_slider(at).value == pytest.approx(default)
    check_page(at, CLEAN)
    assert any("Nothing is injected yet" in i.value for i in at.info)
    assert any(say.ROUGH_GUIDE in c.value for c in at.caption)
    assert say.retrain_command(SHIPPED.meta, "assets/models/co2_forecaster.npz") in [c.value for c in at.code]
    assert say.train_page_recipe(SHIPPED.meta) in [md.value for md in at.markdown]
    split = split_index(len(CLEAN))
    about = (
        f"LSTM with {SHIPPED.rnn.hidden_size} units, trained on the first {split} values of "
        f"**Mauna Loa atmospheric CO2, 1958-2001** to forecast the next value from the "
        f"{SHIPPED.task().length} before it. The last {len(CLEAN) - split} values (from {DATES[split]}) were "
        "held out."
    )
    assert about in [md.value for md in at.markdown]


def test_moving_the_threshold_reflags(default_page):
    at = default_page
    threshold_slider(at).set_value(0.6).run()
    assert_clean(at)
    det = check_page(at, CLEAN)
    assert len(det.flags["LSTM"]) > 0


@pytest.mark.parametrize("kind", anomaly.KINDS)
def test_each_kind_of_anomaly_is_planted_and_judged(kind):
    at = page_app(PAGE).run()
    at.checkbox(key="an_" + kind).check().run()
    assert_clean(at)
    at_step, size = at.session_state["an_" + kind + "_at"], at.session_state["an_" + kind + "_size"]
    if kind == "dropout":
        values, planted = anomaly.inject(CLEAN, kind, at=at_step, length=size)
    else:
        values, planted = anomaly.inject(CLEAN, kind, at=at_step, size=size, scale=1.0)
    det = check_page(at, values, [planted])
    # at the default threshold and size the LSTM catches it
    assert anomaly.caught(det.flags["LSTM"], planted)


def test_all_three_at_random_positions_from_the_seed():
    at = page_app(PAGE).run()
    for kind in anomaly.KINDS:
        at.checkbox(key="an_" + kind).check()
    at.number_input(key="an_seed").set_value(7)
    at.run()
    at.button[0].click().run()
    assert_clean(at)
    rng = np.random.default_rng(7)
    values, planted = CLEAN, []
    for kind in anomaly.KINDS:
        start = anomaly.inject(CLEAN, kind, rng=rng, size=0.0)[1].start
        assert at.session_state["an_" + kind + "_at"] == start
        size = at.session_state["an_" + kind + "_size"]
        extra = {"length": size} if kind == "dropout" else {"size": size, "scale": 1.0}
        values, a = anomaly.inject(values, kind, at=start, **extra)
        planted.append(a)
    check_page(at, values, planted)


def test_bad_controls_give_a_message_not_a_traceback():
    at = page_app(PAGE).run()
    threshold_slider(at).set_value(0.0).run()
    assert not at.exception
    det = check_page(at, CLEAN)
    assert [w.value for w in at.warning] == [say.zero_threshold_warning(det)]
    at.checkbox(key="an_spike").check().run()
    at.number_input(key="an_spike_at").set_value(len(CLEAN) + 100).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"Spike not injected: at must be a step in [0, {len(CLEAN) - 1}], got {len(CLEAN) + 100} "
        f"(the series has {len(CLEAN)} steps)."
    ]
    check_page(at, CLEAN)  # nothing planted: the real series
    at.number_input(key="an_spike_at").set_value(3).run()  # before the LSTM's first forecast
    assert_clean(at)
    values, spike = anomaly.inject(CLEAN, "spike", at=3, size=at.session_state["an_spike_size"], scale=1.0)
    det = check_page(at, values, [spike])
    note = say.no_forecast_note(anomaly.catches([spike], det.errors, det.thresholds), DATES)
    assert "the LSTM has none for the spike" in note and note in [c.value for c in at.caption]


def test_a_train_page_model_of_another_task_is_named_and_not_used():
    text = modelfile.load(ASSETS / "models" / "text_lstm.npz")
    at = page_app(PAGE)
    at.session_state["lv_current_model"] = text
    at.run()
    assert_clean(at)
    assert any("cannot be used here" in c.value and "not on a shipped series" in c.value for c in at.caption)
    assert at.radio(key="an_model").options == ["Shipped CO2 forecaster"]


def test_a_train_page_series_model_is_picked():
    at = page_app(PAGE)
    at.session_state["lv_current_model"] = SHIPPED  # a co2 model, as the Train page stores it
    at.session_state["lv_current_model_version"] = 1
    at.run()
    assert_clean(at)
    assert at.radio(key="an_model").value == "session"
    check_page(at, CLEAN)


def test_the_page_imports_no_torch():
    code = (
        "import sys; sys.path.insert(0, 'tests'); from app_support import page_app;"
        f"at = page_app({PAGE!r}).run(); assert not at.exception, at.exception; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


def test_a_link_plants_an_anomaly_and_settings_survive_a_visit_to_another_page():
    at = page_app(PAGE)
    at.query_params["an_level_shift"] = "true"
    at.run()
    assert_clean(at)
    assert at.checkbox(key="an_level_shift").value and len(at.dataframe) == 1
    threshold_slider(at).set_value(1.0).run()
    at.number_input(key="an_level_shift_at").set_value(120).run()
    at.query_params.clear()
    at.switch_page("pages/2_Vanishing_gradients.py").run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert threshold_slider(at).value == 1.0 and at.number_input(key="an_level_shift_at").value == 120
    values, shift = anomaly.inject(
        CLEAN, "level_shift", at=120, size=at.session_state["an_level_shift_size"], scale=1.0
    )
    check_page(at, values, [shift])
