"""The gradient figures carry the computed norms in their JSON, on log axes, clipped honestly, no WebGL; no
mean-field line for a trained RNN; the marked steps and the ρ sweep drawn from the library's values."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from lstm_vault import RNN
from lstm_vault.figures import gradients as G
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


def test_norm_figure_holds_the_computed_norms(result):
    by_name, spec = traces(G.gradient_norms(result))
    for name, logs in [
        (G.RNN_DH, result.rnn.log10_dh),
        (G.LSTM_DH, result.lstm.log10_dh),
        (G.LSTM_DC, result.lstm.log10_dc),
        (G.PREDICTED, result.log10_predicted),
    ]:
        np.testing.assert_allclose(plotly_array(by_name[name]["y"]), 10**logs, rtol=1e-12)
        assert by_name[name]["customdata"] == [format_log10(v) for v in logs]  # hover: the true value
    assert plotly_array(by_name[G.RNN_DH]["x"]).tolist() == list(range(result.T))
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert "time step" in spec["layout"]["xaxis"]["title"]["text"]


def test_forget_product_figure(result):
    by_name, spec = traces(G.forget_product(result))
    mean = plotly_array(by_name[G.F_MEAN]["y"])
    np.testing.assert_allclose(mean, 10**result.log10_forget_product_mean, rtol=1e-12)
    # the single units' lines are one trace, each unit's T values followed by a NaN that breaks the line
    units = plotly_array(by_name[G.F_UNIT]["y"]).reshape(-1, result.T + 1)
    shown = min(result.hidden_size, G.MAX_UNIT_LINES)
    assert units.shape[0] == shown and np.isnan(units[:, -1]).all()
    np.testing.assert_allclose(units[:, :-1], 10 ** result.log10_forget_product[:, :shown].T, rtol=1e-12)
    assert (
        plotly_array(by_name[G.F_UNIT]["x"]).reshape(shown, -1)[:, :-1].tolist()
        == [list(range(result.T))] * shown
    )
    assert mean[-1] == 1.0  # the empty product at t = T-1
    assert spec["layout"]["yaxis"]["type"] == "log"


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
    figures = [build(result) for build in (G.gradient_norms, G.input_gradients, G.forget_product)]
    figures.append(G.edge_sweep(edge_sweep(result.x, 8, 1, radii=(0.5, 1.0, 2.0))))
    for fig in figures:
        types = {tr["type"] for tr in json.loads(fig.to_json())["data"]}
        assert types <= {"scatter", "heatmap"}, types


def test_no_mean_field_line_for_a_trained_rnn(result):
    trained = compare_gradients(result.x, rnn=RNN(1, 8, seed=5))
    by_name, _ = traces(G.gradient_norms(trained))
    assert G.PREDICTED not in by_name and G.RNN_DH in by_name
    assert not any("mean-field" in n for n in G.clip_notes(trained))


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


def test_values_beyond_float_are_clipped_and_noted():
    r = compare_gradients(np.zeros(400), hidden_size=8, spectral_radius_target=0.1)
    by_name, _ = traces(G.gradient_norms(r))
    y = plotly_array(by_name[G.RNN_DH]["y"])
    assert np.all(np.isfinite(y)) and y.min() == 1e-300
    exponent = int(np.floor(r.rnn.log10_dh[0]))
    hover = by_name[G.RNN_DH]["customdata"][0]
    assert hover == format_log10(r.rnn.log10_dh[0]) and hover.endswith(f" × {power_of_ten(exponent)}")
    notes = G.clip_notes(r)
    assert any("the RNN's" in n and "below 10⁻³⁰⁰ at " in n and "drawn at 10⁻³⁰⁰" in n for n in notes)
    assert not any("step(s)" in n for n in notes)
    assert G.clip_notes(compare_gradients(np.zeros(50), hidden_size=8)) == []


def test_exact_zeros_are_noted_with_plurals():
    r = compare_gradients(np.zeros(3), hidden_size=4, spectral_radius_target=0.0)  # W_hh = 0
    notes = [n for n in G.clip_notes(r) if n.startswith("the RNN's")]
    assert notes == [
        "the RNN's ‖∂L/∂hₜ‖ is exactly 0 at 2 steps (from t = 1 back): drawn at 10⁻³⁰⁰, since a log axis "
        "cannot show 0."
    ]
    r = compare_gradients(np.zeros(2), hidden_size=4, spectral_radius_target=0.0)
    assert "exactly 0 at 1 step (from t = 0 back)" in G.clip_notes(r)[0]


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
