"""The Vanishing-gradients page runs under AppTest, redraws, survives bad input, shows the library's sentences
for each regime (compared with values computed in the same test, never pinned digits), and compares trained
models: the shipped pair, the session's last Train run, or one trained model beside an untrained one. Its
state: links (old names and compare=...) open the view they name, H and seed stay the page's own, settings
survive a visit to another page, and in Chromium the bound sliders write the link themselves."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from app_support import page_app
from streamlit.testing.v1 import AppTest
from test_figures_gradients import plotly_array

from lstm_vault import GRU, LSTM, RNN
from lstm_vault import gradient_live as live_module
from lstm_vault.figures import live_chart
from lstm_vault.figures.gradients import DC_CLAMPED, DX_DECADES, F_CLAMPED
from lstm_vault.formatting import format_log10
from lstm_vault.gradient_edge import edge_sweep
from lstm_vault.gradient_live import runs
from lstm_vault.gradient_models import load_shipped_pair, task_example
from lstm_vault.gradient_notes import (
    EDGE_TITLE,
    HEATMAPS_TITLE,
    edge_reading,
    input_reading,
    intro,
    marked_steps_readings,
    method_notes,
    norms_caption,
    singular_value_caption,
    window_note,
)
from lstm_vault.gradient_readings import forget_clamp_reading, lstm_readings, regime_word, rnn_readings
from lstm_vault.sequences import make_sequence
from lstm_vault.tasks import get_task
from lstm_vault.vanishing import FORGET_CLAMP, compare_gradients, forget_clamp, loss_weights

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "2_Vanishing_gradients.py")


def app(**query) -> AppTest:
    at = page_app(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def slider(at, label_start: str):
    return next(s for s in at.slider if s.label.startswith(label_start))


def live(at) -> dict:
    """What the page sends its live view (pages.common.gradient_live): the top part's view data, with the
    committed indices and the cross's sentences that the "lstm" part carries, in one dict."""
    parts = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    assert [d["part"] for d in parts] == ["top", "rnn", "lstm", "forget", "inputs"]
    top, cross = parts[0], parts[2]["cross"]
    assert cross["view"] == top["fingerprint"]  # the cross belongs to the view shown
    data = {**top, "joint": cross["joint"]}
    for name in ("rho", "fb"):
        data[name] = {**top[name], "index": cross["index"][name]}
    return data


def lengths(at) -> dict | None:
    """The length slider's data, carried by the live view's "rnn" part (None: no length slider)."""
    parts = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    return parts[1]["lengths"]


def expand_request(at) -> str | None:
    parts = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    return parts[1]["expand"]


def more_values(at) -> bool:
    """Whether the view (not only the lengths) is a first, small payload."""
    return [json.loads(e.proto.json) for e in at.get("bidi_component")][1]["more_values"]


def shown(at) -> tuple[dict, dict, dict]:
    """The live view's entries at the committed ρ and bias: (per ρ, per bias, the pair's)."""
    d = live(at)
    i, j = d["rho"]["index"], d["fb"]["index"]
    return d["per_rho"][i], d["per_fb"][j], d["joint"][f"{i},{j}"]


def move(at, **values) -> AppTest:
    """What the browser's live view does when its sliders come to rest: it sets its state ``at`` (with a
    length ``T``, the browser also numbers its commit ``n``)."""
    values = {k: float(v) for k, v in values.items()}
    if "T" in values:
        values = {"rho": 1.0, "fb": 3.0, "n": float(next(COMMITS))} | values
    at.session_state["vg_live_top"] = {"at": values}
    return at.run()


COMMITS = itertools.count(1)


def drawn(at, key: str) -> str:
    """The SVG path of one line of the gradient chart at the committed values."""
    rho, fb, _ = shown(at)
    return {**rho["paths"], **fb["paths"]}[key]


def expected_path(at, log10_values, chart: str = "chart") -> str:
    """The path the library draws for ``log10_values`` on the page's chart (its axis from the payload)."""
    d = live(at)
    size = {k: d[chart][k] for k in ("width", "height", "top") if k in d[chart]}
    frame = live_chart.LogChart(d["T"], d[chart]["lo"], d[chart]["hi"], "", "", **size)
    return live_chart.path_d(frame, log10_values)


def markdown_of(parts) -> str:
    """Runs written back as Markdown for bold and italic (math stays as its Unicode)."""
    marks = {"b": "**", "i": "*"}
    return "".join(f"{marks.get(kind, '')}{text}{marks.get(kind, '')}" for kind, text in parts)


def live_texts(at) -> list[str]:
    """Every paragraph of the live view at the committed values (readings, captions, clip notes)."""
    rho, fb, joint = shown(at)
    paragraphs = [
        rho["sigma"],
        *rho["readings"],
        *rho["clip"],
        fb["caption"],
        *fb["clip"],
        fb["forget_caption"],
    ]
    paragraphs += [*joint["lstm_readings"], *joint["inputs"]]
    return [markdown_of(p) for p in paragraphs]


def texts(at) -> list[str]:
    """Every markdown paragraph the page shows, as its source text (an element may hold several), then
    the live view's."""
    return [paragraph for md in at.markdown for paragraph in md.value.split("\n\n")] + live_texts(at)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def metrics(at) -> dict:
    """The live view's four metrics (and any st.metric), by label: objects with .value and .delta."""
    rho, fb, joint = shown(at)
    out = {m.label: SimpleNamespace(value=m.value, delta=m.delta) for m in at.metric}
    for m in (rho["metrics"]["rnn"], fb["metrics"]["lstm"], joint["compare"], rho["metrics"]["step"]):
        out[m["label"]] = SimpleNamespace(value=m["value"], delta=m["delta"] or "")
    return out


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def assert_readings_shown(at, r) -> None:
    """Every sentence the library writes about this run is in the live view, word for word."""
    rho, _, joint = shown(at)
    assert rho["readings"] == [runs(p) for p in rnn_readings(r)]
    assert joint["lstm_readings"] == [runs(p) for p in lstm_readings(r)]
    assert joint["inputs"][0] == runs(input_reading(r, DX_DECADES))
    assert rho["sigma"] == runs(singular_value_caption(r))


def saved(model, task="adding", **options):
    """A SavedModel-like record, as the Train page stores it."""
    t = get_task(task, **options)
    return SimpleNamespace(rnn=model, meta={"task": task, "task_options": t.options()}, task=lambda: t)


def test_default_run_shows_the_computed_numbers():
    at = app()
    assert_clean(at)
    x = make_sequence("sine", 100)
    expected = compare_gradients(x, 16, 0, 1.0, 3.0)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)
    assert drawn(at, "dc") == expected_path(at, expected.lstm.log10_dc)
    assert drawn(at, "pred") == expected_path(at, expected.log10_predicted)
    m = metrics(at)
    for name, path in (("RNN", expected.rnn), ("LSTM", expected.lstm)):
        metric = m[f"{name}: gradient reaching t = 0"]
        assert metric.value == format_log10(path.log10_ratio)
        assert metric.delta == regime_word(path.log10_ratio)
    assert m["RNN: gradient reaching t = 0"].delta == m["LSTM: gradient reaching t = 0"].delta
    assert m["LSTM ÷ RNN at t = 0"].value == format_log10(expected.log10_lstm_over_rnn)
    assert m["RNN factor per step back"].delta == f"mean-field {expected.predicted_step_factor:.3f}"
    assert texts(at)[0] == intro(expected, "")  # the first sentence: both untrained
    assert texts(at)[0].startswith("Both models are **untrained**")
    assert_readings_shown(at, expected)
    label = markdown_of(shown(at)[1]["caption"])
    assert label.startswith("Loss at t = 99.")
    assert label == norms_caption(expected, label.split("Input: ")[1].rsplit(";", 1)[0])
    assert len(at.get("plotly_chart")) == 0  # the norms and forget product are drawn by the live view
    assert edge_reading(edge_sweep(x, 16, 0)) not in texts(at)  # the sweep waits until it is opened
    at.session_state["vg_edge"] = True  # what opening its expander sets
    at.run()
    assert_clean(at)
    assert edge_reading(edge_sweep(x, 16, 0)) in texts(at)
    assert len(at.get("plotly_chart")) == 1  # the edge sweep
    at.session_state["vg_heatmaps"] = True
    at.run()
    assert len(at.get("plotly_chart")) == 2  # and the input-gradient heatmaps
    assert [e.label for e in at.expander if e.label == HEATMAPS_TITLE]
    assert [e.label for e in at.expander if e.label == EDGE_TITLE]


def test_rho_help_names_the_singular_value_and_the_edge():
    at = app()
    help_text = live(at)["rho"]["help"]
    assert "σ_max, the largest singular value" in help_text and "shrinks step by step" not in help_text
    assert "ρ · rms(tanh′) passes 1" in help_text


def test_length_slider_changes_the_gradient_plot():
    at = app()
    assert live(at)["T"] == 100
    move(at, T=300)
    assert_clean(at)
    assert live(at)["T"] == 300
    expected = compare_gradients(make_sequence("sine", 300), 16, 0, 1.0, 3.0)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)
    assert at.number_input(key="vg_T").value == 300  # the sidebar's length box followed the slider
    assert at.query_params["T"] == "300"
    assert lengths(at)["T"] == 300 and lengths(at)["n"] == at.session_state["vg_live_top"]["at"]["n"]


def test_other_lengths_are_sent_at_the_committed_values_on_the_committed_axes():
    at = app(rho="1.2", fb="2", H="8")
    d, data = live(at), lengths(at)
    assert (data["T"], data["rho"], data["fb"], data["low"], data["high"]) == (100, 1.2, 2.0, 2, 500)
    first = data["values"]
    assert first == list(live_module.length_window(100, 2, 500, 8, quick=True)) and 100 not in first
    assert more_values(at) and len(expand_request(at).split("+")) == 2  # the view's values and the lengths
    axes = live_module.view_ranges(live(at))
    # the browser asks for the rest: then the whole window within the budgets, on the same axes
    at.session_state["vg_live_top"] = {"full": expand_request(at)}
    at.run()
    assert_clean(at)
    assert live_module.view_ranges(live(at)) == axes and len(live(at)["rho"]["values"]) == 81
    data = lengths(at)
    assert data["values"] == list(live_module.length_window(100, 2, 500, 8)) and len(data["values"]) > len(
        first
    )
    assert expand_request(at) is None and not more_values(at)
    assert live_module.payload_bytes(data) <= live_module.LENGTH_BYTE_CAP
    d = live(at)
    assert data["view"] == d["fingerprint"]
    for entry in (data["entries"][0], data["entries"][-1]):
        n, view = entry["T"], entry["view"]
        expected = compare_gradients(make_sequence("sine", n), 8, 0, 1.2, 2.0)
        assert live_module.view_ranges(view) == live_module.view_ranges(d)  # the committed view's axes
        frame = live_chart.LogChart(n, d["chart"]["lo"], d["chart"]["hi"], "", "")
        assert view["per_rho"][0]["paths"]["rnn"] == live_chart.path_d(frame, expected.rnn.log10_dh)
        assert view["per_fb"][0]["paths"]["dh"] == live_chart.path_d(frame, expected.lstm.log10_dh)
        steps = live_chart.hover_steps(n)  # the pointer's readout at that length
        assert view["per_rho"][0]["hover"]["rnn"] == live_chart.hover_texts(expected.rnn.log10_dh, steps)
        joint = entry["cross"]["joint"]["0,0"]
        assert joint["lstm_readings"] == [runs(p) for p in lstm_readings(expected)]
        assert view["per_rho"][0]["readings"] == [runs(p) for p in rnn_readings(expected)]
        assert f"T = {n}" in live_module.plain_text(view["per_fb"][0]["caption"])
    # ρ comes to rest elsewhere: every ρ and bias are still there, the lengths are made again at the new ρ
    move(at, rho=1.5, fb=2.0)
    assert lengths(at)["rho"] == 1.5 and lengths(at)["values"] == first
    assert expand_request(at) and not more_values(at) and live(at)["fingerprint"] == d["fingerprint"]


def test_a_standardised_noisy_input_is_made_the_same_at_every_length():
    at = app(preset="noisy_sine", xseed="7", z="1", H="8")
    entry = lengths(at)["entries"][0]
    n = entry["T"]
    x = make_sequence("noisy_sine", n, 7)
    x = (x - x.mean()) / x.std()
    expected = compare_gradients(x, 8, 0, 1.0, 3.0)
    assert entry["cross"]["joint"]["0,0"]["lstm_readings"] == [runs(p) for p in lstm_readings(expected)]
    assert "seed 7" in live_module.plain_text(entry["view"]["per_fb"][0]["caption"])
    assert "standardised" in live_module.plain_text(entry["view"]["per_fb"][0]["caption"])


def test_a_commit_sets_the_length_once_and_the_sidebar_box_still_wins_after():
    at = move(app(H="8"), T=120)
    assert live(at)["T"] == 120 and at.number_input(key="vg_T").value == 120
    at.number_input(key="vg_T").set_value(80).run()  # the browser's last commit (T = 120) is still its state
    assert_clean(at)
    assert live(at)["T"] == 80 and at.number_input(key="vg_T").value == 80
    at.run()
    assert live(at)["T"] == 80
    move(at, T=81)  # a new commit applies
    assert live(at)["T"] == 81 and at.query_params["T"] == "81"


def test_exploding_setting_says_what_the_library_says_and_that_it_is_chaotic():
    at = move(app(), rho=4.0, T=500)
    assert_clean(at)
    # the exact size depends on rounding (another machine, another number): compare with this process's value
    expected = compare_gradients(make_sequence("sine", 500), 16, 0, 4.0, 3.0)
    assert expected.rnn.log10_dh.max() > 30 and np.isfinite(expected.rnn.log10_dh).all()
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)
    assert not expected.rnn_reproducible
    assert_readings_shown(at, expected)
    shown = "\n".join(texts(at))
    assert "the RNN is **chaotic**" in shown and "So its exact size is not reproducible" in shown
    assert "training can diverge unless the gradient is clipped" in shown and "diverges unless" not in shown
    assert not any(no in shown for no in ("Raise the forget-gate bias", "shrink faster"))
    m = metrics(at)
    assert m["RNN: gradient reaching t = 0"].value == format_log10(expected.rnn.log10_ratio)
    assert m["RNN: gradient reaching t = 0"].delta == "exploded"
    peak = float(np.max(expected.lstm.log10_dh - expected.lstm.log10_dh[-1]))
    assert m["LSTM: largest at any t"].value == format_log10(peak)
    assert "LSTM ÷ RNN at t = 0" not in m  # no "LSTM keeps 1.4 × 10⁻⁵⁶ as much" beside a blow-up


@pytest.mark.parametrize(("rho", "kind"), [(1.2, "vanished"), (1.5, "neither"), (0.95, "vanished")])
def test_each_regime_shows_the_librarys_sentences(rho, kind):
    at = app(rho=str(rho))
    assert_clean(at)
    expected = compare_gradients(make_sequence("sine", 100), 16, 0, rho, 3.0)
    assert regime_word(expected.rnn.log10_ratio) == kind
    assert_readings_shown(at, expected)
    shown = "\n".join(texts(at))
    assert ("explosion" in shown) is False and ("damps the growth" in shown) is False


def test_two_steps_read_in_the_singular():
    at = app(T="2")
    assert_clean(at)
    shown = texts(at)
    expected = compare_gradients(make_sequence("sine", 2), 16, 0, 1.0, 3.0)
    assert metrics(at)["RNN: gradient reaching t = 0"].value == format_log10(expected.rnn.log10_ratio)
    assert any(
        f"Over the 1 step back to t = 0 that gives {format_log10(expected.log10_predicted[0])};" in t
        for t in shown
    )
    assert any(
        t.startswith("Over this 1 step the gradient has neither vanished nor exploded (") for t in shown
    )
    assert any("Multiplied over the 1 step back to t = 0" in t for t in shown)
    assert not any("1 steps" in t or "per step)" in t for t in shown)


def test_length_below_two_is_refused_everywhere():
    at = app()
    assert lengths(at)["low"] == 2 and 1 not in lengths(at)["values"]
    at.number_input(key="vg_T").set_value(1).run()  # the sidebar's box (shared widget) goes down to 1
    assert_clean(at)
    assert [w.value for w in at.warning] == [
        "Sequence length T = 1 has no earlier step for the gradient to travel back to: using T = 2."
    ]
    assert at.number_input(key="vg_T").value == 2 and live(at)["T"] == 2
    for bad in ("1", "0"):
        at = app(T=bad)
        assert_clean(at)
        assert [w.value for w in at.warning] == [
            f"Link parameter T={bad} ignored: the gradient needs at least 2 steps to travel back through; "
            "using T = 100"
        ]
        assert live(at)["T"] == 100


def test_the_estimate_uses_rms_not_an_overline():
    at = app()
    shown = "\n".join(texts(at))
    assert r"\overline" not in shown and r"$\mathrm{rms}(\tanh'(a_k))$ the root mean square" in shown
    assert "decomposes the measured decay rather than forecasting it" in shown
    latex = [e.value for e in at.get("latex")]
    assert any(r"\mathrm{rms}" in v for v in latex) and not any(r"\overline" in v for v in latex)


def test_half_life_sentence_shows_the_gate_to_the_digits_that_matter():
    at = app(fb="6")
    assert_clean(at)
    expected = compare_gradients(make_sequence("sine", 100), 16, 0, 1.0, 6.0)
    assert runs(lstm_readings(expected)[0]) in shown(at)[2]["lstm_readings"]
    assert "held at 1.00" not in " ".join(texts(at))


def test_a_large_setting_waits_for_a_click_before_the_sweep():
    at = app(H="256")
    at.session_state["vg_edge"] = True  # the expander opened
    at.run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 0 and not any("Where is the edge?" in t for t in texts(at))
    at.button[0].click().run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 1 and any("Where is the edge?" in t for t in texts(at))


def test_link_values_are_read_and_bad_ones_warned():
    at = app(rho="0.5", H="8", fb="banana", seed="-3")
    assert_clean(at)
    d = live(at)
    assert d["rho"]["values"][d["rho"]["index"]] == 0.5
    assert slider(at, "Hidden size").value == 8
    assert d["fb"]["values"][d["fb"]["index"]] == 3.0
    warnings = " ".join(w.value for w in at.warning)
    assert "Link parameter fb ignored" in warnings and "seed ignored" in warnings


def test_typed_numbers_have_no_length_slider():
    at = app(x="0.5, -1, 2, 0, 1")
    assert_clean(at)
    assert not [s for s in at.slider if s.label.startswith("Sequence length")]
    assert lengths(at) is None and at.metric[0].label == "Sequence length T" and at.metric[0].value == "5"
    assert live(at)["T"] == 5


def test_single_step_is_explained_not_crashed():
    at = app(x="1")
    assert not at.exception
    assert any("at least 2" in i.value for i in at.info)


# ------------------------------------------------------------------------------------------ trained models


def models_radio(at):
    return at.radio(key="vg_models")


def test_the_shipped_pair_compares_trained_with_trained():
    at = app()
    assert models_radio(at).value == ""  # untrained by default
    models_radio(at).set_value("shipped").run()
    assert_clean(at)
    pair = load_shipped_pair()
    ex = task_example(pair.lstm, 0)
    expected = compare_gradients(ex.x, seed=0, lstm=pair.lstm.rnn, rnn=pair.rnn.rnn)
    assert texts(at)[0] == intro(expected, "shipped", "adding task", pair.losses())
    assert texts(at)[0].startswith("Both models are **trained** on the adding task")
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)
    assert "pred" not in shown(at)[0]["paths"]  # no mean-field line for a trained W_hh
    assert_readings_shown(at, expected)
    lit = marked_steps_readings(expected, ex.marked)
    assert lit[0].startswith("The trained LSTM's input-gradient heatmap lights up at the two marked steps")
    # the sentence names the heatmap: with marked steps its expander starts open, and it is drawn
    assert any(json.loads(c.proto.spec)["data"][0]["type"] == "heatmap" for c in at.get("plotly_chart"))
    for paragraph in lit:
        assert paragraph in texts(at)
    assert live(at)["rho"]["trained"] and live(at)["fb"]["trained"]  # no slider for a trained side
    assert not [s for s in at.slider if s.label.startswith("Hidden")]
    m = metrics(at)
    assert m["LSTM: gradient reaching t = 0"].delta == regime_word(expected.lstm.log10_ratio)
    assert m["RNN factor per step back"].delta == ""  # no mean-field figure for a trained RNN
    assert not any("Where is the edge?" in t for t in texts(at))
    assert not [e for e in at.expander if e.label == EDGE_TITLE]  # no sweep of a trained RNN's ρ


def test_the_last_train_runs_pair_is_shown_as_soon_as_it_arrives():
    lstm, rnn = saved(LSTM(2, 5, seed=1), length=30), saved(RNN(2, 5, seed=2), length=30)
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_last_run_models"] = {"lstm": lstm, "rnn": rnn}
    at.run()
    assert_clean(at)
    assert models_radio(at).value == "session"
    ex = task_example(lstm, 0)
    expected = compare_gradients(ex.x, seed=0, lstm=lstm.rnn, rnn=rnn.rnn)
    assert texts(at)[0].startswith(
        "Both models are **trained** on the adding task, from this session's last Train run"
    )
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)
    models_radio(at).set_value("").run()  # the user can switch back, and it stays switched
    assert_clean(at)
    assert models_radio(at).value == "" and texts(at)[0].startswith("Both models are **untrained**")


def test_the_current_model_pairs_with_the_runs_other():
    mine, other = saved(LSTM(2, 5, seed=7), length=30), saved(RNN(2, 5, seed=2), length=30)
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_current_model"] = mine
    at.session_state["lv_last_run_models"] = {"rnn": other}
    at.run()
    assert_clean(at)
    assert models_radio(at).value == "session"
    ex = task_example(mine, 0)
    expected = compare_gradients(ex.x, seed=0, lstm=mine.rnn, rnn=other.rnn)
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)


@pytest.mark.parametrize(
    ("model", "offered"),
    [(LSTM(1, 6, seed=2, forget_bias=1.0), True), (LSTM(1, 6, num_layers=2), False), (GRU(1, 6), False)],
)
def test_one_trained_model_is_offered_only_when_it_fits(model, offered):
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=model, meta={"task": "sine"})
    at.run()
    assert_clean(at)
    assert any(o.startswith("Your trained LSTM (sine)") for o in models_radio(at).options) == offered
    if not offered:
        assert len(models_radio(at).options) == 2  # untrained, shipped
        assert any("this page" in c for c in captions(at))
        return
    assert len(models_radio(at).options) == 3
    models_radio(at).set_value("current").run()
    assert_clean(at)
    assert live(at)["fb"]["trained"]  # no slider: the trained model's own bias, shown in its place
    assert markdown_of(live(at)["fb"]["note"]) == (
        "The trained LSTM's own forget-gate bias: **1.00** (mean over units)."
    )
    trained = compare_gradients(make_sequence("sine", 100), lstm=model)
    assert drawn(at, "dh") == expected_path(at, trained.lstm.log10_dh)
    assert texts(at)[0].startswith("The RNN here is **untrained** (random weights, its ρ set by the slider)")


def test_a_trained_rnn_alone_says_the_lstm_is_untrained():
    model = RNN(1, 6, seed=3)
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=model, meta={"task": "sine"})
    at.run()
    models_radio(at).set_value("current").run()
    assert_clean(at)
    expected = compare_gradients(make_sequence("sine", 100), 6, 0, 1.0, 3.0, rnn=model)
    assert texts(at)[0].startswith("The LSTM here is **untrained**")
    assert "pred" not in shown(at)[0]["paths"]
    assert metrics(at)["RNN factor per step back"].value == f"{10**expected.rnn.log10_step_factor:.3f}"
    assert shown(at)[0]["sigma"] == runs(singular_value_caption(expected))
    assert singular_value_caption(expected).startswith(
        f"The trained RNN has ρ = {expected.spectral_radius:.2f}"
    )
    # the other lengths run the same trained RNN (its slider is not offered)
    entry = lengths(at)["entries"][-1]
    n, view = entry["T"], entry["view"]
    other = compare_gradients(make_sequence("sine", n), 6, 0, 1.0, 3.0, rnn=model)
    frame = live_chart.LogChart(n, view["chart"]["lo"], view["chart"]["hi"], "", "")
    assert view["rho"]["trained"] and view["per_rho"][0]["paths"]["rnn"] == live_chart.path_d(
        frame, other.rnn.log10_dh
    )


def test_trained_model_with_several_inputs_reads_its_own_task():
    model = LSTM(2, 5, seed=1)
    task = get_task("adding", length=30)
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_current_model"] = SimpleNamespace(
        rnn=model, meta={"task": "adding"}, task=lambda: task
    )
    at.run()
    models_radio(at).set_value("current").run()
    assert_clean(at)
    assert live(at)["T"] == 30
    assert not [s for s in at.slider if s.label.startswith("Hidden size")]
    assert any("H = 5" in c for c in captions(at))
    x = task.validation(1, seed=0).x[:, 0, :].astype(np.float64)
    expected = compare_gradients(x, seed=0, lstm=model)
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)
    assert "held-out example of the adding task" in markdown_of(shown(at)[1]["caption"])


def test_trained_model_with_several_inputs_and_no_task_falls_back():
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=LSTM(3, 5), meta={})  # no task() to draw from
    at.run()
    models_radio(at).set_value("current").run()
    assert_clean(at)
    assert any("reads 3 features per step" in c for c in captions(at))
    assert not live(at)["fb"]["trained"]  # the page went on with its own models


def test_trained_lstm_gets_no_advice_about_a_slider_it_does_not_have():
    at = page_app(PAGE, default_timeout=60)
    at.query_params["T"], at.query_params["fb"] = "10", "-2"
    model = LSTM(1, 6, seed=2, forget_bias=-1.0)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=model, meta={})
    at.run()
    fresh = "\n".join(texts(at))
    assert "forget gates sit near 1. Raise the forget-gate bias to push f towards 1." in fresh
    models_radio(at).set_value("current").run()
    assert_clean(at)
    expected = compare_gradients(make_sequence("sine", 10), lstm=model)
    assert_readings_shown(at, expected)
    shown = "\n".join(texts(at))
    assert "compare untrained models in the sidebar and use the slider" in shown
    assert "Raise the forget-gate bias" not in shown
    assert "explosion" not in shown and "would make it grow" not in shown


# ------------------------------------------------------------------------------------------ page state


def test_a_compare_link_opens_the_shipped_pair_and_the_choice_writes_it():
    at = app(compare="shipped")
    assert_clean(at)
    assert models_radio(at).value == "shipped"
    pair = load_shipped_pair()
    ex = task_example(pair.lstm, 0)
    expected = compare_gradients(ex.x, seed=0, lstm=pair.lstm.rnn, rnn=pair.rnn.rnn)
    assert texts(at)[0] == intro(expected, "shipped", "adding task", pair.losses())
    assert drawn(at, "dh") == expected_path(at, expected.lstm.log10_dh)
    assert at.query_params["compare"] == "shipped"
    models_radio(at).set_value("").run()  # back to untrained: the parameter leaves the link
    assert "compare" not in at.query_params
    at = app()
    models_radio(at).set_value("shipped").run()
    assert at.query_params["compare"] == "shipped"


@pytest.mark.parametrize(
    ("value", "warning"),
    [
        ("session", "this session has no Train run with a trained LSTM and RNN; comparing untrained models"),
        ("banana", "it must be one of current, session, shipped"),
    ],
)
def test_a_compare_link_this_session_cannot_offer_is_warned(value, warning):
    at = app(compare=value)
    assert_clean(at)
    assert models_radio(at).value == ""
    assert any(
        w.value.startswith("Link parameter compare=") and w.value.endswith(warning) for w in at.warning
    )
    assert texts(at)[0].startswith("Both models are **untrained**")


def test_H_and_seed_are_this_pages_own_and_rho_and_fb_ride_in_the_link():
    at = app(H="8", seed="5")
    assert_clean(at)
    s = at.session_state
    assert s["vg_H"] == 8 and s["vg_seed"] == 5
    assert "H" not in s and "seed" not in s  # Step through keeps its own H and seed (other ranges)
    assert at.query_params["H"] == "8" and at.query_params["seed"] == "5"  # written back by hand
    bound = {sl.label: sl.proto.query_param_key for sl in at.slider}
    assert (
        bound["Hidden size H (both models)"] == ""
        and at.number_input(key="vg_seed").proto.query_param_key == ""
    )
    # ρ and fb are the live view's: the browser writes ?rho= and ?fb= itself (the browser test below)
    assert not [label for label in bound if label.startswith(("Spectral radius", "LSTM forget-gate"))]
    expected = compare_gradients(make_sequence("sine", 100), 8, 5, 1.0, 3.0)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)


def test_settings_survive_a_visit_to_another_page():
    at = app()
    move(at, rho=2.0)
    slider(at, "Hidden size").set_value(8).run()
    models_radio(at).set_value("shipped").run()
    at.switch_page("pages/1_Step_through.py").run()
    assert_clean(at)
    at.switch_page("pages/2_Vanishing_gradients.py").run()
    assert_clean(at)
    assert models_radio(at).value == "shipped"
    models_radio(at).set_value("").run()
    d = live(at)
    assert d["rho"]["values"][d["rho"]["index"]] == 2.0 and slider(at, "Hidden size").value == 8
    expected = compare_gradients(make_sequence("sine", 100), 8, 0, 2.0, 3.0)
    assert drawn(at, "rnn") == expected_path(at, expected.rnn.log10_dh)


def test_a_new_train_run_is_announced_and_the_metric_shows_its_forget_bias():
    first = {"lstm": saved(LSTM(2, 5, seed=1), length=30), "rnn": saved(RNN(2, 5, seed=2), length=30)}
    lstm, rnn = saved(LSTM(2, 5, seed=3, forget_bias=2.0), length=30), saved(RNN(2, 5, seed=4), length=30)
    at = page_app(PAGE, default_timeout=60)
    at.session_state["lv_last_run_models"] = first
    at.run()
    assert models_radio(at).value == "session" and not at.toast  # the first pair this page sees: no news
    models_radio(at).set_value("").run()
    at.session_state["lv_last_run_models"] = {"lstm": lstm, "rnn": rnn}  # another Train run
    at.run()
    assert_clean(at)
    assert [t.value for t in at.toast] == [
        "Now comparing the LSTM and RNN of your last Train run; pick other models in the sidebar."
    ]
    assert models_radio(at).value == "session"
    bias = f"{lstm.rnn.gate_bias('f').mean():.2f}"
    assert bias == "2.00"
    assert markdown_of(live(at)["fb"]["note"]) == (
        f"The trained LSTM's own forget-gate bias: **{bias}** (mean over units)."
    )


def test_how_this_is_computed_is_drawn_only_when_opened():
    at = app()
    assert not any("**Loss.**" in t for t in texts(at))  # closed: its formulas are not redrawn on each move
    at.session_state["vg_methods"] = True  # what opening the expander sets
    at.run()
    assert_clean(at)
    expected = compare_gradients(make_sequence("sine", 100), 16, 0, 1.0, 3.0)
    assert method_notes(expected) in texts(at)


def test_forget_clamp_experiment_shows_both_curves_and_says_why_they_differ():
    at = app(fb="-2")
    assert not any(
        s.proto.spec and F_CLAMPED in s.proto.spec for s in at.get("plotly_chart")
    )  # off: not drawn
    at.session_state["vg_clamp"] = True  # the toggle switched on
    at.run()
    assert_clean(at)
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if F_CLAMPED in c.proto.spec)
    y = {tr["name"]: plotly_array(tr["y"]) for tr in spec["data"]}
    assert np.all(y[F_CLAMPED] == 1.0)  # the running product of f: exactly 1 under the clamp
    # ||dL/dc_t|| against the library's backward with the clamp, computed here
    x = make_sequence("sine", 100)
    lstm, u = LSTM(1, 16, seed=0, forget_bias=-2.0), loss_weights(16, 0)
    out, _, trace = lstm.forward(x[:, None], clamps=[FORGET_CLAMP])
    d_out = np.zeros_like(out)
    d_out[-1] = u
    dc = lstm.backward(trace, d_out).layers[0][0].dc[:, 0]
    np.testing.assert_allclose(y[DC_CLAMPED], np.linalg.norm(dc, axis=-1), rtol=1e-9)
    # the sentence: the library's, and its numbers are the plotted ones
    sentence = forget_clamp_reading(forget_clamp(x, 16, 0))
    assert sentence in texts(at)
    last, first = np.log10(y[DC_CLAMPED][-1]), np.log10(y[DC_CLAMPED][0])
    assert f"Π f is exactly {format_log10(np.log10(y[F_CLAMPED].max()))} at every step" in sentence
    assert f"‖∂L/∂cₜ‖ is {format_log10(last)} at t = 99 and {format_log10(first)} at t = 0" in sentence
    word = "larger" if first > last else "smaller"
    assert f", {format_log10(abs(first - last))} times {word}." in sentence


# ------------------------------------------------------------------------------------------ in a browser


def whole_payload(page) -> None:
    """Wait until the live view holds its whole payload (a first view asks for the rest a second after it
    is shown: one script run), so that a test counting script runs counts only its own."""
    from browser_support import runs_finished, wait_for_run

    page.locator('.lv-gl[data-part="top"]').wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')].some("
        "e => e.shadowRoot?.querySelector('.lv-gl[data-part=top]')?.dataset.partial === '')",
        timeout=60_000,
    )
    wait_for_run(page, runs_finished(page) - 1)


@pytest.mark.browser
def test_browser_live_view_moves_with_no_script_run_and_the_link_carries_it(app_page, app_server):
    """ρ moves in the browser: the value, the chart line and the metric change with no script run, the
    address carries ?rho=, one script run follows once the slider rests, and the copied link opens there."""
    from browser_support import open_app_page, runs_finished, sliders, step_slider, wait_for_run

    open_app_page(app_page, app_server.url, "Vanishing_gradients?rho=1.5&H=8")
    whole_payload(app_page)
    value = app_page.locator('.lv-gl-control[data-name="rho"] .lv-gl-value')
    assert value.text_content() == "1.50"
    line = app_page.locator('path[data-path="rnn"]')
    before = line.get_attribute("d")
    n = runs_finished(app_page)
    app_page.locator("#lv-gl-rho").focus()
    app_page.keyboard.press("ArrowRight")
    app_page.wait_for_function(
        "() => document.querySelector('[data-testid=stBidiComponentIsolated]')"
        "&& [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')].some("
        "e => e.shadowRoot?.querySelector('.lv-gl[data-part=top]')?.dataset.rho === '1.55')"
    )
    assert value.text_content() == "1.55" and line.get_attribute("d") != before
    assert runs_finished(app_page) == n  # no script run for the move itself
    app_page.wait_for_url("**rho=1.55**")
    assert "H=8" in app_page.url and "preset=sine" in app_page.url
    wait_for_run(app_page, n)  # the one run that tells Python where the slider rests
    metric = app_page.locator(".lv-gl-metric").first.inner_text()
    x = make_sequence("sine", 100)
    expected = compare_gradients(x, 8, 0, 1.55, 3.0)
    assert format_log10(expected.rnn.log10_ratio) in metric
    # another control's rerun rewrites the address (H): the live view puts ?rho= back
    hidden = sliders(app_page).and_(app_page.locator('[aria-label^="Hidden size"]'))
    step_slider(app_page, hidden, "ArrowRight")
    app_page.wait_for_url("**H=9**")
    app_page.wait_for_url("**rho=1.55**")
    link = app_page.url
    open_app_page(app_page, app_server.url, link.split("/", 3)[3])  # the copied link, in a fresh load
    app_page.locator('.lv-gl[data-part="top"]').wait_for()
    assert app_page.locator('.lv-gl-control[data-name="rho"] .lv-gl-value').text_content() == "1.55"
    assert not app_page.locator('[data-testid="stException"]').count() and not app_page.errors.messages
    open_app_page(app_page, app_server.url, "Vanishing_gradients?compare=shipped")
    app_page.get_by_text("Both models are trained on the adding task").first.wait_for()
    assert "compare=shipped" in app_page.url


@pytest.mark.browser
def test_browser_length_moves_with_no_script_run_and_python_follows(app_page, app_server):
    """The sequence length moves in the browser: its value and the chart's lines (now one point per step of
    the new length) change with no script run, the address carries ?T=, and once it rests one script run
    sets the page's length (the sidebar's box follows)."""
    from playwright.sync_api import expect

    from browser_support import open_app_page, runs_finished, wait_for_run

    open_app_page(app_page, app_server.url, "Vanishing_gradients?H=8&T=60")
    whole_payload(app_page)
    value = app_page.locator('.lv-gl-control[data-name="T"] .lv-gl-value')
    assert value.text_content() == "60"
    line = app_page.locator('path[data-path="rnn"]')
    assert line.get_attribute("d").count("L") == 59  # one point per step, 0..59
    n = runs_finished(app_page)
    app_page.locator("#lv-gl-T").focus()
    for k in (61, 62):
        app_page.keyboard.press("ArrowRight")
        app_page.wait_for_function(
            "want => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')].some("
            "e => e.shadowRoot?.querySelector('.lv-gl[data-part=top]')?.dataset.shownLength === want)",
            arg=str(k),
        )
        assert value.text_content() == str(k) and line.get_attribute("d").count("L") == k - 1
    assert runs_finished(app_page) == n  # no script run for the moves themselves
    app_page.wait_for_url("**T=62**")
    wait_for_run(app_page, n)  # the one run that tells Python where the slider rests
    box = app_page.locator('[data-testid="stSidebar"] input[aria-label^="Length T"]')
    expect(box).to_have_value("62")
    assert value.text_content() == "62" and "T=62" in app_page.url
    # the sidebar's box sets the length: the live view's slider follows (not put back by its last commit)
    n = runs_finished(app_page)
    box.fill("70")
    box.press("Enter")
    wait_for_run(app_page, n)
    expect(value).to_have_text("70")
    app_page.wait_for_url("**T=70**")
    assert line.get_attribute("d").count("L") == 69
    # the pointer's readout: the step under it and the RNN's value there, as the library formats it
    svg = app_page.locator('.lv-gl[data-part="top"] .lv-gl-chart svg')
    box = svg.bounding_box()
    app_page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
    tip = app_page.locator('.lv-gl[data-part="top"] .lv-gl-tip')
    expect(tip).to_be_visible()
    head, *rows = tip.inner_text().split("\n")
    t = int(head.removeprefix("t = "))
    expected = compare_gradients(make_sequence("sine", 70), 8, 0, 1.0, 3.0)
    name = " ".join(live_module.RNN_DH.split())  # as the page renders it (spaces collapse)
    assert 0 < t < 69 and f"{name}: {format_log10(expected.rnn.log10_dh[t])}" in rows
    app_page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    # typed numbers have their own length: no length slider, and the address drops ?T= (the browser does
    # not put back a length it did not move)
    n = runs_finished(app_page)
    app_page.get_by_text("Type numbers").click()
    wait_for_run(app_page, n)
    expect(app_page.locator('.lv-gl-control[data-name="T"]')).to_be_hidden()
    app_page.wait_for_timeout(600)  # longer than the browser's address writes (every 250 ms)
    assert "x=" in app_page.url and "T=" not in app_page.url
    assert not app_page.locator('[data-testid="stException"]').count() and not app_page.errors.messages


def test_the_window_note_waits_for_the_whole_window():
    """A first view says in the live view that more values follow; the page's note on the window sent
    appears only once the whole window is there (T = 300, H = 32: not every ρ and bias fit)."""
    at = app(T="300", H="32")
    assert_clean(at)
    assert more_values(at) and not any("answer at once for ρ" in c for c in captions(at))
    at.session_state["vg_live_top"] = {"full": expand_request(at)}
    at.run()
    d = live(at)
    grids = [live_module.Grid(n, tuple(d[n]["values"]), d[n]["index"], False) for n in ("rho", "fb")]
    assert not more_values(at) and window_note(*grids) in captions(at)
    assert (len(grids[0].values), len(grids[1].values)) == live_module.counts(300, 32)
