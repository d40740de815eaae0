"""The gradient figures carry the computed values in their JSON, on log axes, no WebGL; the marked steps and
the ρ sweep drawn from the library's values; the live chart says what it clips, and where it draws it."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from lstm_vault.figures import gradients as G
from lstm_vault.figures import live_chart
from lstm_vault.formatting import format_log10, power_of_ten
from lstm_vault.gradient_edge import edge_sweep
from lstm_vault.vanishing import compare_gradients


@pytest.fixture(scope="module")
def result():
    return compare_gradients(np.sin(np.arange(80) / 4), hidden_size=8, seed=1, forget_bias=2.0)


def plotly_array(value) -> np.ndarray:
    """An array as plotly's JSON holds it: a list, or a typed array {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = tuple(int(n) for n in str(value.get("shape", len(flat))).split(","))
        return flat.reshape(shape).astype(float)
    return np.array(value, dtype=float)


def traces(fig) -> dict:
    """name -> trace dict, read back from the JSON a page would send."""
    spec = json.loads(fig.to_json())
    out = {}
    for tr in spec["data"]:
        out.setdefault(tr.get("name"), tr)
    return out, spec


def test_input_gradient_colour_scale_spans_a_few_decades():
    r = compare_gradients(np.sin(np.arange(200) / 4), hidden_size=8, spectral_radius_target=0.5)
    layout = json.loads(G.input_gradients(r).to_json())["layout"]["coloraxis"]
    top = max(np.nanmax(np.where(np.isfinite(p.log10_dx), p.log10_dx, np.nan)) for p in (r.rnn, r.lstm))
    assert layout["cmax"] == pytest.approx(top) and layout["cmin"] == pytest.approx(top - G.DX_DECADES)
    assert r.rnn.log10_dx.min() < top - G.DX_DECADES  # some get the darkest colour; the data stay exact


def test_input_gradient_heatmaps(result):
    spec = json.loads(G.input_gradients(result).to_json())
    rnn, lstm = spec["data"]
    assert rnn["type"] == lstm["type"] == "heatmap"
    np.testing.assert_allclose(plotly_array(rnn["z"]), result.rnn.log10_dx.T, rtol=1e-12)
    np.testing.assert_allclose(plotly_array(lstm["z"]), result.lstm.log10_dx.T, rtol=1e-12)
    assert rnn["coloraxis"] == lstm["coloraxis"]  # one shared scale, so the two rows compare


def test_no_webgl_anywhere(result):
    figures = [G.input_gradients(result)]
    figures.append(G.edge_sweep(edge_sweep(result.x, 8, 1, radii=(0.5, 1.0, 2.0))))
    for fig in figures:
        types = {tr["type"] for tr in json.loads(fig.to_json())["data"]}
        assert types <= {"scatter", "heatmap"}, types


def test_marked_steps_are_drawn_on_the_heatmaps(result):
    spec = json.loads(G.input_gradients(result, marked=(3, 60)).to_json())
    marks = [a for a in spec["layout"]["annotations"] if a["text"].startswith("marked")]
    assert [(a["x"], a["text"], a["showarrow"]) for a in marks] == [
        (3, "marked t = 3", True),
        (60, "marked t = 60", True),
    ]
    assert not [
        a
        for a in json.loads(G.input_gradients(result).to_json())["layout"]["annotations"]
        if a["text"].startswith("marked")
    ]


def test_edge_figure_holds_the_sweep(result):
    sweep = edge_sweep(result.x, 8, 1, radii=(0.5, 1.0, 1.5, 2.0))
    by_name, spec = traces(G.edge_sweep(sweep, current_rho=1.0))
    np.testing.assert_allclose(
        plotly_array(by_name[G.EDGE_MEASURED]["y"]), 10**sweep.log10_measured, rtol=1e-12
    )
    np.testing.assert_allclose(plotly_array(by_name[G.EDGE_RULE]["y"]), sweep.predicted, rtol=1e-12)
    np.testing.assert_allclose(
        plotly_array(by_name[G.EDGE_SIGMA]["y"]), sweep.radii * sweep.singular_over_radius
    )
    assert plotly_array(by_name[G.EDGE_RHO]["y"]).tolist() == [0.5, 1.0, 1.5, 2.0]
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert [s["y0"] for s in spec["layout"]["shapes"] if s["y0"] == s["y1"]] == [1.0]  # the line at 1


def test_values_beyond_the_axis_are_clipped_and_noted():
    """The live chart's axis (10**lo to 10**hi) draws what lies beyond it on its edge, and says so."""
    r = compare_gradients(np.zeros(400), hidden_size=8, spectral_radius_target=0.1)
    logs = r.rnn.log10_dh
    lo, hi = float(np.floor(logs[-50])), 1.0
    notes = live_chart.clip_note("the RNN's ‖∂L/∂hₜ‖", logs, lo, hi)
    below = int((logs < lo).sum())
    assert notes == [
        f"the RNN's ‖∂L/∂hₜ‖ is below {power_of_ten(int(lo))} at {below} steps (smallest "
        f"{format_log10(logs.min())}): drawn at {power_of_ten(int(lo))}, the bottom edge of the chart."
    ]
    chart = live_chart.LogChart(len(logs), lo, hi, "", "")
    ys = chart.y(logs)
    assert ys.max() == pytest.approx(live_chart.HEIGHT - live_chart.BOTTOM)  # on the bottom edge
    assert live_chart.clip_note("x", np.array([0.0, 2.5]), -1.0, 2.0)[0].endswith(
        "the top edge of the chart."
    )
    assert live_chart.clip_note("x", np.array([0.0, -0.5]), -1.0, 1.0) == []


def test_exact_zeros_are_noted_with_plurals():
    r = compare_gradients(np.zeros(3), hidden_size=4, spectral_radius_target=0.0)  # W_hh = 0
    assert live_chart.clip_note("the RNN's ‖∂L/∂hₜ‖", r.rnn.log10_dh, -3.0, 1.0) == [
        "the RNN's ‖∂L/∂hₜ‖ is exactly 0 at 2 steps (from t = 1 back): drawn at 10⁻³, since a log axis "
        "cannot show 0."
    ]
    r = compare_gradients(np.zeros(2), hidden_size=4, spectral_radius_target=0.0)
    assert "exactly 0 at 1 step (from t = 0 back)" in live_chart.clip_note("x", r.rnn.log10_dh, -3.0, 1.0)[0]


def test_colour_bar_ticks_are_powers_of_ten(result):
    bar = json.loads(G.input_gradients(result).to_json())["layout"]["coloraxis"]["colorbar"]
    assert bar["ticktext"] == [power_of_ten(int(v)) if v else "1" for v in bar["tickvals"]]
    assert len(bar["ticktext"]) > 1 and "e" not in "".join(bar["ticktext"])  # "10⁻⁵", not "1e-5"


def test_forget_clamp_figure_holds_the_product_and_dc():
    from lstm_vault.vanishing import forget_clamp

    c = forget_clamp(np.sin(np.arange(30) / 4.0), 5, 1)
    tr, _ = traces(G.forget_clamp_plot(c))
    assert set(tr) == {G.F_CLAMPED, G.DC_CLAMPED}
    assert np.all(plotly_array(tr[G.F_CLAMPED]["y"]) == 1.0)
    np.testing.assert_allclose(plotly_array(tr[G.DC_CLAMPED]["y"]), 10**c.log10_dc, rtol=1e-12)
    assert tr[G.DC_CLAMPED]["customdata"][0] == format_log10(c.log10_dc[0])  # hover: the true value
