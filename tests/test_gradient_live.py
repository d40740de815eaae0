"""The Vanishing gradients page's live view (lstm_vault.gradient_live, lstm_vault.figures.live_chart).

Every expected value is computed here from the library's own runs (small T and H, small grids), so
nothing depends on floating-point digits.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from lstm_vault import LSTM, RNN
from lstm_vault import gradient_live as live
from lstm_vault.figures import live_chart
from lstm_vault.figures.gradients import DX_DECADES
from lstm_vault.formatting import format_log10
from lstm_vault.gradient_models import SETTINGS
from lstm_vault.gradient_notes import (
    forget_caption,
    headline_metrics,
    input_reading,
    marked_steps_readings,
    norms_caption,
    singular_value_caption,
    window_note,
)
from lstm_vault.gradient_readings import lstm_readings, rnn_readings
from lstm_vault.sequences import make_sequence
from lstm_vault.vanishing import VanishingResult, compare_gradients, lstm_side, rnn_side

X_LABEL = "a sine wave"
MATH = re.compile(r"\$[^$]+\$")
TRANSPOSE = live.plain_text(live.math_runs(r"\top"))  # the symbol the library writes for a transpose


# ------------------------------------------------------------------------------------------ grids


@pytest.mark.parametrize("name", ["rho", "fb"])
def test_slider_values_are_the_sliders_stops(name):
    s = SETTINGS[name]
    values = live.slider_values(s)
    assert values[0] == pytest.approx(s.low) and values[-1] == pytest.approx(s.high)
    assert len(values) == round((s.high - s.low) / s.step) + 1
    assert np.allclose(np.diff(values), s.step)
    assert s.default in values.tolist()


@pytest.mark.parametrize("name", ["rho", "fb"])
def test_snap_returns_the_nearest_stop(name):
    s = SETTINGS[name]
    values = live.slider_values(s)
    rng = np.random.default_rng(0)
    for v in rng.uniform(s.low - s.step, s.high + s.step, 50):
        snapped = live.snap(s, v)
        assert snapped in values.tolist()
        assert abs(snapped - v) == pytest.approx(np.min(np.abs(values - v)))
    assert live.snap(s, s.low - 10) == values[0] and live.snap(s, s.high + 10) == values[-1]
    inside = values[3] + 0.3 * s.step  # nearer the stop below
    assert live.snap(s, inside) == values[3]
    assert live.snap(s, values[3] + 0.7 * s.step) == values[4]


@pytest.mark.parametrize(
    ("name", "value", "count"),
    [("rho", 1.0, 7), ("rho", 1.0, 6), ("rho", 0.0, 7), ("rho", 4.0, 7), ("fb", 3.0, 5), ("fb", -4.0, 3)],
)
def test_window_holds_the_committed_value(name, value, count):
    all_values = live.slider_values(SETTINGS[name]).tolist()
    g = live.window(name, value, count)
    assert g.name == name and not g.trained
    assert len(g.values) == count
    assert g.values[g.index] == pytest.approx(value)
    start = all_values.index(g.values[0])  # consecutive stops of the slider
    assert list(g.values) == all_values[start : start + count]
    assert not g.complete
    if value == SETTINGS[name].low:
        assert g.index == 0
    if value == SETTINGS[name].high:
        assert g.index == count - 1


def test_window_of_the_whole_range_is_complete_and_a_trained_grid_is_one_default():
    n = len(live.slider_values(SETTINGS["fb"]))
    whole = live.window("fb", 1.5, 10 * n)
    assert len(whole.values) == n and whole.complete
    assert whole.values[whole.index] == 1.5
    one = live.window("rho", 2.0, 0)
    assert one.values == (2.0,) and one.index == 0
    trained = live.window("rho", 2.0, 9, trained=True)
    assert trained.values == (float(SETTINGS["rho"].default),)
    assert trained.index == 0 and trained.trained and trained.complete


# ------------------------------------------------------------------------------------------ counts


def _work(T, H, a, b, rnn_trained=False, lstm_trained=False):
    return max(T * H, 1) * ((2 * a if not rnn_trained else 1) + (b + 1 if not lstm_trained else 1))


def test_counts_hold_the_whole_range_at_the_default_size():
    full = (len(live.slider_values(SETTINGS["rho"])), len(live.slider_values(SETTINGS["fb"])))
    assert live.counts(100, 16) == full
    assert live.counts(100, 16, quick=True) == (live.QUICK_VALUES, live.QUICK_VALUES)
    assert live.counts(100, 16, rnn_trained=True)[0] == 1
    assert live.counts(100, 16, lstm_trained=True)[1] == 1
    assert live.counts(100, 16, True, True) == (1, 1)


@pytest.mark.parametrize("trained", [(False, False), (True, False), (False, True)])
def test_counts_shrink_with_the_work_but_stay_within_the_budgets(trained):
    previous = None
    for T, H in [(100, 16), (200, 16), (400, 32), (1000, 64), (5000, 256)]:
        n_rho, n_fb = live.counts(T, H, *trained)
        assert min(n_rho, n_fb) >= (1 if any(trained) else live.MIN_VALUES)
        if not trained[0]:
            assert n_rho >= live.MIN_VALUES
        if not trained[1]:
            assert n_fb >= live.MIN_VALUES
        if previous is not None:
            assert n_rho <= previous[0] and n_fb <= previous[1]
        if (n_rho > live.MIN_VALUES and not trained[0]) or (n_fb > live.MIN_VALUES and not trained[1]):
            assert _work(T, H, n_rho, n_fb, *trained) <= live.WORK_BUDGET
            assert live._estimated_bytes(T, n_rho, n_fb) <= live.BYTE_CAP
        quick = live.counts(T, H, *trained, quick=True)
        assert max(quick) <= live.QUICK_VALUES
        previous = (n_rho, n_fb)
    big = live.counts(5000, 256, *trained)
    assert big[0] < live.counts(100, 16, *trained)[0] or trained[0]
    assert big[1] < live.counts(100, 16, *trained)[1] or trained[1]


def test_counts_within_budget_over_many_sizes():
    for T in (2, 30, 100, 250, 500, 1200, 5000):
        for H in (1, 4, 16, 40, 128, 256):
            n_rho, n_fb = live.counts(T, H)
            assert n_rho >= live.MIN_VALUES and n_fb >= live.MIN_VALUES
            if n_rho > live.MIN_VALUES or n_fb > live.MIN_VALUES:
                assert _work(T, H, n_rho, n_fb) <= live.WORK_BUDGET, (T, H)
                assert live._estimated_bytes(T, n_rho, n_fb) <= live.BYTE_CAP, (T, H)


# ------------------------------------------------------------------------------------------ runs


def test_runs_split_bold_italic_plain_and_math():
    parts = live.runs("The **RNN** keeps *little*: $\\rho$ = 2 and $W_{hh}^\\top$ here.")
    assert parts == [
        ["t", "The "],
        ["b", "RNN"],
        ["t", " keeps "],
        ["i", "little"],
        ["t", ": "],
        ["m", "ρ"],
        ["t", " = 2 and "],
        ["m", "W"],
        ["msub", "hh"],
        ["msup", TRANSPOSE],
        ["t", " here."],
    ]


def test_math_runs_sub_and_superscripts():
    assert TRANSPOSE and "top" not in TRANSPOSE and "\\" not in TRANSPOSE
    assert live.math_runs("c_{T-1}") == [["m", "c"], ["msub", "T−1"]]
    assert live.math_runs(r"\rho^{99}") == [["m", "ρ"], ["msup", "99"]]
    assert live.math_runs("x_t") == [["m", "x"], ["msub", "t"]]
    assert live.math_runs(r"\mathrm{rms}(\tanh')") == [["m", "rms(tanh′)"]]
    assert live.math_runs(r"\frac12\|h_{T-1}\|^2") == [
        ["m", "½‖h"],
        ["msub", "T−1"],
        ["m", "‖"],
        ["msup", "2"],
    ]
    assert live.unknown_commands(r"\alpha + \rho") == [r"\alpha"]
    assert live.plain_text(live.math_runs(r"\alpha")) == "alpha"  # an unknown command reads as its name


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a & b < c > d \"e\" 'f'"]
)
def test_markup_comes_out_as_plain_text_runs(text):
    parts = live.runs(text)
    assert parts == [["t", text]]
    assert live.plain_text(parts) == text


def _metric_texts(r):
    return [t for m in headline_metrics(r) for t in (m.label, m.value, m.help, m.delta) if t]


def _page_sentences(r, marked=()):
    chart = live_chart.LogChart(r.T, -1.0, 0.5, "", "")  # narrow: every kind of clip note appears
    dh = np.array(r.rnn.log10_dh, dtype=np.float64)
    dh[0] = -np.inf
    dh[1] = 3.0
    return [
        *rnn_readings(r),
        *lstm_readings(r),
        singular_value_caption(r),
        norms_caption(r, X_LABEL),
        forget_caption(r, live.MAX_UNIT_LINES),
        input_reading(r, DX_DECADES),
        *marked_steps_readings(r, marked),
        *_metric_texts(r),
        *live.clip_sentences([("the RNN's ‖∂L/∂hₜ‖", dh)], chart),
    ]


def _results():
    x = make_sequence("sine", 30)
    for rho in (0.0, 0.5, 1.0, 1.5, 4.0):
        for fb in (-4.0, 0.0, 3.0, 6.0):
            yield compare_gradients(x, 5, 0, rho, fb), ()
    x2 = np.stack([make_sequence("sine", 25), np.linspace(0, 1, 25)], axis=1)
    rnn, lstm = RNN(2, 5, seed=2), LSTM(2, 5, seed=1, forget_bias=1.0)
    yield compare_gradients(x2, seed=0, rnn=rnn, lstm=lstm), (3, 11)
    yield compare_gradients(x2, seed=0, lstm=lstm), (3, 11)
    yield compare_gradients(x2, seed=0, rnn=rnn, spectral_radius_target=3.0), (3, 11)


def test_every_sentence_the_page_sends_reads_as_plain_text():
    seen = 0
    for r, marked in _results():
        for sentence in _page_sentences(r, marked):
            text = live.plain_text(live.runs(sentence))
            for bad in ("$", "**", "\\", "{", "}"):
                assert bad not in text, (bad, sentence, text)
            for snippet in MATH.findall(sentence):
                assert live.unknown_commands(snippet[1:-1]) == [], snippet
            seen += 1
    assert seen > 300
    grid = live.window("rho", 1.0, 3)
    assert "$" not in live.plain_text(live.runs(window_note(grid, live.window("fb", 3.0, 3))))


def test_the_sentences_hold_math_that_is_converted():
    r = compare_gradients(make_sequence("sine", 30), 5, 0, 1.0, 3.0)
    snippets = [s for p in _page_sentences(r) for s in MATH.findall(p)]
    assert snippets  # the check above is not vacuous
    kinds = {k for p in _page_sentences(r) for k, _ in live.runs(p)}
    assert {"t", "m", "msub", "b"} <= kinds


# ------------------------------------------------------------------------------------------ live chart


def test_y_range_covers_the_finite_values_within_max_decades():
    for values in ([-3.2, 0.4], [-40.0, 2.3], [5.0, 5.0], [-0.5], [-300.0, 300.0]):
        lo, hi = live_chart.y_range(np.array(values))
        assert lo == math.floor(lo) and hi == math.ceil(hi) and lo < hi
        assert hi >= max(values) and hi - max(values) < 1 + 1e-6
        assert hi - lo <= live_chart.MAX_DECADES
        if max(values) - min(values) < live_chart.MAX_DECADES - 2:
            assert lo <= min(values) and min(values) - lo < 1 + 1e-6
        else:
            assert hi - lo == live_chart.MAX_DECADES
    lo, hi = live_chart.y_range(np.array([-np.inf, np.nan, -1.5]), np.array([0.2, np.inf]))
    assert (lo, hi) == (math.floor(-1.5), math.ceil(0.2))
    lo, hi = live_chart.y_range(np.array([-np.inf, np.nan]))
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    lo, hi = live_chart.y_range(np.arange(10.0), max_decades=4)
    assert hi - lo == 4 and 9 <= hi < 10 + 1e-6


def test_y_range_keeps_a_reference_curve_whole_where_it_fits():
    others, ref = np.array([-100.0, 5.0]), np.array([-10.0, 2.0])
    lo, hi = live_chart.y_range(others, ref, keep=[ref])
    assert hi - lo == live_chart.MAX_DECADES
    assert lo <= ref.min() and hi >= ref.max() and hi <= math.ceil(others.max())
    plain = live_chart.y_range(others, ref)
    assert plain[1] - plain[0] == live_chart.MAX_DECADES and plain[1] >= others.max()


def _points(d: str) -> list[tuple[str, str]]:
    assert d.startswith("M")
    return [tuple(p.split(",")) for p in d[1:].split("L")]


def test_path_has_a_point_per_step_from_left_to_right_edge():
    T = 12
    logs = np.linspace(-3, 1, T)
    chart = live_chart.LogChart(T, -4.0, 2.0, "", "")
    pts = _points(live_chart.path_d(chart, logs))
    assert len(pts) == T
    assert pts[0][0] == f"{live_chart.LEFT:.0f}"
    assert pts[-1][0] == f"{live_chart.WIDTH - live_chart.RIGHT:.0f}"
    assert [y for _, y in pts] == [f"{float(chart.y(v)):.0f}" for v in logs]
    narrow = live_chart.LogChart(T, -4.0, 2.0, "", "", width=520.0, height=300.0, top=60.0)
    pts = _points(live_chart.path_d(narrow, logs))
    assert pts[0][0] == f"{live_chart.LEFT:.0f}" and pts[-1][0] == f"{520.0 - live_chart.RIGHT:.0f}"
    assert pts[-1][1] == f"{60.0 + (300.0 - 60.0 - live_chart.BOTTOM) * (2.0 - 1.0) / 6.0:.0f}"
    xs = [int(x) for x, _ in pts]
    assert xs == sorted(xs)


def test_clipped_values_land_on_the_frame_edges():
    chart = live_chart.LogChart(5, -2.0, 1.0, "", "", top=58.0)
    pts = _points(live_chart.path_d(chart, [5.0, -9.0, -np.inf, np.nan, 0.0]))
    top, bottom = f"{chart.top:.0f}", f"{live_chart.HEIGHT - live_chart.BOTTOM:.0f}"
    assert [y for _, y in pts[:4]] == [top, bottom, bottom, bottom]
    assert int(top) < int(pts[4][1]) < int(bottom)


def test_a_long_spiky_path_is_thinned_but_keeps_its_extremes():
    T = 5000
    rng = np.random.default_rng(1)
    logs = rng.normal(0.0, 0.3, T)
    logs[1234], logs[3777] = 7.5, -8.5  # one spike up, one down
    chart = live_chart.LogChart(T, -10.0, 10.0, "", "")
    pts = _points(live_chart.path_d(chart, logs))
    assert len(pts) <= live_chart.MAX_POINTS  # each bucket's lowest and highest, and both ends
    for step in (1234, 3777):
        assert (f"{float(chart.x(step)):.0f}", f"{float(chart.y(logs[step])):.0f}") in pts
    # the line still spans the frame: its first and last steps are kept
    assert pts[0] == (f"{float(chart.x(0)):.0f}", f"{float(chart.y(logs[0])):.0f}")
    assert pts[-1] == (f"{float(chart.x(T - 1)):.0f}", f"{float(chart.y(logs[-1])):.0f}")
    ys = [int(y) for _, y in pts]
    assert min(ys) == int(f"{float(chart.y(logs.max())):.0f}")
    assert max(ys) == int(f"{float(chart.y(logs.min())):.0f}")
    few = _points(live_chart.path_d(chart, logs, 50))
    assert len(few) <= 50


def test_chart_svg_has_an_empty_path_per_line_and_parses():
    chart = live_chart.LogChart(40, -6.0, 1.0, "time step t <& >", "norm")
    lines = (
        live_chart.Line("a", "first <b>", "#123456"),
        live_chart.Line("b", "second & more", "#654321", 2.0, "2 5", 0.5),
    )
    svg = live_chart.chart_svg(chart, lines, "Title <script>", "my-clip")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    paths = [p for p in root.iter(f"{ns}path") if "data-path" in p.attrib]
    assert [p.attrib["data-path"] for p in paths] == ["a", "b"]
    assert all(p.attrib["d"] == "" for p in paths)
    assert all(p.attrib["clip-path"] == "url(#my-clip)" for p in paths)
    assert [c.attrib["id"] for c in root.iter(f"{ns}clipPath")] == ["my-clip"]
    assert root.find(f"{ns}title").text == "Title <script>"
    assert "second & more" in [t.text for t in root.iter(f"{ns}text")]
    assert not list(root.iter(f"{ns}script"))


# ------------------------------------------------------------------------------------------ view data

T, H, SEED = 20, 4, 0


@pytest.fixture(scope="module")
def x():
    return make_sequence("sine", T)


def _sweeps(x, rho_grid, fb_grid, hidden=H, seed=SEED, rnn=None, lstm=None):
    return (
        live.Sweep(rho_grid, live.rnn_sides(x, hidden, seed, rho_grid.values, rnn)),
        live.Sweep(fb_grid, live.lstm_sides(x, hidden, seed, fb_grid.values, lstm)),
    )


GRIDS = {
    "windows": (live.window("rho", 1.0, 3), live.window("fb", 0.0, 3)),
    "spread": (live.Grid("rho", (0.5, 1.5, 4.0), 2, False), live.Grid("fb", (-4.0, 3.0, 6.0), 1, False)),
}


@pytest.fixture(scope="module", params=sorted(GRIDS))
def sweeps(request, x):
    return _sweeps(x, *GRIDS[request.param])


def _metric(m) -> dict:
    return {"label": m.label, "value": m.value, "delta": m.delta, "help": m.help}


def _finite(arrays) -> np.ndarray:
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])
    return values[np.isfinite(values)]


def _norms_chart(data) -> live_chart.LogChart:
    c = data["chart"]
    return live_chart.LogChart(data["T"], c["lo"], c["hi"], "", "", top=c["top"])


def _pair(x, rnn, lstm, i, j, hidden=H, seed=SEED):
    return VanishingResult.of_sides(x, hidden, seed, rnn.sides[i], lstm.sides[j])


def test_per_rho_parts_are_the_rnns_own_for_every_bias(x, sweeps):
    rnn, lstm = sweeps
    data = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    norms = _norms_chart(data)
    assert len(data["per_rho"]) == len(rnn.grid.values)
    for i, part in enumerate(data["per_rho"]):
        for j in range(len(lstm.sides)):
            r = _pair(x, rnn, lstm, i, j)
            assert part["readings"] == [live.runs(p) for p in rnn_readings(r)]
            assert part["sigma"] == live.runs(singular_value_caption(r))
            m = headline_metrics(r)
            assert part["metrics"]["rnn"] == _metric(m[0])
            assert part["metrics"]["step"]["value"] == m[3].value
            assert part["metrics"]["step"]["delta"] == m[3].delta
        side = rnn.sides[i]
        assert part["paths"]["rnn"] == live_chart.path_d(norms, side.grads.log10_dh)
        assert part["paths"]["pred"] == live_chart.path_d(norms, side.log10_predicted)


def test_per_fb_parts_are_the_lstms_own_for_every_rho(x, sweeps):
    rnn, lstm = sweeps
    data = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    norms = _norms_chart(data)
    f = data["forget"]
    forget = live_chart.LogChart(T, f["lo"], f["hi"], "", "", f["width"], f["height"], f["top"])
    assert len(data["per_fb"]) == len(lstm.grid.values)
    for j, part in enumerate(data["per_fb"]):
        for i in range(len(rnn.sides)):
            r = _pair(x, rnn, lstm, i, j)
            assert part["caption"] == live.runs(norms_caption(r, X_LABEL))
            assert part["forget_caption"] == live.runs(forget_caption(r, live.MAX_UNIT_LINES))
            assert part["metrics"]["lstm"] == _metric(headline_metrics(r)[1])
        side = lstm.sides[j]
        dc = np.asarray(side.grads.log10_dc)
        assert part["paths"]["dh"] == live_chart.path_d(norms, side.grads.log10_dh)
        assert part["paths"]["dc"] == live_chart.path_d(norms, dc)
        assert part["paths"]["mean"] == live_chart.path_d(forget, side.log10_forget_product_mean)
        assert part["paths"]["measured"] == live_chart.path_d(forget, dc - dc[-1])
        units = side.log10_forget_product[:, : live.MAX_UNIT_LINES]
        unit_paths = [live_chart.path_d(forget, u, live.UNIT_POINTS) for u in units.T]
        assert part["paths"]["units"] == "".join(unit_paths)
        assert part["paths"]["units"].count("M") == min(H, live.MAX_UNIT_LINES)


def test_view_ranges_cover_every_curve_and_charts_name_their_lines(x, sweeps):
    rnn, lstm = sweeps
    data = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    logs = [s.grads.log10_dh for s in rnn.sides] + [s.log10_predicted for s in rnn.sides]
    logs += [s.grads.log10_dh for s in lstm.sides] + [s.grads.log10_dc for s in lstm.sides]
    i_ref, j_ref = live.reference_index(rnn.grid), live.reference_index(lstm.grid)
    for grid, k in ((rnn.grid, i_ref), (lstm.grid, j_ref)):  # the value nearest the slider's default
        gaps = np.abs(np.asarray(grid.values) - SETTINGS[grid.name].default)
        assert gaps[k] == gaps.min()
    r_ref, l_ref = rnn.sides[i_ref], lstm.sides[j_ref]
    ref = [r_ref.grads.log10_dh, r_ref.log10_predicted, l_ref.grads.log10_dh, l_ref.grads.log10_dc]
    f_logs = [s.log10_forget_product[:, : live.MAX_UNIT_LINES] for s in lstm.sides]
    f_logs += [s.grads.log10_dc - s.grads.log10_dc[-1] for s in lstm.sides]
    dc_ref = l_ref.grads.log10_dc
    f_ref = [l_ref.log10_forget_product[:, : live.MAX_UNIT_LINES], dc_ref - dc_ref[-1]]
    for key, curves, kept, depth in (
        ("chart", logs, ref, live_chart.MAX_DECADES),
        ("forget", f_logs, f_ref, live.FORGET_DECADES),
    ):
        lo, hi = data[key]["lo"], data[key]["hi"]
        assert lo < hi and hi - lo <= depth
        every, shown = _finite(curves), _finite(kept)
        if every.max() - every.min() <= depth - 2:  # everything fits: everything is drawn
            assert lo <= every.min() and every.max() <= hi
        elif shown.max() - shown.min() <= depth - 2:  # the default setting is drawn whole
            assert lo <= shown.min() and shown.max() <= hi
    assert data["T"] == T
    assert data["rho"]["values"] == list(rnn.grid.values) and data["fb"]["values"] == list(lstm.grid.values)
    for key, keys in (("chart", {"rnn", "pred", "dh", "dc"}), ("forget", {"units", "mean", "measured"})):
        root = ET.fromstring(data[key]["svg"])
        found = {p.attrib["data-path"] for p in root.iter("{http://www.w3.org/2000/svg}path")}
        assert found == keys
    assert live.payload_bytes(data) == len(json.dumps(data, ensure_ascii=False).encode())


def test_cross_data_holds_the_cross_through_the_committed_pair(x, sweeps):
    rnn, lstm = sweeps
    view = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    cross = live.cross_data(x, H, SEED, rnn, lstm, X_LABEL)
    i0, j0 = rnn.grid.index, lstm.grid.index
    assert cross["index"] == {"rho": i0, "fb": j0}
    assert cross["view"] == view["fingerprint"]
    pairs = {(i, j0) for i in range(len(rnn.sides))} | {(i0, j) for j in range(len(lstm.sides))}
    assert set(cross["joint"]) == {f"{i},{j}" for i, j in pairs}
    for i, j in pairs:
        r = _pair(x, rnn, lstm, i, j)
        entry = cross["joint"][f"{i},{j}"]
        assert entry["lstm_readings"] == [live.runs(p) for p in lstm_readings(r)]
        assert entry["compare"] == _metric(headline_metrics(r)[2])
        assert entry["inputs"] == [live.runs(input_reading(r, DX_DECADES))]


def test_trained_sides_have_one_value_and_marked_steps(x):
    x2 = np.stack([x, np.linspace(0, 1, T)], axis=1)
    rnn_model, lstm_model = RNN(2, 5, seed=2), LSTM(2, 5, seed=1)
    rnn, lstm = _sweeps(
        x2,
        live.window("rho", 1.0, 5, trained=True),
        live.window("fb", 3.0, 5, trained=True),
        hidden=5,
        rnn=rnn_model,
        lstm=lstm_model,
    )
    view = live.view_data(x2, 5, SEED, rnn, lstm, X_LABEL, trained_notes={"fb": "Its own **bias**."})
    assert view["rho"]["trained"] and view["fb"]["complete"]
    assert view["fb"]["note"] == live.runs("Its own **bias**.") and view["rho"]["note"] == []
    assert "pred" not in view["per_rho"][0]["paths"]
    assert 'data-path="pred"' not in view["chart"]["svg"]
    r = compare_gradients(x2, seed=SEED, rnn=rnn_model, lstm=lstm_model)
    assert view["per_rho"][0]["readings"] == [live.runs(p) for p in rnn_readings(r)]
    cross = live.cross_data(x2, 5, SEED, rnn, lstm, X_LABEL, marked=(3, 11))
    assert set(cross["joint"]) == {"0,0"}
    expected = [input_reading(r, DX_DECADES), *marked_steps_readings(r, (3, 11))]
    assert len(expected) == 4  # the LSTM's, the RNN's, and both at the first mark
    assert cross["joint"]["0,0"]["inputs"] == [live.runs(p) for p in expected]


def test_fingerprint_follows_what_the_view_is_computed_from(x):
    rho_grid, fb_grid = GRIDS["windows"]
    rnn, lstm = _sweeps(x, rho_grid, fb_grid)
    base = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)["fingerprint"]
    moved = (
        live.Sweep(live.Grid("rho", rho_grid.values, 0, False), rnn.sides),
        live.Sweep(live.Grid("fb", fb_grid.values, 2, False), lstm.sides),
    )
    again = live.view_data(x, H, SEED, *moved, X_LABEL)
    assert again["fingerprint"] == base  # the committed index is not part of the view
    assert again == live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    assert live.cross_data(x, H, SEED, *moved, X_LABEL)["index"] == {"rho": 0, "fb": 2}
    other_seed = live.view_data(x, H, 1, *_sweeps(x, rho_grid, fb_grid, seed=1), X_LABEL)["fingerprint"]
    other_h = live.view_data(x, H + 1, SEED, *_sweeps(x, rho_grid, fb_grid, hidden=H + 1), X_LABEL)
    shifted = live.window("rho", 1.1, 3)
    other_values = live.view_data(x, H, SEED, *_sweeps(x, shifted, fb_grid), X_LABEL)["fingerprint"]
    assert len({base, other_seed, other_h["fingerprint"], other_values}) == 4


def test_sides_equal_single_runs_and_share_the_zero_bias_run(x):
    values = (-1.0, 0.0, 2.0)
    sides = live.lstm_sides(x, H, SEED, values)
    fresh_zero = lstm_side(x, H, SEED, 0.0).grads.log10_ratio
    assert [s.log10_ratio_zero_bias for s in sides] == [fresh_zero] * 3
    assert [s.forget_bias for s in sides] == list(values)
    for s, fb in zip(sides, values):
        assert np.array_equal(s.grads.log10_dh, lstm_side(x, H, SEED, fb).grads.log10_dh)
    calls = []
    rhos = (0.5, 2.0)
    rsides = live.rnn_sides(x, H, SEED, rhos, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    for s, rho in zip(rsides, rhos):
        one = rnn_side(x, H, SEED, rho)
        assert np.array_equal(s.grads.log10_dh, one.grads.log10_dh)
        assert np.array_equal(s.log10_predicted, one.log10_predicted)
        assert s.spectral_radius == one.spectral_radius
        assert s.log10_ratio_perturbed == one.log10_ratio_perturbed


def _is_run(p) -> bool:
    return isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)


def test_every_run_of_a_view_reads_as_plain_text(x, sweeps):
    rnn, lstm = sweeps
    view = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    payload = [view, live.cross_data(x, H, SEED, rnn, lstm, X_LABEL)]
    found = []

    def walk(node):
        if isinstance(node, list) and node and all(_is_run(p) for p in node):
            found.append(node)
            return
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(payload)
    assert len(found) > 20
    for parts in found:
        assert {k for k, _ in parts} <= {"t", "b", "i", "m", "msub", "msup"}
        text = live.plain_text(parts)
        for bad in ("$", "**", "\\", "{", "}"):
            assert bad not in text, text


def test_the_full_view_at_the_default_size_fits_the_byte_cap():
    x = make_sequence("sine", 100)
    n_rho, n_fb = live.counts(100, 16)
    rnn, lstm = _sweeps(x, live.window("rho", 1.0, n_rho), live.window("fb", 3.0, n_fb), hidden=16)
    assert rnn.grid.complete and lstm.grid.complete
    data = live.view_data(x, 16, SEED, rnn, lstm, X_LABEL)
    assert len(data["per_rho"]) == n_rho and len(data["per_fb"]) == n_fb
    size = live.payload_bytes(data)
    assert size <= live.BYTE_CAP
    assert size <= live._estimated_bytes(100, n_rho, n_fb)  # the estimate is generous, as it says


# ------------------------------------------------------------------------------------------ lengths


def _length_work(lengths, hidden, runs=4) -> int:
    return sum(length * hidden * runs for length in lengths)


@pytest.mark.parametrize(("T", "hidden"), [(100, 16), (2, 16), (500, 16), (100, 64), (499, 8), (60, 256)])
def test_length_window_is_the_nearest_lengths_within_the_budgets(T, hidden):
    high = max(500, T)
    lengths = live.length_window(T, 2, high, hidden)
    assert list(lengths) == sorted(set(lengths)) and T not in lengths
    assert all(2 <= n <= high for n in lengths)
    assert lengths, "at least one neighbour fits every budget here"
    # contiguous around T: every length between the shortest and the longest but T itself
    assert set(lengths) == set(range(lengths[0], lengths[-1] + 1)) - {T}
    assert _length_work(lengths, hidden) <= live.LENGTH_WORK_BUDGET
    assert sum(live._length_bytes(n) for n in lengths) <= live.LENGTH_BYTE_CAP
    # the next length out would break a budget, or the range ends
    longer, shorter = lengths[-1] + 1, lengths[0] - 1
    for nxt in (longer if longer != T else longer + 1, shorter if shorter != T else shorter - 1):
        if 2 <= nxt <= high:
            over_work = _length_work((*lengths, nxt), hidden) > live.LENGTH_WORK_BUDGET
            over_bytes = sum(live._length_bytes(n) for n in (*lengths, nxt)) > live.LENGTH_BYTE_CAP
            assert over_work or over_bytes
    # balanced: at most one more on one side than the other, unless the range ends there
    below, above = sum(n < T for n in lengths), sum(n > T for n in lengths)
    if min(lengths[0], T) > 2 and max(lengths[-1], T) < high:
        assert abs(above - below) <= 1
    # a first view: at most 2 x QUICK_LENGTHS, the nearest ones
    quick = live.length_window(T, 2, high, hidden, quick=True)
    assert set(quick) <= set(lengths) and len(quick) == min(2 * live.QUICK_LENGTHS, len(lengths))
    rest = set(lengths) - set(quick)
    assert not rest or max(abs(n - T) for n in quick) <= min(abs(n - T) for n in rest)


def test_a_trained_side_costs_one_run_so_more_lengths_fit():
    both = live.length_window(300, 2, 500, 64)
    trained = live.length_window(300, 2, 500, 64, rnn_trained=True, lstm_trained=True)
    assert len(trained) > len(both)
    assert _length_work(trained, 64, runs=2) <= live.LENGTH_WORK_BUDGET


def test_a_length_view_keeps_the_committed_axes_and_draws_the_librarys_lines():
    x = make_sequence("sine", T)
    ranges = (-9.0, 2.0, -5.0, 0.0)
    other = make_sequence("sine", T + 3)
    rnn, lstm = _sweeps(other, live.window("rho", 1.2, 1), live.window("fb", 2.0, 1))
    entry = live.length_entry(other, H, SEED, rnn, lstm, X_LABEL, ranges)
    assert entry["T"] == T + 3 and entry["view"]["T"] == T + 3
    view = entry["view"]
    assert live.view_ranges(view) == ranges
    expected = compare_gradients(other, H, SEED, 1.2, 2.0)
    frame = live_chart.LogChart(T + 3, -9.0, 2.0, "", "")
    assert view["per_rho"][0]["paths"]["rnn"] == live_chart.path_d(frame, expected.rnn.log10_dh)
    assert view["per_fb"][0]["paths"]["dc"] == live_chart.path_d(frame, expected.lstm.log10_dc)
    assert view["rho"]["values"] == [1.2] and view["fb"]["values"] == [2.0]
    cross = entry["cross"]
    assert cross["view"] == view["fingerprint"] and cross["index"] == {"rho": 0, "fb": 0}
    assert cross["joint"]["0,0"]["lstm_readings"] == [live.runs(p) for p in lstm_readings(expected)]
    # its own length's view (no ranges) fits its axes itself: the ranges came from the argument
    own = live.view_data(other, H, SEED, rnn, lstm, X_LABEL)
    assert live.view_ranges(own) != ranges
    wide = live.Sweep(
        live.window("rho", 1.0, 3), live.rnn_sides(x, H, SEED, live.window("rho", 1.0, 3).values)
    )
    with pytest.raises(ValueError, match="one ρ and one bias"):
        live.length_entry(x, H, SEED, wide, lstm, X_LABEL, ranges)


def test_length_data_lists_the_entries_by_length_with_the_committed_view():
    x = make_sequence("sine", T)
    main = live.view_data(
        x, H, SEED, *_sweeps(x, live.window("rho", 1.0, 1), live.window("fb", 3.0, 1)), X_LABEL
    )
    entries = []
    for n in (T + 1, T - 1):
        other = make_sequence("sine", n)
        sweeps_n = _sweeps(other, live.window("rho", 1.0, 1), live.window("fb", 3.0, 1))
        entries.append(live.length_entry(other, H, SEED, *sweeps_n, X_LABEL, live.view_ranges(main)))
    data = live.length_data(main, 1.0, 3.0, 2, 500, entries)
    assert data["values"] == [T - 1, T + 1] and [e["T"] for e in data["entries"]] == [T - 1, T + 1]
    assert data["view"] == main["fingerprint"] and data["T"] == T
    assert (data["rho"], data["fb"], data["low"], data["high"], data["step"]) == (1.0, 3.0, 2, 500, 1)
    assert all(live.view_ranges(e["view"]) == live.view_ranges(main) for e in data["entries"])
    json.dumps(data)  # travels as JSON


# ------------------------------------------------------------------------------------------ the pointer


@pytest.mark.parametrize("T", [2, 20, 200, 201, 999, 2000])
def test_hover_steps_cover_the_line_within_the_cap(T):
    steps = live_chart.hover_steps(T)
    assert steps[0] == 0 and steps[-1] == T - 1 and np.all(np.diff(steps) > 0)
    assert len(steps) <= live_chart.HOVER_POINTS + 1
    if T <= live_chart.HOVER_POINTS:
        assert steps.tolist() == list(range(T))
    else:  # evenly spaced, no gap wider than the stride
        assert np.diff(steps).max() <= math.ceil(T / live_chart.HOVER_POINTS)


def test_the_frame_turns_a_step_into_the_x_the_lines_are_drawn_at():
    chart = live_chart.LogChart(57, -6.0, 1.0, "", "", width=520.0)
    f = chart.frame()
    for t in (0, 13, 56):
        assert f["left"] + f["plot_width"] * t / (f["T"] - 1) == pytest.approx(float(chart.x(t)))
    svg = live_chart.chart_svg(chart, (live_chart.Line("a", "A", "#000"),), "t")
    guides = [e for e in ET.fromstring(svg).iter() if "data-guide" in e.attrib]
    assert len(guides) == 1 and guides[0].attrib["visibility"] == "hidden"


def test_the_readout_holds_each_lines_values_as_people_read_them(x, sweeps):
    rnn, lstm = sweeps
    d = live.view_data(x, H, SEED, rnn, lstm, X_LABEL)
    steps = d["hover"]["steps"]
    assert steps == live_chart.hover_steps(T).tolist()
    i, j = len(rnn.sides) - 1, 0
    r = VanishingResult.of_sides(x, H, SEED, rnn.sides[i], lstm.sides[j])
    want_rho = {"rnn": r.rnn.log10_dh} | ({"pred": r.log10_predicted} if r.prediction_applies else {})
    assert d["per_rho"][i]["hover"] == {
        k: [format_log10(v) for v in logs[steps]] for k, logs in want_rho.items()
    }
    dc = r.lstm.log10_dc
    want_fb = {"dh": r.lstm.log10_dh, "dc": dc, "mean": r.log10_forget_product_mean, "measured": dc - dc[-1]}
    assert d["per_fb"][j]["hover"] == {
        k: [format_log10(v) for v in logs[steps]] for k, logs in want_fb.items()
    }
    # every line that has a value is named as its legend names it
    assert set(d["hover"]["names"]) >= set(want_rho) | set(want_fb)
    assert d["hover"]["names"]["rnn"] == live.RNN_DH


def test_probe_keeps_the_ends_and_the_default():
    grid = live.window("rho", 1.0, 81)
    p = live.probe(grid)
    assert p.values == (grid.values[0], SETTINGS["rho"].default, grid.values[-1])
    assert p.values[p.index] == SETTINGS["rho"].default
    narrow = live.window("fb", 1.0, 5)  # the default (3) lies outside: the nearest value, an end, stands in
    assert live.probe(narrow).values == (narrow.values[0], narrow.values[-1]) and len(narrow.values) == 5
    trained = live.window("fb", 2.0, 5, trained=True)
    assert live.probe(trained) is trained


def test_a_view_fits_its_axes_to_its_sweeps_unless_given_them(x, sweeps):
    d = live.view_data(x, H, SEED, *sweeps, X_LABEL)
    assert live.view_ranges(d) == live.axis_ranges(*sweeps)
    given = (-30.0, 3.0, -9.0, 0.0)
    assert live.view_ranges(live.view_data(x, H, SEED, *sweeps, X_LABEL, ranges=given)) == given
