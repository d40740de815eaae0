"""lstm_vault.anomaly: planted spikes, level shifts and dropouts are where inject says, and naive forecasters
(persistence, seasonal naive) flag the spike and the level shift on a synthetic seasonal series; a trained
model's forecast of a whole series is SavedModel.predict on each window; every forecaster is flagged at the
same robust k; the shipped CO2 forecaster beats both baselines on the held-out years and catches a planted
spike and level shift that they miss."""

import re

import numpy as np
import pytest

from lstm_vault import LSTM, modelfile
from lstm_vault.anomaly import (
    DEFAULT_K,
    MAD_TO_SD,
    WITHIN,
    Anomaly,
    catches,
    caught,
    default_sizes,
    detect,
    flag,
    forecast,
    inject,
    mean_abs_errors,
    most_moved_unit,
    persistence,
    prediction_error,
    robust_k,
    robust_scale,
    robust_threshold,
    season_length,
    seasonal_naive,
    series_model_problem,
    threshold_range,
)
from lstm_vault.tasks.data import ASSETS, load_series, split_index

SHIPPED = ASSETS / "models" / "co2_forecaster.npz"

PERIOD = 50


def _seasonal(T=1000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    return np.sin(2 * np.pi * t / PERIOD) + 0.05 * rng.standard_normal(T)


def _planted():
    x = _seasonal()
    y, spike = inject(x, "spike", at=300, size=6.0)
    y, shift = inject(y, "level_shift", at=600, size=3.0)
    y, drop = inject(y, "dropout", at=812, length=10)
    return x, y, (spike, shift, drop)


def test_inject_plants_each_kind_where_it_says():
    x, y, (spike, shift, drop) = _planted()
    with_spike = inject(x, "spike", at=300, size=6.0)[0]
    before_drop = inject(with_spike, "level_shift", at=600, size=3.0)[0]
    # sizes are in standard deviations of the series each anomaly is planted in
    assert spike == Anomaly("spike", 300, 301, 6.0)
    assert y[300] - x[300] == pytest.approx(6.0 * x.std())
    assert shift.stop == len(x)
    np.testing.assert_allclose((y - x)[601:812], 3.0 * with_spike.std())
    # a dropout: that series' minimum over its steps
    assert drop == Anomaly("dropout", 812, 822, None)
    np.testing.assert_array_equal(y[812:822], before_drop.min())
    untouched = np.ones(len(x), bool)
    untouched[[300]] = False
    untouched[600:] = False
    np.testing.assert_array_equal(y[untouched], x[untouched])
    np.testing.assert_array_equal(x, _seasonal())  # the input is not changed


def test_persistence_flags_the_spike_and_the_level_shift():
    _, y, (spike, shift, drop) = _planted()
    pred = persistence(y)
    assert np.isnan(pred[0]) and np.array_equal(pred[1:], y[:-1])
    err = prediction_error(pred, y)
    flags = flag(err, robust_threshold(err))
    assert caught(flags, spike) and caught(flags, shift)
    # persistence meets the spike twice (going up at 300, coming down at 301) and the shift once
    assert {300, 301, 600} <= set(flags.tolist())
    # and nothing of the clean series before the first anomaly is flagged
    assert flags.min() == 300
    assert not np.isnan(err[1:]).any() and np.isnan(err[0]) and 0 not in flags


def test_seasonal_naive_flags_them_too_and_echoes_one_season_later():
    _, y, (spike, shift, drop) = _planted()
    err = prediction_error(seasonal_naive(y, PERIOD), y)
    assert np.isnan(err[:PERIOD]).all()
    flags = flag(err, robust_threshold(err))
    assert caught(flags, spike) and caught(flags, shift) and caught(flags, drop)
    assert 300 + PERIOD in flags  # last season's spike is this season's forecast
    assert set(range(600, 600 + PERIOD)) <= set(flags.tolist())  # a whole season compares across the shift


def test_a_clean_series_raises_no_flag_at_a_robust_threshold():
    x = _seasonal(seed=3)
    err = prediction_error(seasonal_naive(x, PERIOD), x)
    assert flag(err, robust_threshold(err, k=6.0)).size == 0
    assert flag(err, robust_threshold(err, k=0.0)).size > 0  # the threshold is what decides


def test_flag_is_strictly_above_the_threshold_and_skips_nan():
    np.testing.assert_array_equal(flag(np.array([np.nan, 1.0, 2.0, 3.0]), 2.0), [3])


def test_random_positions_come_from_the_generator():
    x = _seasonal(T=200)
    a = inject(x, "spike", size=4.0, rng=np.random.default_rng(5))[1]
    b = inject(x, "spike", size=4.0, rng=np.random.default_rng(5))[1]
    assert a == b and 20 <= a.start < 180


def test_prediction_error_over_features_is_the_mean():
    p, y = np.array([[1.0, 3.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(prediction_error(p, y), [2.0, 1.0])


@pytest.mark.parametrize(
    "call,pattern",
    [
        (lambda x: inject(x, "glitch", at=3), r"kind must be one of \('spike', 'level_shift', 'dropout'\)"),
        (lambda x: inject(x, "spike"), "give the step `at`"),
        (lambda x: inject(x, "spike", at=100), r"at must be a step in \[0, 19\], got 100"),
        (lambda x: inject(x, "dropout", at=3, length=0), "length must be an integer >= 1"),
        (lambda x: seasonal_naive(x, 20), r"period must be an integer in \[1, 19\]"),
        (lambda x: prediction_error(x, x[:-1]), r"same shape"),
        (lambda x: flag(x, np.nan), "threshold must be a finite number"),
        (lambda x: robust_threshold(np.full(3, np.nan)), "no finite errors"),
        (lambda x: robust_k(np.ones(5), 2.0), "no spread"),
        (lambda x: inject(x, "spike", at=3, scale=0.0), "scale must be a positive number"),
        (lambda x: default_sizes(0.0), "threshold must be a positive number"),
        (lambda x: threshold_range(np.zeros(5)), "errors on this series are all 0"),
        (lambda x: mean_abs_errors(x, {"p": persistence(x)}, 20), "no step from 20 on"),
    ],
)
def test_bad_inputs_are_named(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(_seasonal(T=20))


def test_robust_scale_and_k_invert_the_threshold():
    e = np.array([np.nan, 1.0, 2.0, 3.0, 4.0, 100.0])
    med, sd = robust_scale(e)
    assert med == 3.0 and sd == pytest.approx(MAD_TO_SD * 1.0)  # |e - 3| = 2, 1, 0, 1, 97 -> MAD 1
    assert robust_threshold(e, 2.5) == pytest.approx(med + 2.5 * sd)
    assert robust_k(e, robust_threshold(e, 2.5)) == pytest.approx(2.5)


def test_inject_with_a_scale_plants_sizes_in_the_series_units():
    x = _seasonal(T=200)
    y, a = inject(x, "level_shift", at=50, size=-0.7, scale=1.0)
    np.testing.assert_allclose(y[50:] - x[50:], -0.7)
    assert a == Anomaly("level_shift", 50, 200, -0.7)


def test_detect_flags_every_forecaster_at_the_same_k():
    _, y, _ = _planted()
    preds = {"model": seasonal_naive(y, PERIOD), "persistence": persistence(y)}
    det = detect(y, preds, 0.4)
    assert det.model == "model" and det.thresholds["model"] == 0.4
    e_model, e_pers = (prediction_error(p, y) for p in preds.values())
    assert det.k == pytest.approx(robust_k(e_model, 0.4))
    assert det.thresholds["persistence"] == pytest.approx(robust_threshold(e_pers, det.k))
    np.testing.assert_array_equal(det.flags["persistence"], flag(e_pers, det.thresholds["persistence"]))
    np.testing.assert_array_equal(det.errors["model"], e_model)


def test_catches_say_by_how_much_the_error_passed_the_threshold():
    _, y, planted = _planted()
    err = {"persistence": prediction_error(persistence(y), y)}
    thr = {"persistence": robust_threshold(err["persistence"])}
    found = catches(planted, err, thr)
    assert [c.anomaly for c in found] == list(planted)
    for c in found:
        window = err["persistence"][c.anomaly.start : min(c.anomaly.start + WITHIN, c.anomaly.stop)]
        assert c.excess == pytest.approx(window.max() - thr["persistence"])
        assert c.caught == (c.excess > 0) == caught(flag(err["persistence"], thr["persistence"]), c.anomaly)
    # a forecaster with no forecast on the anomaly's steps: not caught, excess NaN
    none = catches([Anomaly("spike", 0, 1, 1.0)], err, thr)[0]
    assert not none.caught and np.isnan(none.excess)


def test_most_moved_unit_finds_the_unit_that_jumps_at_the_flags():
    rng = np.random.default_rng(0)
    state = 0.01 * rng.standard_normal((100, 4))
    state[40:, 2] += 1.0  # unit 2 jumps at step 40
    unit, there, usual = most_moved_unit(state, [40])
    assert unit == 2 and there > 0.9 and usual < 0.05
    overall = most_moved_unit(state, [])
    assert np.isnan(overall[1]) and overall[0] == int(np.argmax(np.abs(np.diff(state, axis=0)).mean(axis=0)))


def test_threshold_range_and_default_sizes():
    e = np.abs(np.random.default_rng(1).standard_normal(500))
    default, top, step = threshold_range(e)
    assert default == pytest.approx(robust_threshold(e, DEFAULT_K), abs=step / 2)
    assert top >= 4 * robust_threshold(e, DEFAULT_K) and step == top / 400
    sizes = default_sizes(1.65)
    assert sizes["spike"] == sizes["level_shift"] == 3.0 and sizes["dropout"] == 6


def test_season_length_reads_the_dates():
    assert season_length(load_series("co2")[0]) == 12
    assert season_length(load_series("nile")[0]) is None


@pytest.fixture(scope="module")
def shipped():
    return modelfile.load(SHIPPED)


def test_the_forecast_is_predict_on_each_window(shipped):
    dates, v = load_series("co2")
    fc = forecast(shipped, v)
    L = shipped.task().length
    assert (
        fc.length == L == 24 and fc.state_name == "c" and fc.state.shape == (len(v), shipped.rnn.hidden_size)
    )
    assert np.isnan(fc.pred[:L]).all() and np.isfinite(fc.pred[L:]).all()
    enc = shipped.meta["encoding"]
    for t in (L, 200, len(v) - 1):  # one window at a time, standardised as in training
        y, trace = shipped.predict(((v[t - L : t] - enc["offset"]) / enc["scale"])[:, None])
        assert fc.pred[t] == pytest.approx(y[-1, 0] * enc["scale"] + enc["offset"], rel=1e-12)
        np.testing.assert_allclose(fc.state[t], trace.layers[0][0].c[-1].ravel(), rtol=1e-12, atol=1e-14)


def test_the_shipped_forecaster_beats_both_baselines_on_the_held_out_years(shipped):
    dates, v = load_series("co2")
    preds = {
        "lstm": forecast(shipped, v).pred,
        "persistence": persistence(v),
        "seasonal": seasonal_naive(v, 12),
    }
    mae = mean_abs_errors(v, preds, split_index(len(v)))
    assert mae["lstm"] < 0.6 * mae["persistence"] and mae["persistence"] < mae["seasonal"]


def test_the_shipped_forecaster_catches_what_the_baselines_miss(shipped):
    """At the default threshold and sizes, planted anywhere: the LSTM catches every spike and level shift,
    persistence and the seasonal naive forecast (at the same k) at most half of them."""
    dates, v = load_series("co2")
    clean_err = prediction_error(forecast(shipped, v).pred, v)
    threshold = threshold_range(clean_err)[0]
    sizes = default_sizes(threshold)
    counts = {}
    for kind in ("spike", "level_shift"):
        for at in range(30, len(v) - 10, 80):
            y, planted = inject(v, kind, at=at, size=sizes[kind], scale=1.0)
            preds = {
                "lstm": forecast(shipped, y).pred,
                "persistence": persistence(y),
                "seasonal": seasonal_naive(y, 12),
            }
            det = detect(y, preds, threshold)
            for c in catches([planted], det.errors, det.thresholds):
                counts.setdefault((kind, c.forecaster), []).append(c.caught)
    for kind in ("spike", "level_shift"):
        assert all(counts[(kind, "lstm")])
        assert sum(counts[(kind, "persistence")]) <= len(counts[(kind, "persistence")]) / 2
        assert sum(counts[(kind, "seasonal")]) <= len(counts[(kind, "seasonal")]) / 2
    # on the real series at the default threshold the LSTM raises at most a few flags
    assert flag(clean_err, threshold).size <= 3


def test_a_model_of_another_task_is_refused_with_a_reason():
    text = modelfile.load(ASSETS / "models" / "text_lstm.npz")
    assert "not on a shipped series" in series_model_problem(text)
    with pytest.raises(ValueError, match="cannot forecast a series"):
        forecast(text, np.arange(100.0))
    bare = modelfile.SavedModel(LSTM(1, 2), np.zeros((1, 2)), np.zeros(1), {"task": "co2"})
    assert "not on a shipped series" in series_model_problem(bare)


def test_the_model_card_row_states_the_file_s_numbers(shipped):
    """assets/models/README.md: the command, the validation losses, the seconds and the held-out errors."""
    row = next(
        line
        for line in (ASSETS / "models" / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `co2_forecaster.npz`")
    )
    training = shipped.meta["training"]
    assert f"validation MSE {training['val_loss']:.5f} (standardised values) against the baseline" in row
    assert f"the baseline {training['baseline_loss']:.5f} (persistence)" in row
    assert f"{training['seconds']:.0f} s on a loaded one" in row
    dates, v = load_series("co2")
    split = split_index(len(v))
    preds = {
        "lstm": forecast(shipped, v).pred,
        "persistence": persistence(v),
        "seasonal": seasonal_naive(v, 12),
    }
    mae = mean_abs_errors(v, preds, split)
    assert f"On the {len(v) - split} held-out months ({dates[split]} to {dates[-1]})" in row
    assert f"error is {mae['lstm']:.2f} ppmv, against {mae['persistence']:.2f} for persistence" in row
    assert f"and {mae['seasonal']:.2f} for the seasonal naive forecast" in row
    assert (
        f"{int((v[split:] > v[:split].max()).sum())} of the {len(v) - split} held-out months lie above" in row
    )


@pytest.mark.parametrize(
    "change,reason",
    [
        (
            {"encoding": {"type": "real", "series": "tides", "offset": 0.0, "scale": 1.0}},
            "not on a shipped series",
        ),
        ({"encoding": {"type": "real", "series": "co2", "offset": 0.0, "scale": 0.0}}, "standardisation"),
        ({"encoding": {"type": "real", "series": "co2", "offset": "x", "scale": 1.0}}, "standardisation"),
        ({"task": "no_such_task"}, "its task cannot be rebuilt"),
        ({"task_options": {"length": "long"}}, "its task cannot be rebuilt|window length"),
    ],
)
def test_a_crafted_series_model_is_refused_with_a_reason(shipped, change, reason):
    crafted = modelfile.SavedModel(
        shipped.rnn, shipped.readout_weight, shipped.readout_bias, {**shipped.meta, **change}
    )
    assert re.search(reason, series_model_problem(crafted))
    with pytest.raises(ValueError, match="cannot forecast a series"):
        forecast(crafted, load_series("co2")[1])
