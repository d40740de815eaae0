"""lstm_vault.anomaly: planted spikes, level shifts and dropouts are where inject says, and naive forecasters
(persistence, seasonal naive) flag the spike and the level shift on a synthetic seasonal series."""

import numpy as np
import pytest

from lstm_vault.anomaly import (
    Anomaly,
    caught,
    flag,
    inject,
    persistence,
    prediction_error,
    robust_threshold,
    seasonal_naive,
)

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
    ],
)
def test_bad_inputs_are_named(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(_seasonal(T=20))
