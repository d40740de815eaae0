"""The vanishing-gradient page's explanations: which regime a run is in, and sentences with its numbers.

Every number is read from a :class:`lstm_vault.vanishing.VanishingResult`; the wording follows the
regime of the RNN's gradient (vanished, exploded or neither, see :data:`VANISHED_BELOW`), so the page
never says "explosion" about a gradient that vanished. Markdown out, no streamlit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .explain import fmt_gate, fmt_half_life, half_life
from .vanishing import format_log10, steps_text

if TYPE_CHECKING:
    from .vanishing import VanishingResult


#: the RNN's regimes, by log10 of ||dL/dh_0|| / ||dL/dh_{T-1}||: less than 1/100 of the gradient left at
#: t = 0 is "vanished", more than 100 times it "exploded", anything between "neither" (a factor of 100
#: either way is clearly visible on the log plot and far from the run-to-run wobble of a few short steps)
VANISHED_BELOW = -2.0
EXPLODED_ABOVE = 2.0


def regime(log10_ratio: float) -> str:
    """ "vanishing", "exploding" or "neither" for a log10 gradient ratio (see :data:`VANISHED_BELOW`)."""
    if log10_ratio < VANISHED_BELOW:
        return "vanishing"
    if log10_ratio > EXPLODED_ABOVE:
        return "exploding"
    return "neither"


def rnn_readings(r: VanishingResult) -> list[str]:
    """Markdown paragraphs on why the RNN's gradient vanished, exploded or neither, with this run's numbers.

    The first gives the prediction ρ · rms tanh' against the measurement; the second names the regime
    (:func:`regime`); the third, where it applies, says what tanh' < 1 did to what ρ alone would do.
    """
    steps, rho, rms = r.T - 1, r.spectral_radius, r.rms_tanh_slope
    ratio, step_log = r.rnn.log10_ratio, r.rnn.log10_step_factor
    shown, per_step = format_log10(ratio), 10.0**step_log
    average = f" (on average {per_step:.3f} per step)" if steps > 1 else ""
    out = [
        rf"In this run $\rho(W_{{hh}})$ = **{rho:.2f}** and $\overline{{\tanh'}}$ = **{rms:.2f}** (the "
        f"plain mean of tanh′ would be {r.mean_tanh_slope:.2f}), so each step back multiplies the gradient "
        f"by about {rho:.2f} × {rms:.2f} = **{r.predicted_step_factor:.3f}**. Over the {steps_text(steps)} "
        f"back to t = 0 that predicts {format_log10(r.log10_predicted[0])}; the measured share is "
        f"**{shown}**{average}."
    ]
    kind = regime(ratio)
    these = f"{'this' if steps == 1 else 'these'} {steps_text(steps)}"
    if kind == "vanishing":
        left = "none of it is left (exactly 0)" if ratio == -math.inf else f"only {shown} of it is left"
        out.append(
            f"The gradient has **vanished**: by t = 0 {left} (below 1/100 counts as vanished here), so "
            "gradient descent barely learns anything about the early inputs."
        )
    elif kind == "exploding":
        out.append(
            f"The gradient has **exploded**: it is {shown} times larger at t = 0 than at the loss (above 100 "
            "times counts as exploded here). That is no help to training: one gradient step would be "
            "dominated by the distant past and throw the weights far off, so training diverges unless the "
            "gradient is clipped."
        )
    elif abs(step_log) < math.log10(1.02):
        out.append(
            f"Over {these} the gradient has neither vanished nor exploded ({shown} at t = 0, between the "
            f"1/100 and 100 times that count as vanished and exploded here): each step multiplies it by "
            f"about {per_step:.3f}, close to 1, the edge between the two. Make the sequence longer to see "
            "which way it goes."
        )
    else:
        n = math.ceil((EXPLODED_ABOVE if step_log > 0 else -VANISHED_BELOW) / abs(step_log))
        where = "over 100 times larger" if step_log > 0 else "below 1/100"
        out.append(
            f"Over {these} the gradient has neither vanished nor exploded yet ({shown} at t = 0, between the "
            f"1/100 and 100 times that count as vanished and exploded here), but each step multiplies it by "
            f"{per_step:.3f}: after about {steps_text(n)} it would be {where}. Make the sequence longer to "
            f"see it {'explode' if step_log > 0 else 'vanish'}."
        )
    # tanh' <= 1 can only pull the gradient below what ρ alone gives: said where the measurement shows it
    # (a far-from-symmetric W_hh can stretch a vector by more than ρ over a few steps)
    if rho > 0 and math.isfinite(ratio) and ratio < steps * math.log10(rho):
        rho_alone = rf"$\rho^{{{steps}}}$ = {format_log10(steps * math.log10(rho))}"
        tanh_bar = rf"$\overline{{\tanh'}}$ = {rms:.2f}"
        grows = rho >= 1.005  # shown as above 1.00 (a rescaled W_hh lands on 1.0000000001, not 1)
        if kind == "exploding":
            out.append(
                rf"A large $\rho$ also pushes $h_t$ towards ±1, where tanh is flat ({tanh_bar}). Since "
                r"tanh′ < 1 damps the growth, the explosion is slower than $\rho$ alone would suggest: "
                f"{rho_alone} against the measured {shown}."
            )
        elif kind == "vanishing":
            alone = (
                rf"on its own $\rho$ = {rho:.2f} would even let it grow ({rho_alone})"
                if grows
                else rf"$\rho$ alone would leave {rho_alone}"
            )
            out.append(
                rf"tanh′ < 1 makes it shrink faster than $\rho$ alone would suggest: {alone}, but with "
                f"{tanh_bar} each step multiplies it by {per_step:.3f} and only {shown} reaches t = 0."
            )
        elif grows:
            out.append(
                rf"On its own $\rho$ = {rho:.2f} would make it grow ({rho_alone}); tanh′ < 1 "
                f"({tanh_bar}) pulls the factor per step down to {per_step:.3f}."
            )
    return out


def lstm_readings(r: VanishingResult) -> list[str]:
    """Markdown paragraphs on the LSTM's forget gates and cell-state gradient, with this run's numbers.

    The second paragraph follows the RNN's regime: where the RNN's gradient exploded, the LSTM's is the
    bounded one, not "the one that keeps less"; the advice to raise the forget-gate bias is only given
    where there is a bias to raise (a freshly built LSTM, not a trained one).
    """
    steps, T = r.T - 1, r.T
    f_mean = float(r.forget_mean[1:].mean())
    f_text = fmt_gate(f_mean)
    if r.forget_bias is None:
        bias_text = "the trained model's own biases"
    else:
        sigma = 1.0 / (1.0 + math.exp(-r.forget_bias))
        b = f"{r.forget_bias:g}"
        bias_text = rf"a bias of {b} alone gives $\sigma({b})$ = {fmt_gate(sigma)}"
    life = fmt_half_life(half_life(f_mean))
    life_text = "would never halve the gradient" if life == "never" else f"halves the gradient {life}"
    prod0 = float(r.log10_forget_product_mean[0])
    dc_ratio = float(r.lstm.log10_dc[0] - r.lstm.log10_dc[-1])
    rnn_ratio, lstm_ratio = r.rnn.log10_ratio, r.lstm.log10_ratio
    out = [
        rf"Here the forget gates average $\bar f$ = **{f_text}** ({bias_text}; the input and $h_{{t-1}}$ "
        f"move each gate around that). A gate held at {f_text} {life_text}. Multiplied over the "
        rf"{steps_text(steps)} back to t = 0, $\prod f$ averages **{format_log10(prod0)}** over units "
        f"(the most persistent unit keeps {format_log10(float(r.log10_forget_product[0].max()))}). "
        rf"Measured: $\|\partial L/\partial c_0\| \,/\, \|\partial L/\partial c_{{{T - 1}}}\|$ = "
        f"**{format_log10(dc_ratio)}**, and at t = 0 the LSTM's hidden state gets "
        f"**{format_log10(lstm_ratio)}** of the loss's gradient, the RNN's {format_log10(rnn_ratio)}."
    ]
    if regime(rnn_ratio) == "exploding":
        peak = float(np.max(r.lstm.log10_dh - r.lstm.log10_dh[-1]))
        if regime(peak) == "exploding":
            lstm_text = (
                f"The LSTM's gradient grows too, to {format_log10(peak)} at most, through the path from h "
                "back into the cell: its forget gates alone could not amplify it."
            )
        else:
            lstm_text = (
                f"The LSTM's stays bounded: never more than {format_log10(peak)} at any step, since its "
                "cell-state path multiplies by forget gates, each below 1."
            )
        out.append(
            f"The RNN's gradient blew up to {format_log10(rnn_ratio)} at t = 0, and more is not better here: "
            "a gradient that large is useless for training (one update would be dominated by the distant "
            f"past; training diverges without clipping). {lstm_text}"
        )
    elif lstm_ratio < rnn_ratio:
        if r.forget_bias is None:
            advice = (
                "These are the trained LSTM's own forget gates, learned on its task: to try a larger "
                "forget-gate bias, switch the trained model off in the sidebar and use the slider."
            )
        else:
            advice = "Raise the forget-gate bias to push f towards 1."
        out.append(
            rf"With $\bar f$ = {f_text} *less* of the gradient reaches t = 0 through this LSTM than through "
            f"the RNN: the cell state only carries a gradient far when its forget gates sit near 1. {advice}"
        )
    elif dc_ratio > prod0 + 1:
        out.append(
            r"The measured cell gradient stays above $\prod f$: the second term keeps feeding gradient from "
            "h back into the cell at every step, and the forget gates then carry that further back too."
        )
    return out
