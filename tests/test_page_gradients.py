"""The Vanishing-gradients page runs under AppTest, redraws on its sliders, survives exploding, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_vault import GRU, LSTM
from lstm_vault.figures.gradients import LSTM_DH, RNN_DH
from lstm_vault.sequences import make_sequence
from lstm_vault.tasks import get_task
from lstm_vault.vanishing import compare_gradients

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "2_Vanishing_gradients.py")


def app(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def slider(at, label_start: str):
    return next(s for s in at.slider if s.label.startswith(label_start))


def norm_traces(at) -> dict:
    """name -> y of the gradient-norm chart (the first plotly chart), read from the element's JSON spec."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {tr["name"]: tr["y"] for tr in spec["data"]}


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_default_run_shows_the_computed_numbers():
    at = app()
    assert_clean(at)
    y = norm_traces(at)
    expected = compare_gradients(make_sequence("sine", 100), 16, 0, 1.0, 3.0)
    np.testing.assert_allclose(y[RNN_DH], 10**expected.rnn.log10_dh, rtol=1e-12)
    np.testing.assert_allclose(y[LSTM_DH], 10**expected.lstm.log10_dh, rtol=1e-12)
    shown = {m.label: m.value for m in at.metric}
    assert shown["RNN: gradient reaching t = 0"] == "1.7e-8"
    assert len(at.get("plotly_chart")) == 3


def test_length_slider_changes_the_gradient_plot():
    at = app()
    before = norm_traces(at)[RNN_DH]
    slider(at, "Sequence length").set_value(300).run()
    assert_clean(at)
    after = norm_traces(at)[RNN_DH]
    assert len(before) == 100 and len(after) == 300
    assert min(after) < min(before)  # further back, less gradient left
    assert at.number_input(key="vg_T").value == 300  # the sidebar's length box followed the slider
    assert at.query_params["T"] == "300"


def test_exploding_setting_renders():
    at = app()
    slider(at, "Spectral radius").set_value(4.0).run()
    slider(at, "Sequence length").set_value(500).run()
    assert_clean(at)
    y = norm_traces(at)[RNN_DH]
    assert max(y) > 1e30 and all(np.isfinite(y))
    assert any("exploded" in md.value for md in at.markdown)
    assert at.query_params["rho"] == "4.0"


def test_link_values_are_read_and_bad_ones_warned():
    at = app(rho="0.5", H="8", fb="banana", seed="-3")
    assert_clean(at)
    assert slider(at, "Spectral radius").value == 0.5
    assert slider(at, "Hidden size").value == 8
    assert slider(at, "LSTM forget-gate bias").value == 3.0
    warnings = " ".join(w.value for w in at.warning)
    assert "Link parameter fb ignored" in warnings and "seed ignored" in warnings


def test_typed_numbers_have_no_length_slider():
    at = app(x="0.5, -1, 2, 0, 1")
    assert_clean(at)
    assert not [s for s in at.slider if s.label.startswith("Sequence length")]
    assert len(norm_traces(at)[RNN_DH]) == 5


def test_single_step_is_explained_not_crashed():
    at = app(x="1")
    assert not at.exception
    assert any("at least 2" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("model", "offered"),
    [(LSTM(1, 6, seed=2, forget_bias=1.0), True), (LSTM(1, 6, num_layers=2), False), (GRU(1, 6), False)],
)
def test_trained_model_is_offered_only_when_it_fits(model, offered):
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=model, meta={"task": "sine"})
    at.run()
    assert_clean(at)
    assert bool(at.toggle) == offered
    if offered:
        at.toggle[0].set_value(True).run()
        assert_clean(at)
        assert not [s for s in at.slider if s.label.startswith("LSTM forget-gate bias")]
        shown = {m.label: m.value for m in at.metric}
        assert shown["LSTM forget-gate bias"] == "1.00"  # the trained model's own
        trained = compare_gradients(make_sequence("sine", 100), lstm=model)
        np.testing.assert_allclose(norm_traces(at)[LSTM_DH], 10**trained.lstm.log10_dh, rtol=1e-12)


def test_trained_model_with_several_inputs_reads_its_own_task():
    model = LSTM(2, 5, seed=1)
    task = get_task("adding", length=30)
    at = AppTest.from_file(PAGE, default_timeout=30)
    saved = SimpleNamespace(rnn=model, meta={"task": "adding"}, task=lambda: task)  # as a SavedModel
    at.session_state["lv_current_model"] = saved
    at.run()
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    assert len(norm_traces(at)[LSTM_DH]) == 30
    assert not [s for s in at.slider if s.label.startswith("Hidden size")]
    assert any("H = 5" in c.value for c in at.caption)
    x = task.validation(1, seed=0).x[:, 0, :].astype(np.float64)
    expected = compare_gradients(x, seed=0, lstm=model)
    np.testing.assert_allclose(norm_traces(at)[LSTM_DH], 10**expected.lstm.log10_dh, rtol=1e-12)
    assert any("adding task" in c.value for c in at.caption)


def test_trained_model_with_several_inputs_and_no_task_falls_back():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=LSTM(3, 5), meta={})  # no task() to draw from
    at.run()
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    assert any("reads 3 features per step" in c.value for c in at.caption)
    assert slider(at, "LSTM forget-gate bias")  # the page went on with its own models
