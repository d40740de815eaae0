"""figures.cell: each figure's JSON holds the trace's numbers (and the read-out's), the marker sits at t, no
figure uses WebGL."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from lstm_vault import GRU, LSTM, RNN, predictions
from lstm_vault.explain import fmt, step_values
from lstm_vault.figures import cell, drawing
from lstm_vault.modelfile import load
from lstm_vault.sequences import make_sequence
from lstm_vault.tasks import ASSETS


def trace(H, T=30, arch=LSTM, seed=0):
    x = make_sequence("noisy_sine", T, seed=seed).reshape(T, 1, 1)
    return arch(1, H, seed=seed).forward(x)[2].layers[0][0]


def as_json(fig):
    """The figure as the browser receives it (typed arrays decoded back to lists)."""
    data = json.loads(fig.to_json())

    def decode(v):
        if isinstance(v, dict) and "bdata" in v:
            import base64

            arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
            return arr.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else arr
        if isinstance(v, dict):
            return {k: decode(w) for k, w in v.items()}
        if isinstance(v, list):
            return [decode(w) for w in v]
        return v

    return decode(data)


def all_figures():
    lt, lt4 = trace(12), trace(4)
    v = step_values(lt4, 5, 1)
    return [
        cell.cell_diagram(),
        cell.cell_diagram(v, 1, 5),
        cell.cell_diagram(step_values(trace(3, arch=GRU), 2, 1), 1, 2, arch="gru"),
        cell.cell_diagram(arch="rnn"),
        cell.timeline(lt, t=3),
        cell.timeline(lt4),
        cell.timeline(trace(3, arch=GRU)),
        cell.input_figure(make_sequence("sine", 40), 7),
        cell.gates_at_t(lt, 4),
    ]


def test_every_figure_is_valid_plotly_and_uses_no_webgl():
    for fig in all_figures():
        go.Figure(fig.to_dict())  # round-trips through validation (a figure read back from JSON)
        for tr in as_json(fig)["data"]:
            assert "gl" not in tr["type"], tr["type"]


def test_diagram_shows_the_unit_numbers_at_step_t():
    lt = trace(4)
    t, unit = 11, 2
    v = step_values(lt, t, unit)
    fig = as_json(cell.cell_diagram(v, unit, t))
    assert fig["layout"]["meta"]["values"]["f"] == lt.f[t, 0, unit]
    assert fig["layout"]["meta"]["values"]["c_prev"] == lt.c[t - 1, 0, unit]
    assert (fig["layout"]["meta"]["t"], fig["layout"]["meta"]["unit"]) == (t, unit)
    texts = " | ".join(next(tr for tr in fig["data"] if tr.get("mode") == "text")["text"])
    for gate in "figo":
        assert f"{gate} = {fmt(getattr(lt, gate)[t, 0, unit])}" in texts
    assert f"c\u209c = {fmt(lt.c[t, 0, unit])}" in texts and f"h\u209c = {fmt(lt.h[t, 0, unit])}" in texts
    assert f"c\u209c\u208b\u2081 = {fmt(lt.c[t - 1, 0, unit])}" in texts
    assert f"h\u209c\u208b\u2081 = {fmt(lt.h[t - 1, 0, unit])}" in texts
    assert f"f·c = {fmt(v['kept'])}" in texts and f"i·g = {fmt(v['written'])}" in texts
    bars = next(tr for tr in fig["data"] if tr["type"] == "bar")  # each gate box filled to its value
    np.testing.assert_allclose(np.asarray(bars["y"])[[0, 1, 3]] / cell.GATE_H, [v["f"], v["i"], v["o"]])
    np.testing.assert_allclose(abs(bars["y"][2]) / (cell.GATE_H / 2), abs(v["g"]))


def test_symbolic_diagram_has_no_numbers():
    fig = as_json(cell.cell_diagram())
    texts = " ".join(next(tr for tr in fig["data"] if tr.get("mode") == "text")["text"])
    assert fig["layout"]["meta"]["values"] is None and not any(ch in "0123456789" for ch in texts)
    assert "forget" in texts and "candidate" in texts and "c\u209c\u208b\u2081" in texts
    assert all(tr["type"] != "bar" for tr in fig["data"])


def test_timeline_heatmaps_hold_the_trace_and_the_marker_sits_at_t():
    lt = trace(12)
    fig = as_json(cell.timeline(lt, t=17))
    heatmaps = [tr for tr in fig["data"] if tr["type"] == "heatmap"]
    assert len(heatmaps) == 6  # f, i, g, c, o, h as time x unit heatmaps
    for tr, name in zip(heatmaps, cell.ROWS["lstm"]):
        np.testing.assert_allclose(np.asarray(tr["z"]), getattr(lt, name)[:, 0, :].T, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(fig["data"][0]["y"]), lt.x[:, 0, 0])  # the input row
    (marker,) = fig["layout"]["shapes"]
    assert marker["x0"] == marker["x1"] == 17
    assert fig["layout"]["xaxis"]["range"] == [-0.5, 29.5]
    assert cell.marker_fraction(17, 30) == pytest.approx(17.5 / 30)
    assert "shapes" not in as_json(cell.timeline(lt))["layout"]


def test_timeline_draws_lines_for_a_few_units():
    lt = trace(3)
    fig = as_json(cell.timeline(lt))
    lines = [tr for tr in fig["data"] if tr["type"] == "scatter" and tr.get("name", "").startswith("unit")]
    assert len(lines) == 3 * 6
    forget = [tr for tr in lines if tr["hovertemplate"].endswith("<extra>f</extra>")]
    for u, tr in enumerate(forget):
        np.testing.assert_array_equal(np.asarray(tr["y"]), lt.f[:, 0, u])


def test_gru_timeline_shows_its_own_gates():
    lt = trace(10, arch=GRU)
    heatmaps = [tr for tr in as_json(cell.timeline(lt))["data"] if tr["type"] == "heatmap"]
    for tr, name in zip(heatmaps, ("r", "z", "n", "h")):
        np.testing.assert_allclose(np.asarray(tr["z"]), getattr(lt, name)[:, 0, :].T, rtol=1e-6)


def test_input_figure_marks_t():
    x = make_sequence("noise", 40, seed=3)
    fig = as_json(cell.input_figure(x, 9))
    np.testing.assert_array_equal(np.asarray(fig["data"][0]["y"]), x)
    assert (
        fig["layout"]["shapes"][0]["x0"] == 9 and fig["data"][1]["x"] == [9] and fig["data"][1]["y"] == [x[9]]
    )


def test_gates_at_t_bars_are_the_gate_values():
    lt = trace(6)
    fig = as_json(cell.gates_at_t(lt, 8))
    for tr, name in zip(fig["data"], ("i", "f", "g", "o")):
        np.testing.assert_array_equal(np.asarray(tr["y"]), getattr(lt, name)[8, 0])


def test_gates_at_t_of_a_gateless_rnn_shows_its_hidden_state():
    from lstm_vault import RNN

    lt = trace(3, arch=RNN)
    (bars,) = as_json(cell.gates_at_t(lt, 2))["data"]
    np.testing.assert_array_equal(np.asarray(bars["y"]), lt.h[2, 0])


def svg_parts(markup: str):
    """(texts, fill rects) of a cell_svg: the markup must be well-formed XML."""
    import xml.etree.ElementTree as ET

    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.fromstring(markup)
    texts = [el.text for el in root.iterfind(".//svg:text", ns)]
    fills = [el for el in root.iterfind(".//svg:rect", ns) if el.get("class") == "lv-fill"]
    return root, texts, fills


def test_svg_cell_draws_the_same_numbers_as_the_plotly_diagram():
    lt = trace(5)
    t, unit = 17, 3
    v = step_values(lt, t, unit)
    root, texts, fills = svg_parts(drawing.cell_svg(v, unit, t))
    fig = as_json(cell.cell_diagram(v, unit, t))
    assert texts == next(tr for tr in fig["data"] if tr.get("mode") == "text")["text"]  # same drawing
    title = root.find("{http://www.w3.org/2000/svg}title").text
    assert title == f"The LSTM cell at step t = {t}, unit {unit}"
    for gate in "figo":
        assert f"{gate} = {fmt(getattr(lt, gate)[t, 0, unit])}" in texts
    assert f"h\u209c = {fmt(lt.h[t, 0, unit])}" in texts and f"f·c = {fmt(v['kept'])}" in texts
    # each gate box is filled to its value: the fill's height in canvas units over the box's
    heights = [float(el.get("height")) / drawing.SVG_SCALE for el in fills]
    gates = np.array(heights)[[0, 1, 3]] / drawing.GATE_H
    np.testing.assert_allclose(gates, [v["f"], v["i"], v["o"]], atol=0.01)
    assert heights[2] / (drawing.GATE_H / 2) == pytest.approx(abs(v["g"]), abs=0.01)


def test_svg_cell_places_the_candidate_fill_by_its_sign_and_escapes_labels():
    lt = trace(4)
    v = step_values(lt, 3, 0)
    for g in (0.8, -0.8):
        _root, _texts, fills = svg_parts(drawing.cell_svg({**v, "g": g}, 0, 3))
        mid_y = (drawing.Y_RANGE[1] - drawing.GATE_Y) * drawing.SVG_SCALE  # the box's middle, y down
        top, bottom = float(fills[2].get("y")), float(fills[2].get("y")) + float(fills[2].get("height"))
        assert (bottom == pytest.approx(mid_y, abs=0.1)) if g > 0 else (top == pytest.approx(mid_y, abs=0.1))
    _root, texts, _fills = svg_parts(drawing.cell_svg(v, 0, 3, x_text="<1 & 2>"))
    assert "x\u209c = <1 & 2>" in texts  # parsed back from &lt;1 &amp; 2&gt;


def test_symbolic_svg_cell_has_no_numbers():
    _root, texts, fills = svg_parts(drawing.cell_svg())
    assert not fills and not any(ch in "0123456789" for ch in "".join(texts))
    assert "cell state: the conveyor belt" in texts


def test_cell_img_wraps_the_same_svg_and_reads_it_out_in_its_alt_text():
    import base64
    import html as html_lib
    import re

    lt = trace(3)
    v = step_values(lt, 4, 2)
    img = drawing.cell_img(v, 2, 4)
    (data,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', img)
    assert base64.b64decode(data).decode() == drawing.cell_svg(v, 2, 4)
    (alt,) = re.findall(r'alt="([^"]*)"', img)
    alt = html_lib.unescape(alt)
    assert alt.startswith("The LSTM cell at step t = 4, unit 2: ")
    assert f"o = {fmt(v['o'])}" in alt and f"h\u209c = {fmt(v['h'])}" in alt


@pytest.mark.parametrize("arch", [GRU, RNN])
def test_gru_and_rnn_cells_are_drawn_with_their_own_numbers(arch):
    lt = trace(3, arch=arch)
    t, unit = 9, 2
    v = step_values(lt, t, unit)
    root, texts, fills = svg_parts(drawing.cell_svg(v, unit, t, arch=arch.arch))
    title = root.find("{http://www.w3.org/2000/svg}title").text
    assert title == f"{drawing.TITLES[arch.arch]} at step t = {t}, unit {unit}"
    assert f"hₜ = {fmt(lt.h[t, 0, unit])}" in texts and f"hₜ₋₁ = {fmt(lt.h[t - 1, 0, unit])}" in texts
    if arch is GRU:
        for gate in "rzn":
            assert f"{gate} = {fmt(getattr(lt, gate)[t, 0, unit])}" in texts
        assert f"z·h = {fmt(v['kept'])}" in texts and f"(1−z)·n = {fmt(v['written'])}" in texts
        heights = np.array([float(el.get("height")) for el in fills]) / drawing.SVG_SCALE  # z, r, n boxes
        np.testing.assert_allclose(heights[:2] / drawing.GATE_H, [v["z"], v["r"]], atol=0.01)
        assert heights[2] / (drawing.GATE_H / 2) == pytest.approx(abs(v["n"]), abs=0.01)
    else:  # no gates: the pre-activation a and tanh(a) = h, nothing filled
        assert f"a = {fmt(lt.a[t, 0, unit])}" in texts and not fills
        assert np.tanh(v["a"]) == pytest.approx(v["h"])


def test_no_unit_line_is_drawn_in_the_step_markers_black():
    fig = as_json(cell.timeline(trace(8)))
    colors = {tr["line"]["color"].lower() for tr in fig["data"] if tr.get("name", "").startswith("unit")}
    assert len(colors) == 8 and not colors & {"#000000", "#111111", "black"}


def test_timeline_writes_a_one_hot_input_as_text_along_time():
    lt = LSTM(3, 2, seed=0).forward(np.eye(3)[[0, 1, 2, 1]].reshape(4, 1, 3))[2].layers[0][0]
    fig = as_json(cell.timeline(lt, input_text=["a", "b", "\u2423", "b"]))
    first = fig["data"][0]
    assert first["mode"] == "text" and first["text"] == ["a", "b", "\u2423", "b"]
    assert list(first["x"]) == [0, 1, 2, 3]
    assert as_json(cell.timeline(lt))["data"][0]["type"] == "heatmap"  # no labels: the channels


def test_a_one_step_timeline_draws_markers_and_the_cell_row_gets_ticks():
    fig = as_json(cell.timeline(trace(2, T=1)))
    lines = [tr for tr in fig["data"] if tr["type"] == "scatter"]
    assert lines and all(tr["mode"] == "lines+markers" for tr in lines)  # a lone point is visible
    fig = as_json(cell.timeline(trace(2, T=30)))
    assert all(tr["mode"] == "lines" for tr in fig["data"] if tr["type"] == "scatter")
    c_axis = fig["layout"][f"yaxis{cell.ROWS['lstm'].index('c') + 2}"]
    assert c_axis["title"]["text"].startswith("cell") and c_axis["nticks"] == 6


def test_the_timeline_s_prediction_row_holds_the_read_out_and_its_target():
    saved = load(ASSETS / "models" / "adding_lstm.npz")
    x, y, mask = predictions.example_with_target(saved, seed=1)
    p = predictions.predict_steps(saved, x, target=y, mask=mask, example=True)
    lt = saved.rnn.forward(x)[2].layers[0][0]
    fig = cell.timeline(lt, prediction=predictions.timeline_line(p))
    assert fig.layout.yaxis2.title.text == "prediction ŷ"
    line, scored, target = (tr for tr in fig.data if tr.yaxis == "y2")
    np.testing.assert_array_equal(line.y, saved.predict(x)[0][:, 0, 0])
    assert list(scored.x) == [x.shape[0] - 1] and scored.y[0] == p.value[-1]  # the one step it is scored on
    assert list(target.x) == [x.shape[0] - 1] and target.y[0] == pytest.approx(float(y[0]))
    meta = fig.layout.meta["prediction"]
    assert meta["target"][:-1] == [None] * (x.shape[0] - 1) and meta["scored"][-1] is True
    assert fig.layout.margin.t == cell.TIMELINE_MARGIN["t"]  # the marker's geometry is unchanged


def test_a_several_column_input_row_is_named_by_its_columns():
    x = np.random.default_rng(0).standard_normal((7, 1, 3))
    lt = LSTM(3, 2, seed=0).forward(x)[2].layers[0][0]
    spec = as_json(cell.timeline(lt, input_names=["temp", "rain", "<b>wind</b>"]))
    (row,) = [tr for tr in spec["data"] if tr.get("name") == "input"]
    assert row["y"] == ["temp", "rain", "&lt;b&gt;wind&lt;/b&gt;"]  # a name from a file is text, not markup
    np.testing.assert_allclose(np.asarray(row["z"], dtype=float), x[:, 0].T, rtol=1e-6)
    reach = np.abs(x).max()
    assert (row["zmin"], row["zmax"]) == pytest.approx((-reach, reach))  # a diverging scale centred on 0
    unnamed = as_json(cell.timeline(lt))
    assert "y" not in [tr for tr in unnamed["data"] if tr["type"] == "heatmap"][0]
