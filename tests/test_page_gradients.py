"""The Vanishing-gradients page runs under AppTest, redraws, survives bad input, and explains each regime."""

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


def texts(at) -> list[str]:
    """Every markdown paragraph the page shows, as its source text."""
    return [md.value for md in at.markdown]


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
    assert shown["RNN: gradient reaching t = 0"] == "1.7 × 10⁻⁸"  # not "1.7e-8"
    assert shown["LSTM ÷ RNN at t = 0"] == "240,000"  # not "2.4e+5×"
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


def test_exploding_setting_renders_and_says_why_more_is_not_better():
    at = app()
    slider(at, "Spectral radius").set_value(4.0).run()
    slider(at, "Sequence length").set_value(500).run()
    assert_clean(at)
    y = norm_traces(at)[RNN_DH]
    assert max(y) > 1e30 and all(np.isfinite(y))
    assert at.query_params["rho"] == "4.0"
    shown = texts(at)
    assert (
        "The gradient has **exploded**: it is 2.5 × 10⁴⁷ times larger at t = 0 than at the loss (above 100 "
        "times counts as exploded here). That is no help to training: one gradient step would be dominated "
        "by the distant past and throw the weights far off, so training diverges unless the gradient is "
        "clipped." in shown
    )
    assert (
        r"A large $\rho$ also pushes $h_t$ towards ±1, where tanh is flat ($\overline{\tanh'}$ = 0.37). "
        r"Since tanh′ < 1 damps the growth, the explosion is slower than $\rho$ alone would suggest: "
        r"$\rho^{499}$ = 2.7 × 10³⁰⁰ against the measured 2.5 × 10⁴⁷." in shown
    )
    assert (
        "The RNN's gradient blew up to 2.5 × 10⁴⁷ at t = 0, and more is not better here: a gradient that "
        "large is useless for training (one update would be dominated by the distant past; training "
        "diverges without clipping). The LSTM's stays bounded: never more than 1.0 at any step, since its "
        "cell-state path multiplies by forget gates, each below 1." in shown
    )
    assert not any(no in text for text in shown for no in ("Raise the forget-gate bias", "shrink faster"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LSTM: largest at any t"] == "1.0"
    assert "LSTM ÷ RNN at t = 0" not in metrics  # no "LSTM keeps 1.4 × 10⁻⁵⁶ as much" beside a blow-up


def test_vanishing_at_rho_above_one_blames_tanh_not_an_explosion():
    at = app()
    slider(at, "Spectral radius").set_value(1.2).run()
    assert_clean(at)
    shown = texts(at)
    assert (
        "The gradient has **vanished**: by t = 0 only 1.8 × 10⁻⁴ of it is left (below 1/100 counts as "
        "vanished here), so gradient descent barely learns anything about the early inputs." in shown
    )
    assert (
        r"tanh′ < 1 makes it shrink faster than $\rho$ alone would suggest: on its own $\rho$ = 1.20 would "
        r"even let it grow ($\rho^{99}$ = 6.9 × 10⁷), but with $\overline{\tanh'}$ = 0.76 each step "
        "multiplies it by 0.917 and only 1.8 × 10⁻⁴ reaches t = 0." in shown
    )
    assert not any("explosion" in text or "damps the growth" in text for text in shown)


def test_neither_regime_says_so_and_why():
    at = app(rho="1.5")
    assert_clean(at)
    shown = texts(at)
    assert (
        "Over these 99 steps the gradient has neither vanished nor exploded (1.2 at t = 0, between the 1/100 "
        "and 100 times that count as vanished and exploded here): each step multiplies it by about 1.002, "
        "close to 1, the edge between the two. Make the sequence longer to see which way it goes." in shown
    )
    assert (
        r"On its own $\rho$ = 1.50 would make it grow ($\rho^{99}$ = 2.7 × 10¹⁷); tanh′ < 1 "
        r"($\overline{\tanh'}$ = 0.70) pulls the factor per step down to 1.002." in shown
    )
    assert not any("explosion" in text or "shrink faster" in text for text in shown)


def test_two_steps_read_in_the_singular():
    at = app(T="2")
    assert_clean(at)
    shown = texts(at)
    assert {m.label: m.value for m in at.metric}["RNN: gradient reaching t = 0"] == "1.0"
    assert any(
        "Over the 1 step back to t = 0 that predicts 0.95; the measured share is **1.0**." in t for t in shown
    )
    assert any(
        t.startswith("Over this 1 step the gradient has neither vanished nor exploded (1.0 at") for t in shown
    )
    assert any("Multiplied over the 1 step back to t = 0" in t for t in shown)
    assert not any("1 steps" in t or "per step)" in t for t in shown)


def test_length_below_two_is_refused_everywhere():
    at = app()
    assert slider(at, "Sequence length").min == 2
    at.number_input(key="vg_T").set_value(1).run()  # the sidebar's box (shared widget) goes down to 1
    assert_clean(at)
    assert [w.value for w in at.warning] == [
        "Sequence length T = 1 has no earlier step for the gradient to travel back to: using T = 2."
    ]
    assert at.number_input(key="vg_T").value == 2 and len(norm_traces(at)[RNN_DH]) == 2
    for bad in ("1", "0"):
        at = app(T=bad)
        assert_clean(at)
        assert [w.value for w in at.warning] == [
            f"Link parameter T={bad} ignored: the gradient needs at least 2 steps to travel back through; "
            "using T = 100"
        ]
        assert len(norm_traces(at)[RNN_DH]) == 100


def test_the_bar_in_the_equation_is_the_rms_and_said_so():
    at = app()
    shown = texts(at)
    r = compare_gradients(make_sequence("sine", 100), 16, 0, 1.0, 3.0)
    assert any(
        t.startswith(r"where $\overline{\tanh'}$ is the root mean square of $\tanh'(a_k)") for t in shown
    )
    rms, mean = f"{r.rms_tanh_slope:.2f}", f"{r.mean_tanh_slope:.2f}"
    assert rms != mean
    assert any(
        rf"$\overline{{\tanh'}}$ = **{rms}** (the plain mean of tanh′ would be {mean}), so each step back "
        rf"multiplies the gradient by about 1.00 × {rms}" in t
        for t in shown
    )


def test_half_life_sentence_shows_the_gate_to_the_digits_that_matter():
    at = app(fb="6")
    assert_clean(at)
    shown = " ".join(texts(at))
    assert (
        r"the forget gates average $\bar f$ = **0.9975** (a bias of 6 alone gives $\sigma(6)$ = 0.9975;"
        in shown
    )
    assert "A gate held at 0.9975 halves the gradient in about 273 steps." in shown
    assert "held at 1.00" not in shown


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


def test_trained_lstm_gets_no_advice_about_a_slider_it_does_not_have():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["T"], at.query_params["fb"] = "10", "-2"
    at.session_state["lv_current_model"] = SimpleNamespace(rnn=LSTM(1, 6, seed=2, forget_bias=-1.0), meta={})
    at.run()
    fresh = "\n".join(texts(at))
    assert "forget gates sit near 1. Raise the forget-gate bias to push f towards 1." in fresh
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    shown = "\n".join(texts(at))
    assert (
        r"With $\bar f$ = 0.25 *less* of the gradient reaches t = 0 through this LSTM than through the RNN: "
        "the cell state only carries a gradient far when its forget gates sit near 1. These are the trained "
        "LSTM's own forget gates, learned on its task: to try a larger forget-gate bias, switch the trained "
        "model off in the sidebar and use the slider." in shown
    )
    assert "Raise the forget-gate bias" not in shown
    # ρ = 1.00 and neither regime (the reviewer's case): no sentence about an explosion or a growth
    assert "Over these 9 steps the gradient has neither vanished nor exploded yet (0.13 at t = 0" in shown
    assert "explosion" not in shown and "would make it grow" not in shown
