"""lstm_vault.figures.anomaly: the numbers inside the figures' JSON (series, forecast, error, threshold,
flagged points, the chosen unit's memory and every unit's heatmap, each forecaster's flags) are the ones
handed in, and the held-out part and planted anomalies are shaded where they are."""

from __future__ import annotations

import json

import numpy as np
from test_figures_gradients import plotly_array

from lstm_vault.anomaly import Anomaly
from lstm_vault.figures.anomaly import flag_strip, series_figure


def by_kind(fig) -> dict:
    """meta kind -> trace, from the JSON a page would send."""
    spec = json.loads(fig.to_json())
    return {t["meta"]["kind"]: t for t in spec["data"]}, spec["layout"]


def _data(T=60, H=3):
    rng = np.random.default_rng(0)
    dates = [f"{1990 + t // 12}-{t % 12 + 1:02d}" for t in range(T)]
    values = np.sin(np.arange(T) / 3.0)
    pred = values + 0.1 * rng.standard_normal(T)
    pred[:5] = np.nan
    errors = np.abs(pred - values)
    state = rng.standard_normal((T, H))
    state[:5] = np.nan
    flags = np.array([7, 20, 41])
    return dates, values, pred, errors, state, flags


def test_series_figure_holds_the_numbers_it_was_given():
    dates, values, pred, errors, state, flags = _data()
    planted = [Anomaly("spike", 20, 21, 2.0), Anomaly("level_shift", 40, 60, 1.0)]
    fig = series_figure(
        dates, values, pred, errors, 0.15, flags, state, unit=2, held_out_from=50, anomalies=planted
    )
    t, layout = by_kind(fig)
    assert t["series"]["x"] == dates
    np.testing.assert_array_equal(plotly_array(t["series"]["y"]), values)
    np.testing.assert_array_equal(plotly_array(t["forecast"]["y"]), pred)  # NaN where there is no forecast
    np.testing.assert_array_equal(plotly_array(t["error"]["y"]), errors)
    np.testing.assert_array_equal(plotly_array(t["threshold"]["y"]), [0.15, 0.15])
    for kind, source in (("flags_series", values), ("flags_error", errors), ("flags_state", state[:, 2])):
        assert t[kind]["x"] == [dates[i] for i in flags]
        np.testing.assert_array_equal(plotly_array(t[kind]["y"]), source[flags])
    np.testing.assert_array_equal(plotly_array(t["unit_state"]["y"]), state[:, 2])
    assert t["unit_state"]["meta"]["unit"] == 2
    np.testing.assert_array_equal(plotly_array(t["state_heatmap"]["z"]), state.T)
    assert t["state_heatmap"]["zmid"] == 0 and t["state_heatmap"]["zmax"] == np.nanmax(np.abs(state))
    # shaded: held out from step 50 on, the spike's one step, the shift to the end; on 3 rows each
    spans = sorted({(s["x0"], s["x1"]) for s in layout["shapes"]})
    assert spans == sorted({(dates[50], dates[-1]), (dates[20], dates[21]), (dates[40], dates[-1])})
    assert len(layout["shapes"]) == 3 * 3
    labels = {a["text"] for a in layout["annotations"]}
    assert {"held out", "spike", "level shift"} <= labels


def test_no_flags_draws_empty_markers():
    dates, values, pred, errors, state, _ = _data()
    t, _ = by_kind(series_figure(dates, values, pred, errors, 10.0, [], state, unit=0))
    assert t["flags_series"]["x"] == [] and len(plotly_array(t["flags_error"]["y"])) == 0


def test_flag_strip_has_one_row_per_forecaster():
    dates = [f"{2000 + t // 12}-{t % 12 + 1:02d}" for t in range(30)]
    flags = {
        "LSTM": np.array([3, 9]),
        "persistence": np.array([], dtype=int),
        "seasonal naive": np.array([9]),
    }
    spec = json.loads(flag_strip(dates, flags, [Anomaly("spike", 9, 10, 1.0)]).to_json())
    rows = {t["meta"]["forecaster"]: t for t in spec["data"]}
    assert list(rows) == list(flags)
    for k, (name, idx) in enumerate(flags.items()):
        assert rows[name]["x"] == [dates[i] for i in idx]
        np.testing.assert_array_equal(plotly_array(rows[name]["y"]), np.full(len(idx), k))
    assert spec["layout"]["yaxis"]["ticktext"] == list(flags)
    assert [(s["x0"], s["x1"]) for s in spec["layout"]["shapes"]] == [(dates[9], dates[10])]
