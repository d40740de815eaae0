"""lstm_vault.anomaly_readings: each sentence of the Spotting anomalies page states the numbers the library
computed for what the page shows (compared with values computed here, never pinned digits), the catch table
is catches() row for row, and the retrain command is the one the model card gives."""

from __future__ import annotations

import numpy as np

from lstm_vault import anomaly_readings as say
from lstm_vault import modelfile
from lstm_vault.anomaly import (
    DEFAULT_K,
    MAD_TO_SD,
    WITHIN,
    catches,
    detect,
    inject,
    mean_abs_errors,
    persistence,
    robust_scale,
    seasonal_naive,
)
from lstm_vault.formatting import fmt
from lstm_vault.tasks.data import ASSETS

DATES = [f"{1990 + t // 12}-{t % 12 + 1:02d}" for t in range(240)]


def _series(seed=0):
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(240) / 12) + 0.05 * rng.standard_normal(240)


def _detection(values, threshold):
    preds = {"LSTM": seasonal_naive(values, 12), "persistence": persistence(values)}
    return detect(values, preds, threshold)


def test_threshold_sentence_states_k_median_and_spread():
    det = _detection(_series(), 0.3)
    med, sd = robust_scale(det.errors["LSTM"])
    text = say.threshold_sentence(det, 0.25, "ppmv")
    assert f"The threshold is {fmt(0.3)} ppmv: {fmt(det.k, 1)} robust standard deviations" in text
    assert f"median error of {fmt(med)} ppmv over the {240 - 12} steps" in text
    assert f"{MAD_TO_SD} × the median absolute deviation of those errors, {fmt(sd)} ppmv" in text
    assert f"It starts at {fmt(0.25)} ppmv: {fmt(DEFAULT_K, 0)} robust standard deviations" in text
    assert "rough guide" in say.ROUGH_GUIDE


def test_flags_sentence_counts_the_flags_and_names_the_largest_error():
    x, _ = inject(_series(), "spike", at=100, size=3.0, scale=1.0)
    det = _detection(x, 0.4)
    n, m = len(det.flags["LSTM"]), int(np.isfinite(det.errors["LSTM"]).sum())
    worst = int(np.nanargmax(det.errors["LSTM"]))
    text = say.flags_sentence(det, DATES, "ppmv")
    assert text == (
        f"The LSTM flags {n} of its {m} forecasts ({fmt(100 * n / m, 1)} %); its largest error is "
        f"{fmt(det.errors['LSTM'][worst])} ppmv on {DATES[worst]}."
    )
    assert n > 0 and worst in (100, 112)  # the spike itself, or last season's copy of it
    quiet = _detection(_series(), 100.0)
    assert "flags none of its" in say.flags_sentence(quiet, DATES, "ppmv")


def test_baselines_sentence_gives_each_threshold_and_count():
    det = _detection(_series(), 0.3)
    text = say.baselines_sentence(det, "")
    assert f"{fmt(det.k, 1)} robust standard deviations" in text
    assert (
        f"persistence at {fmt(det.thresholds['persistence'])} ({len(det.flags['persistence'])} steps" in text
    )


def test_a_zero_threshold_is_named_with_its_count():
    det = _detection(_series(), 0.0)
    text = say.zero_threshold_warning(det)
    assert f"{len(det.flags['LSTM'])} of the {240 - 12} steps" in text and len(det.flags["LSTM"]) == 240 - 12
    assert say.zero_threshold_warning(_detection(_series(), 0.3)) is None


def test_held_out_sentence_names_the_smallest_error():
    x = _series()
    maes = mean_abs_errors(x, {"LSTM": seasonal_naive(x, 12), "persistence": persistence(x)}, 200)
    text = say.held_out_sentence(maes, DATES[200], 40, "ppmv")
    assert f"LSTM {fmt(maes['LSTM'])} ppmv, persistence {fmt(maes['persistence'])} ppmv" in text
    assert text.endswith(f"The smallest is the {min(maes, key=maes.get)}'s.")
    assert maes["LSTM"] < maes["persistence"]  # on a clean seasonal series last season's value is better


def test_unit_sentence():
    assert "unit 3" in say.unit_sentence(3, float("nan"), 0.2, "c") and "no contrast" in say.unit_sentence(
        3, float("nan"), 0.2, "c"
    )
    text = say.unit_sentence(1, 0.5, 0.1, "c")
    assert f"by {fmt(0.5, 3)} there, against {fmt(0.1, 3)} elsewhere" in text


def test_catch_rows_are_the_catches():
    x = _series()
    x, spike = inject(x, "spike", at=60, size=2.0, scale=1.0)
    x, drop = inject(x, "dropout", at=150, length=4)
    det = _detection(x, 0.3)
    found = catches([spike, drop], det.errors, det.thresholds)
    rows = say.catch_rows(found, DATES, "ppmv")
    assert [r["injected"] for r in rows] == [f"spike of +{fmt(2.0)} ppmv", "dropout of 4 steps"]
    assert [r["at"] for r in rows] == [f"{DATES[60]} (step 60)", f"{DATES[150]} (step 150)"]
    for c in found:
        row = rows[0 if c.anomaly is spike else 1]
        assert row[f"{c.forecaster} caught"] == c.caught
        assert row[f"{c.forecaster}: error − threshold"] == c.excess
    caught = {name: sum(c.caught for c in found if c.forecaster == name) for name in det.errors}
    assert say.catch_sentence(found).startswith(
        f"Caught, of the 2 planted: LSTM {caught['LSTM']}, persistence {caught['persistence']}."
    )
    assert f"first {WITHIN} steps" in say.catch_sentence(found)


def test_retrain_command_is_the_model_card_s():
    out = "assets/models/co2_forecaster.npz"
    command = say.retrain_command(modelfile.load(ASSETS / "models" / "co2_forecaster.npz").meta, out)
    assert command.startswith("python -m lstm_vault train --task co2 ") and command.endswith(
        f"--seed 0 --out {out}"
    )
    assert f"`{command}`" in (ASSETS / "models" / "README.md").read_text(encoding="utf-8")
    assert say.retrain_command({}, out) is None


def test_train_page_recipe_names_the_task_and_the_changed_settings():
    meta = modelfile.load(ASSETS / "models" / "co2_forecaster.npz").meta
    config = meta["training"]["config"]
    text = say.train_page_recipe(meta)
    assert text.startswith("On the Train page, pick the task **CO2 at Mauna Loa (monthly)** and set ")
    assert (
        f"hidden size H = {config['hidden_size']}, steps = {config['steps']}, seed = {config['seed']},"
        in text
    )
    assert "batch size" not in text  # left at the page's starting value
    assert say.train_page_recipe({"task": "co2"}) is None


def test_a_planted_anomaly_before_the_first_forecast_is_named():
    x, spike = inject(_series(), "spike", at=5, size=2.0, scale=1.0)
    det = _detection(x, 0.3)
    found = catches([spike], det.errors, det.thresholds)
    note = say.no_forecast_note(found, DATES)
    assert f"the LSTM has none for the spike of +{fmt(2.0)} at {DATES[5]}" in note  # seasonal naive: 12 steps
    assert "persistence" not in note  # persistence forecasts from step 1 on
    later = catches([inject(_series(), "spike", at=50, size=2.0, scale=1.0)[1]], det.errors, det.thresholds)
    assert say.no_forecast_note(later, DATES) is None
