"""Every sentence of the Vanishing gradients page that carries a number says the library's value, computed in
the same test: the RNN's and LSTM's readings in each regime, the chaos note, σ_max, the edge sweep, the
first sentence (which models are trained), the captions and a trained model's marked steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_vault import LSTM, RNN
from lstm_vault.explain import half_life
from lstm_vault.formatting import fmt_gate, fmt_half_life, format_log10, ordinal, steps_text
from lstm_vault.gradient_edge import EdgeSweep, edge_sweep
from lstm_vault.gradient_models import load_shipped_pair, task_example
from lstm_vault.gradient_notes import (
    edge_reading,
    input_reading,
    intro,
    marked_steps_readings,
    method_notes,
    norms_caption,
    singular_value_caption,
)
from lstm_vault.gradient_readings import (
    forget_clamp_reading,
    lstm_readings,
    regime,
    regime_word,
    rnn_readings,
)
from lstm_vault.vanishing import ForgetClamp, VanishingResult, compare_gradients


def sine(T: int) -> np.ndarray:
    return np.sin(2 * np.pi * np.arange(T) / 25)


def readings_of(T: int = 100, **kwargs) -> tuple[VanishingResult, str, str]:
    r = compare_gradients(sine(T), hidden_size=16, **kwargs)
    return r, "\n".join(rnn_readings(r)), "\n".join(lstm_readings(r))


@pytest.fixture(scope="module")
def shipped():
    pair = load_shipped_pair()
    ex = task_example(pair.lstm, 0)
    return pair, ex, compare_gradients(ex.x, seed=0, lstm=pair.lstm.rnn, rnn=pair.rnn.rnn)


# ------------------------------------------------------------------------------------------ the RNN


@pytest.mark.parametrize("rho", [0.5, 1.0, 3.0])
def test_mean_field_paragraph_says_the_runs_numbers_and_what_the_rule_is(rho):
    r, rnn, _ = readings_of(spectral_radius_target=rho)
    per_step = 10**r.rnn.log10_step_factor
    assert (
        rf"In this run $\rho(W_{{hh}})$ = **{r.spectral_radius:.2f}** and $\mathrm{{rms}}(\tanh')$ = "
        rf"**{r.rms_tanh_slope:.2f}** (root mean square over the units, geometric mean over the steps; the "
        f"plain mean of tanh′ would be {r.mean_tanh_slope:.2f}), so the mean-field rule puts each step back "
        f"at about {r.spectral_radius:.2f} × {r.rms_tanh_slope:.2f} = **{r.predicted_step_factor:.3f}**. "
        f"Over the 99 steps back to t = 0 that gives {format_log10(r.log10_predicted[0])}; the measured "
        f"share is **{format_log10(r.rnn.log10_ratio)}** (on average {per_step:.3f} per step). This "
        "decomposes the "
        "measurement rather than forecasting it: the rule reads tanh′ from this very run." in rnn
    )
    gap = r.log10_predicted[0] - r.rnn.log10_ratio
    compounding = (
        f"Its factor per step is {abs(r.predicted_step_factor / per_step - 1) * 100:.1f} % off the measured "
        f"one, and over 99 steps that error compounds to a factor of {format_log10(abs(gap))} between the "
        "two."
    )
    assert (compounding in rnn) == (abs(gap) >= 0.3)
    if rho == 3.0:  # the case: 2.3 × 10¹² against 4.0 × 10⁶ needed a word on why
        assert compounding in rnn and abs(gap) > 3


def test_a_trained_rnn_gets_no_mean_field_forecast():
    r = compare_gradients(sine(50), rnn=RNN(1, 8, seed=3))
    text = "\n".join(rnn_readings(r))
    assert "mean-field rule puts" not in text and "decomposes" not in text
    assert (
        rf"This RNN is trained: its own $W_{{hh}}$ has $\rho$ = **{r.spectral_radius:.2f}**. The gradient "
        f"reaching t = 0 is **{format_log10(r.rnn.log10_ratio)}** (on average "
        f"{10**r.rnn.log10_step_factor:.3f} per step), with $\\mathrm{{rms}}(\\tanh')$ = "
        f"{r.rms_tanh_slope:.2f} along the run." in text
    )


def test_readings_follow_the_vanishing_regime():
    r, rnn, lstm = readings_of(spectral_radius_target=1.2)
    assert regime(r.rnn.log10_ratio) == "vanishing" and r.spectral_radius > 1
    shown = format_log10(r.rnn.log10_ratio)
    assert (
        f"The gradient has **vanished**: by t = 0 only {shown} of it is left (below 1/100 counts as vanished "
        "here), so the early steps add next to nothing to the weight gradient." in rnn
    )
    assert (
        r"tanh′ < 1 makes it shrink faster than $\rho$ alone (a linear RNN with this $W_{hh}$) would "
        rf"suggest: on its own $\rho$ = {r.spectral_radius:.2f} would even let it grow ($\rho^{{99}}$ = "
        f"{format_log10(99 * math.log10(r.spectral_radius))}), but with $\\mathrm{{rms}}(\\tanh')$ = "
        f"{r.rms_tanh_slope:.2f} each step multiplies it by {10**r.rnn.log10_step_factor:.3f} and only "
        f"{shown} reaches t = 0." in rnn
    )
    assert "explosion" not in rnn and "damps the growth" not in rnn and "blew up" not in lstm
    r, rnn, _ = readings_of(spectral_radius_target=0.5)
    assert f"$\\rho$ alone would leave $\\rho^{{99}}$ = {format_log10(99 * math.log10(0.5))}" in rnn
    assert "even let it grow" not in rnn


def test_readings_follow_the_exploding_regime_and_say_when_the_size_is_not_reproducible():
    r, rnn, lstm = readings_of(T=500, spectral_radius_target=4.0)
    assert regime(r.rnn.log10_ratio) == "exploding" and not r.rnn_reproducible
    shown = format_log10(r.rnn.log10_ratio)
    assert (
        f"The gradient has **exploded**: it is {shown} times larger at t = 0 than at the loss (above 100 "
        "times counts as exploded here). That is no help to training: the weight gradient would be dominated "
        "by terms from the distant past, and one step along it can throw the weights far off, so training "
        "can diverge unless the gradient is clipped (Pascanu, Mikolov & Bengio 2013 proposed clipping its "
        "norm)." in rnn
    )
    other = r.log10_ratio_perturbed
    assert (
        "At this setting the RNN is **chaotic**: changing $W_{hh}$ by one part in 10¹⁴, the size of rounding "
        f"differences between computers, changes the gradient at t = 0 from {shown} to "
        f"{format_log10(other)}. "
        "So its exact size is not reproducible (another computer can show another number), only its order of "
        f"growth: about {10**r.rnn.log10_step_factor:.2f} and {10 ** (other / 499):.2f} per step." in rnn
    )
    assert format_log10(other) != shown
    assert (
        rf"$\rho^{{499}}$ = {format_log10(499 * math.log10(r.spectral_radius))} against the measured {shown}."
        in rnn
    )
    peak = format_log10(float(np.max(r.lstm.log10_dh - r.lstm.log10_dh[-1])))
    assert (
        f"The RNN's gradient blew up to {shown} at t = 0, and more is not better here: a gradient that large "
        "is no help to training (its terms from the distant past would dominate; training can diverge "
        f"without clipping). The LSTM's stays bounded here: never more than {peak} at any step. Its "
        "cell-state path "
        "alone cannot amplify it (each f < 1); the path through $h_{t-1}$ and the gates could, and in this "
        "run it does not." in lstm
    )
    assert "shrink faster" not in rnn and "Raise the forget-gate bias" not in lstm and "*less*" not in lstm
    calm, rnn, _ = readings_of(spectral_radius_target=4.0)  # T = 100: large, but reproducible
    assert regime(calm.rnn.log10_ratio) == "exploding" and calm.rnn_reproducible and "chaotic" not in rnn


def test_readings_follow_the_neither_regime():
    r, rnn, _ = readings_of(spectral_radius_target=1.5)
    assert regime(r.rnn.log10_ratio) == "neither"
    per_step = 10**r.rnn.log10_step_factor
    assert abs(per_step - 1) < 0.02
    assert (
        "Over these 99 steps the gradient has neither vanished nor exploded "
        f"({format_log10(r.rnn.log10_ratio)} "
        "at t = 0, between the 1/100 and 100 times that count as vanished and exploded here): each step "
        f"multiplies it by about {per_step:.3f}, close to 1, the edge between the two." in rnn
    )
    assert (
        rf"On its own $\rho$ = 1.50 would make it grow ($\rho^{{99}}$ = "
        rf"{format_log10(99 * math.log10(1.5))}); "
        f"tanh′ < 1 ($\\mathrm{{rms}}(\\tanh')$ = {r.rms_tanh_slope:.2f}) pulls the factor per step down to "
        f"{per_step:.3f}." in rnn
    )
    r = compare_gradients(sine(10), spectral_radius_target=1.0)  # short: on the way to vanishing
    rnn = "\n".join(rnn_readings(r))
    n = math.ceil(2 / abs(r.rnn.log10_step_factor))
    assert (
        f"but each step multiplies it by {10**r.rnn.log10_step_factor:.3f}: after about {steps_text(n)} it "
        "would be below 1/100. Make the sequence longer to see it vanish." in rnn
    )
    assert "would make it grow" not in rnn  # ρ = 1.00 (1 + 1e-16 after rescaling) does not grow


@pytest.mark.parametrize("rho", [0.5, 0.95, 2.0])
def test_singular_value_paragraph_counts_the_steps_that_grew(rho):
    r, rnn, _ = readings_of(spectral_radius_target=rho)
    factors = r.rnn.log10_step_factors
    grew = int((factors > 0).sum())
    sigma = r.largest_singular_value
    assert (
        r"$\rho$ is the **spectral radius** of $W_{hh}$, its largest |eigenvalue|: it sets the long-run rate "
        "of a *linear* RNN, not each step. One step can stretch a vector by up to the **largest singular "
        rf"value**, here $\sigma_{{\max}}$ = **{sigma:.2f}** ({sigma / r.spectral_radius:.2f} × ρ: "
        rf"$W_{{hh}}$ is not "
        "symmetric)." in rnn
    )
    if grew:
        most = 10 ** factors.max()
        by = f"{(most - 1) * 100:.0f} %" if most < 2 else f"{most:.1f} times"
        assert f"Going back, this gradient grew on {grew} of the 99 steps (by up to {by} in one step)" in rnn
        assert (r"so $\rho$ ≤ 1 does not mean it shrinks step by step" in rnn) == (rho < 1)
    else:
        assert "Going back, this gradient shrank on every one of the 99 steps." in rnn
    assert ("here $\\sigma_{\\max}$ < 1." in rnn) == (sigma < 1)
    assert (rho == 0.95) == (grew > 0 and rho < 1)  # the case grows on some steps below ρ = 1
    assert (
        singular_value_caption(r)
        == f"σ_max(W_hh) = **{sigma:.2f}** ({sigma / r.spectral_radius:.2f} × ρ), the largest singular value."
    )


def test_edge_reading_says_the_sweeps_edges():
    sweep = edge_sweep(sine(100), 16, 0)
    below, above = sweep.measured_edges()
    p_below, p_above = sweep.predicted_edges()
    text = edge_reading(sweep)
    assert f"below 1 for every ρ up to {below:.2f} and above 1 for every ρ from {above:.2f}" in text
    assert f"crosses 1 between ρ = {p_below:.2f} and {p_above:.2f}." in text
    assert (
        f"For this setting the edge of exploding lies between ρ = {below:.2f} and {above:.2f}: above ρ = 1"
        in text
    )
    radii = np.array([0.5, 1.0, 1.5])
    flat = EdgeSweep(radii, np.array([-1.0, -1.0, -1.0]), np.array([0.5, 0.6, 0.7]), 1.5)
    text = edge_reading(flat)
    assert "below 1 for every ρ up to 1.50, the whole range" in text and "edge of exploding" not in text
    near = EdgeSweep(radii, np.array([-1.0, 0.5, 0.5]), np.array([0.5, 1.2, 1.3]), 1.5)
    assert "lies between ρ = 0.50 and 1.00: close to ρ = 1." in edge_reading(near)


# ------------------------------------------------------------------------------------------ the LSTM


def test_lstm_paragraph_and_its_regime_in_the_same_words():
    r, _, lstm = readings_of()
    f = float(r.forget_mean[1:].mean())
    assert (
        rf"Here the forget gates average $\bar f$ = **{fmt_gate(f)}** over units and steps (a bias of 3 "
        rf"alone gives $\sigma(3)$ = {fmt_gate(1 / (1 + math.exp(-3)))}; the input and $h_{{t-1}}$ move each "
        f"gate around that). A gate held at {fmt_gate(f)} at every step would halve the gradient "
        f"{fmt_half_life(half_life(f))}; the real gates differ by unit and step" in lstm
    )
    dc = r.lstm.log10_dc[0] - r.lstm.log10_dc[-1]
    assert (
        rf"$\prod f$ averages **{format_log10(r.log10_forget_product_mean[0])}** over units (the most "
        f"persistent unit keeps {format_log10(r.log10_forget_product[0].max())}). Measured: "
        rf"$\|\partial L/\partial c_0\| \,/\, \|\partial L/\partial c_{{99}}\|$ = **{format_log10(dc)}**, "
        f"and at t = 0 the LSTM's hidden state gets **{format_log10(r.lstm.log10_ratio)}** of the loss's "
        f"gradient, the RNN's {format_log10(r.rnn.log10_ratio)}." in lstm
    )
    # the defaults: the LSTM's 0.004 is below 1/100, and says so in the RNN's words
    assert regime_word(r.lstm.log10_ratio) == regime_word(r.rnn.log10_ratio) == "vanished"
    assert (
        f"By the same rule, the LSTM's gradient has **vanished** too: {format_log10(r.lstm.log10_ratio)} at "
        f"t = 0 (below 1/100), {format_log10(r.log10_lstm_over_rnn)} times the RNN's." in lstm
    )
    r, _, lstm = readings_of(T=20, forget_bias=5.0)
    assert regime(r.lstm.log10_ratio) == "neither"
    too = " too" if regime(r.rnn.log10_ratio) == "neither" else ""
    assert (
        f"By the same rule, the LSTM's gradient has neither vanished nor exploded{too}: "
        f"{format_log10(r.lstm.log10_ratio)} reaches t = 0, {format_log10(r.log10_lstm_over_rnn)} times the "
        "RNN's." in lstm
    )


def test_the_h_path_is_named_only_where_the_cell_path_alone_cannot_explain_the_measurement(shipped):
    r, _, lstm = readings_of()
    dc = r.lstm.log10_dc[0] - r.lstm.log10_dc[-1]
    top = r.log10_forget_product[0].max()  # ||Π f ⊙ v|| <= (max over units of Π f) ||v||
    assert dc > top + 0.04
    assert (
        "The measured cell gradient ends above what the cell path alone could carry ($\\prod f$ of the most "
        f"persistent unit, {format_log10(top)}): the second term keeps feeding gradient from h back into the "
        "cell" in lstm
    )
    for r in (readings_of(T=30, forget_bias=6.0)[0], shipped[2]):
        said = "second term keeps feeding" in "\n".join(lstm_readings(r))
        dc, top = r.lstm.log10_dc[0] - r.lstm.log10_dc[-1], r.log10_forget_product[0].max()
        assert said == (dc > top + 0.04 and r.lstm.log10_ratio >= r.rnn.log10_ratio)
    assert "second term keeps feeding" not in "\n".join(lstm_readings(shipped[2]))


def test_what_the_fresh_comparison_shows_is_the_forget_bias():
    r, _, lstm = readings_of()
    assert (
        "An LSTM *can* carry the gradient further when its forget gates sit near 1 (a bias or training puts "
        "them there); it does not by architecture alone. The same LSTM with forget-gate bias 0 (gates near "
        rf"$\sigma(0)$ = 0.5) keeps {format_log10(r.lstm_log10_ratio_zero_bias)} at t = 0, against the RNN's "
        f"{format_log10(r.rnn.log10_ratio)} and the {format_log10(r.lstm.log10_ratio)} it keeps with bias 3."
        in lstm
    )
    assert r.lstm_log10_ratio_zero_bias < r.rnn.log10_ratio < r.lstm.log10_ratio
    r, _, lstm = readings_of(forget_bias=0.0)
    assert (
        rf"Here the bias is 0, so the forget gates sit near $\sigma(0)$ = 0.5, and the LSTM keeps "
        f"{format_log10(r.lstm.log10_ratio)} at t = 0 against the RNN's {format_log10(r.rnn.log10_ratio)}."
        in lstm
    )
    trained = compare_gradients(sine(100), lstm=LSTM(1, 16, seed=0, forget_bias=-2.0))
    assert "by architecture alone" not in "\n".join(lstm_readings(trained))


def test_forget_bias_advice_only_where_there_is_a_bias_to_raise():
    r, _, fresh = readings_of(forget_bias=-2.0)
    f = fmt_gate(float(r.forget_mean[1:].mean()))
    assert (
        rf"With $\bar f$ = {f} *less* of the gradient reaches t = 0 through this LSTM than through the RNN: "
        "the cell state only carries a gradient far when its forget gates sit near 1. Raise the forget-gate "
        "bias to push f towards 1." in fresh
    )
    trained = compare_gradients(sine(100), lstm=LSTM(1, 16, seed=0, forget_bias=-2.0))
    text = "\n".join(lstm_readings(trained))
    assert "*less* of the gradient reaches t = 0 through this LSTM" in text
    assert "Raise the forget-gate bias" not in text and "compare untrained models in the sidebar" in text
    assert "the trained model's own gates" in text


def test_half_life_sentence_uses_the_shared_wording():
    r, _, lstm = readings_of(forget_bias=6.0)
    f = float(r.forget_mean[1:].mean())
    assert (
        f"A gate held at {fmt_gate(f)} at every step would halve the gradient {fmt_half_life(half_life(f))};"
        in lstm
    )
    assert f"$\\sigma(6)$ = {fmt_gate(1 / (1 + math.exp(-6)))}" in lstm
    assert "held at 1.00" not in lstm


def test_readings_of_a_zero_gradient_and_of_one_step():
    r = compare_gradients(sine(10), hidden_size=4, spectral_radius_target=0.0)
    rnn = "\n".join(rnn_readings(r))
    assert "none of it is left (exactly 0)" in rnn and "shrink faster" not in rnn
    r = compare_gradients(sine(2), spectral_radius_target=0.5)
    rnn, lstm = "\n".join(rnn_readings(r)), "\n".join(lstm_readings(r))
    assert "Over the 1 step back to t = 0" in rnn and "Over this 1 step" in rnn and "per step)" not in rnn
    assert "over the 1 step back" in lstm
    assert "1 steps" not in rnn + lstm


# ------------------------------------------------------------------------------------------ the frame


def test_first_sentence_says_which_models_are_trained(shipped):
    pair, _, both = shipped
    losses = pair.losses()
    assert losses["baseline_description"] == "always predict 1.0 (the mean of the target)"
    assert intro(both, "shipped", "adding task", losses).startswith(
        f"Both models are **trained** on the adding task, from the files shipped with the app (validation "
        f"loss: LSTM {losses['lstm']:.3g}, RNN {losses['rnn']:.3g}; the baseline, always predict 1.0 (the "
        f"mean of the target), scores {losses['baseline']:.3g}). One example of their task runs through both."
    )
    assert "this session's last Train run" in intro(both, "session", "adding task", {})
    one = compare_gradients(sine(20), lstm=LSTM(1, 4))
    assert intro(one, "current", "sine task").startswith("The RNN here is **untrained**")
    other = compare_gradients(sine(20), rnn=RNN(1, 4))
    assert intro(other, "current").startswith("The LSTM here is **untrained**")
    assert intro(compare_gradients(sine(20)), "").startswith("Both models are **untrained**")


def test_norms_caption_says_where_each_curve_starts():
    r = compare_gradients(sine(100))
    text = norms_caption(r, "Sine wave, T = 100")
    start = format_log10(r.lstm.log10_dc[-1])
    assert start != "1.0"  # the issue: "every curve starts at 1" was false for the cell state
    assert text.startswith(
        "Loss at t = 99. Both ‖∂L/∂hₜ‖ curves start there at 1 (‖u‖ = 1); the LSTM's cell-state curve starts "
        f"at {start}, since the loss reaches c_99 only through h_99 = o ⊙ tanh(c_99). Dotted: the mean-field "
        "rule"
    )
    assert r.rnn.log10_dh[-1] == r.lstm.log10_dh[-1] == pytest.approx(0.0, abs=1e-12)
    assert text.endswith("Input: Sine wave, T = 100; H = 16, seed 0.")
    trained = compare_gradients(sine(30), rnn=RNN(1, 4))
    assert "No mean-field line: it assumes a random W_hh, and this RNN is trained." in norms_caption(
        trained, ""
    )


def test_input_reading_calls_dx_a_sensitivity():
    r = compare_gradients(sine(100))
    text = input_reading(r, 6)
    assert "is a sensitivity" in text and r"$\sum_t \partial L/\partial a_t\, x_t^\top$" in text
    assert (
        f"At t = 0, |∂L/∂x₀| is {format_log10(r.rnn.log10_dx[0].max())} through the RNN and "
        f"{format_log10(r.lstm.log10_dx[0].max())} through the LSTM" in text
    )
    assert "over the 6 decades below the largest value" in text
    assert "what training would use" not in text


def test_trained_lstm_lights_up_at_the_marks_and_only_then_says_so(shipped):
    _, ex, r = shipped
    lstm_text, rnn_text, first = marked_steps_readings(r, ex.marked)
    a, b = sorted(ex.marked)
    mag = r.lstm.log10_dx.max(axis=1)
    assert set(np.argsort(-mag)[:2]) == {a, b}
    rest = np.delete(np.arange(100), [a, b])
    runner = int(rest[np.argmax(mag[rest])])
    assert lstm_text == (
        f"The trained LSTM's input-gradient heatmap lights up at the two marked steps, t = {a} and {b}: "
        f"|∂L/∂xₜ| is {format_log10(mag[a])} and {format_log10(mag[b])} there, the largest of all 100 steps "
        f"(next largest: {format_log10(mag[runner])} at t = {runner}). Its loss is most sensitive to the two "
        "numbers it has to add."
    )
    rnn_mag = r.rnn.log10_dx.max(axis=1)
    tops = " and ".join(str(t) for t in sorted(r.rnn.top_input_steps(2)))
    rank = {int(t): n + 1 for n, t in enumerate(np.argsort(-rnn_mag, kind="stable"))}
    assert rnn_text == (
        f"The trained RNN's largest |∂L/∂xₜ| are at t = {tops}; at the marked steps t = {a} and {b} it is "
        f"{format_log10(rnn_mag[a])} and {format_log10(rnn_mag[b])}, the {ordinal(rank[a])} and "
        f"{ordinal(rank[b])} largest of 100."
    )
    assert min(rank[a], rank[b]) > 2  # not the RNN's brightest steps
    assert first == (
        f"At the first marked step, t = {a}, {99 - a} steps before the loss, ‖∂L/∂hₜ‖ is "
        f"{format_log10(r.lstm.log10_dh[a])} in the trained LSTM and {format_log10(r.rnn.log10_dh[a])} in "
        "the trained RNN."
    )
    # other marks than the brightest steps: no "lights up"
    wrong = tuple(int(t) for t in rest[:2])
    assert not any("lights up" in t for t in marked_steps_readings(r, wrong))
    assert marked_steps_readings(r, ()) == []


def test_a_trained_lstm_that_does_not_light_up_at_the_marks_gets_their_ranks(shipped):
    pair, _, _ = shipped
    ex = task_example(pair.lstm, 6)  # validation seed 6: the last step outranks one mark
    r = compare_gradients(ex.x, seed=6, lstm=pair.lstm.rnn, rnn=pair.rnn.rnn)
    mag = r.lstm.log10_dx.max(axis=1)
    order = list(np.argsort(-mag, kind="stable"))
    assert set(order[:2]) != set(ex.marked)
    text = marked_steps_readings(r, ex.marked)[0]
    ranks = [order.index(t) + 1 for t in sorted(ex.marked)]
    assert "lights up" not in text
    assert text.endswith(
        f"it is {format_log10(mag[min(ex.marked)])} and {format_log10(mag[max(ex.marked)])}, the "
        f"{ordinal(ranks[0])} and {ordinal(ranks[1])} largest of 100."
    )
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "112th",
    ]


def test_method_notes_say_the_rescaling():
    r = compare_gradients(sine(50), hidden_size=16, spectral_radius_target=1.5)
    text = method_notes(r)
    assert (
        rf"whose $W_{{hh}}$ has $\rho$ = {r.spectral_radius / r.weight_factor:.2f} for this seed and size, "
        rf"and is rescaled to the slider's $\rho$ (multiplied by {r.weight_factor:.3g})." in text
    )
    assert "Hochreiter (1991) and Bengio, Simard & Frasconi (1994)" in text
    assert "The RNN is a trained one" in method_notes(compare_gradients(sine(20), rnn=RNN(1, 4)))


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [
        (-3.0, -4.0, ", 10 times larger."),
        (-2.0, -0.5, ", 32 times smaller."),
        (-1.0, -1.004, ", about the same."),
    ],
)
def test_forget_clamp_reading_says_how_dc_changed(first, last, says):
    dc = np.linspace(first, last, 30)
    c = ForgetClamp(np.zeros(30), dc, mean_abs_c_last=4.2, tanh_slope_last=0.0009)
    text = forget_clamp_reading(c)
    assert "Π f is exactly 1.0 at every step" in text
    assert f"‖∂L/∂cₜ‖ is {format_log10(last)} at t = 29 and {format_log10(first)} at t = 0{says}" in text
    assert "mean |c| of 4.2 over units, where tanh′ averages 0.0009." in text


def test_forget_clamp_reading_gives_the_range_of_a_product_that_is_not_one():
    """Not the clamp's case, but the sentence reads its numbers and never claims an exact 1 it did not see."""
    c = ForgetClamp(np.array([-0.5, -0.2, 0.0]), np.array([-1.0, -1.5, -2.0]), 1.0, 0.4)
    assert "Π f is between 0.32 and 1.0:" in forget_clamp_reading(c)
