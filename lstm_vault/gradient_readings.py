"""The vanishing-gradient page's explanations: which regime a run is in, and sentences with its numbers.

Every number is read from a :class:`lstm_vault.vanishing.VanishingResult`; the wording follows the
regime of each model's gradient (vanished, exploded or neither, see :data:`VANISHED_BELOW`), the same
words for the RNN and the LSTM, so the page never says "explosion" about a gradient that vanished.
Markdown out, no streamlit. Papers are cited for what they showed: Pascanu, Mikolov & Bengio (2013) for
the singular-value conditions and gradient-norm clipping. The page's other sentences (which models are
trained, captions, the edge sweep, a trained model's marked steps) are in :mod:`lstm_vault.gradient_notes`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .explain import half_life
from .formatting import fmt_gate, fmt_half_life, format_log10, steps_text, times_text

if TYPE_CHECKING:
    from .vanishing import ForgetClamp, VanishingResult


#: the regimes, by log10 of ||dL/dh_0|| / ||dL/dh_{T-1}||: less than 1/100 of the gradient left at
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


def regime_word(log10_ratio: float) -> str:
    """The page's word for a regime: "vanished", "exploded" or "neither"."""
    return {"vanishing": "vanished", "exploding": "exploded"}.get(regime(log10_ratio), "neither")


def _rms(value: float) -> str:
    return rf"$\mathrm{{rms}}(\tanh')$ = {value:.2f}"


# ------------------------------------------------------------------------------------------ the RNN


def rnn_readings(r: VanishingResult) -> list[str]:
    """Markdown paragraphs on the RNN's gradient with this run's numbers.

    In order: the mean-field decomposition ρ · rms tanh' against the measurement (for a fresh RNN only:
    it assumes a random W_hh); the regime (:func:`regime`); a note where the run is chaotic (its size not
    reproducible); spectral radius against largest singular value, with the steps on which the gradient
    grew; where it applies, what tanh' < 1 did to what ρ alone would do.
    """
    steps, rho, rms = r.T - 1, r.spectral_radius, r.rms_tanh_slope
    ratio, step_log = r.rnn.log10_ratio, r.rnn.log10_step_factor
    shown, per_step = format_log10(ratio), 10.0**step_log
    average = f" (on average {per_step:.3f} per step)" if steps > 1 else ""
    if r.prediction_applies:
        first = (
            rf"In this run $\rho(W_{{hh}})$ = **{rho:.2f}** and {_rms(rms).replace('= ', '= **')}** (root "
            f"mean square over the units, geometric mean over the steps; the plain mean of tanh′ would be "
            f"{r.mean_tanh_slope:.2f}), so the mean-field rule puts each step back at about {rho:.2f} × "
            f"{rms:.2f} = **{r.predicted_step_factor:.3f}**. Over the {steps_text(steps)} back to t = 0 that "
            f"gives {format_log10(r.log10_predicted[0])}; the measured share is **{shown}**{average}. This "
            "decomposes the measurement rather than forecasting it: the rule reads tanh′ from this very run."
        )
        finite = math.isfinite(ratio) and math.isfinite(r.log10_predicted[0])
        gap = float(r.log10_predicted[0] - ratio) if finite else 0.0
        if steps > 1 and abs(gap) >= 0.3:  # a factor of 2 or more at t = 0
            off = abs(r.predicted_step_factor / per_step - 1) * 100
            first += (
                f" Its factor per step is {off:.1f} % off the measured one, and over {steps_text(steps)} "
                f"that error compounds to a factor of {format_log10(abs(gap))} between the two."
            )
    else:
        first = (
            rf"This RNN is trained: its own $W_{{hh}}$ has $\rho$ = **{rho:.2f}**. The gradient reaching "
            f"t = 0 is **{shown}**{average}, with {_rms(rms)} along the run. The mean-field rule "
            r"$\rho \cdot \mathrm{rms}(\tanh')$ assumes a random $W_{hh}$, so it is not drawn for a "
            "trained one."
        )
    out = [first, _regime_text(r, ratio, step_log, shown, per_step)]
    if not r.rnn_reproducible:
        other = r.log10_ratio_perturbed
        out.append(
            "At this setting the RNN is **chaotic**: changing $W_{hh}$ by one part in 10¹⁴, the size of "
            "rounding differences between computers, changes the gradient at t = 0 from "
            f"{shown} to {format_log10(other)}. So its exact size is not reproducible (another computer can "
            f"show another number), only its order of growth: about {per_step:.2f} and "
            f"{10 ** (other / steps):.2f} per step."
        )
    out.append(singular_value_reading(r))
    # tanh' <= 1 can only pull the gradient below what ρ alone gives: said where the measurement shows it
    # (a far-from-symmetric W_hh can stretch a vector by more than ρ over a few steps)
    kind = regime(ratio)
    if rho > 0 and math.isfinite(ratio) and ratio < steps * math.log10(rho):
        rho_alone = rf"$\rho^{{{steps}}}$ = {format_log10(steps * math.log10(rho))}"
        grows = rho >= 1.005  # shown as above 1.00 (a rescaled W_hh lands on 1.0000000001, not 1)
        if kind == "exploding":
            out.append(
                rf"A large $\rho$ also pushes $h_t$ towards ±1, where tanh is flat ({_rms(rms)}). Since "
                r"tanh′ < 1 damps the growth, the explosion is slower than $\rho$ alone (a linear RNN with "
                f"this $W_{{hh}}$) would suggest: {rho_alone} against the measured {shown}."
            )
        elif kind == "vanishing":
            alone = (
                rf"on its own $\rho$ = {rho:.2f} would even let it grow ({rho_alone})"
                if grows
                else rf"$\rho$ alone would leave {rho_alone}"
            )
            out.append(
                rf"tanh′ < 1 makes it shrink faster than $\rho$ alone (a linear RNN with this $W_{{hh}}$) "
                f"would suggest: {alone}, but with {_rms(rms)} each step multiplies it by {per_step:.3f} and "
                f"only {shown} reaches t = 0."
            )
        elif grows:
            out.append(
                rf"On its own $\rho$ = {rho:.2f} would make it grow ({rho_alone}); tanh′ < 1 "
                f"({_rms(rms)}) pulls the factor per step down to {per_step:.3f}."
            )
    return out


def _regime_text(r: VanishingResult, ratio: float, step_log: float, shown: str, per_step: float) -> str:
    steps = r.T - 1
    these = f"{'this' if steps == 1 else 'these'} {steps_text(steps)}"
    kind = regime(ratio)
    if kind == "vanishing":
        left = "none of it is left (exactly 0)" if ratio == -math.inf else f"only {shown} of it is left"
        return (
            f"The gradient has **vanished**: by t = 0 {left} (below 1/100 counts as vanished here), so "
            "the early steps add next to nothing to the weight gradient."
        )
    if kind == "exploding":
        return (
            f"The gradient has **exploded**: it is {shown} times larger at t = 0 than at the loss (above 100 "
            "times counts as exploded here). That is no help to training: the weight gradient would be "
            "dominated by terms from the distant past, and one step along it can throw the weights far off, "
            "so training can diverge unless the gradient is clipped (Pascanu, Mikolov & Bengio 2013 "
            "proposed clipping its norm)."
        )
    if abs(step_log) < math.log10(1.02):
        return (
            f"Over {these} the gradient has neither vanished nor exploded ({shown} at t = 0, between the "
            f"1/100 and 100 times that count as vanished and exploded here): each step multiplies it by "
            f"about {per_step:.3f}, close to 1, the edge between the two. Make the sequence longer to see "
            "which way it goes."
        )
    n = math.ceil((EXPLODED_ABOVE if step_log > 0 else -VANISHED_BELOW) / abs(step_log))
    where = "over 100 times larger" if step_log > 0 else "below 1/100"
    return (
        f"Over {these} the gradient has neither vanished nor exploded yet ({shown} at t = 0, between the "
        f"1/100 and 100 times that count as vanished and exploded here), but each step multiplies it by "
        f"{per_step:.3f}: after about {steps_text(n)} it would be {where}. Make the sequence longer to "
        f"see it {'explode' if step_log > 0 else 'vanish'}."
    )


def step_growth(r: VanishingResult) -> tuple[int, float]:
    """(steps back on which the RNN's gradient grew, log10 of the largest growth in one; -inf if none)."""
    factors = r.rnn.log10_step_factors
    grew = factors[factors > 0]
    return int(grew.size), float(grew.max()) if grew.size else -math.inf


def singular_value_reading(r: VanishingResult) -> str:
    """Spectral radius against largest singular value, with the steps on which this run's gradient grew."""
    steps, rho, sigma = r.T - 1, r.spectral_radius, r.largest_singular_value
    grew, most = step_growth(r)
    ratio = (
        f" ({sigma / rho:.2f} × ρ: $W_{{hh}}$ is not symmetric)" if rho > 0 and sigma > rho * 1.005 else ""
    )
    text = (
        r"$\rho$ is the **spectral radius** of $W_{hh}$, its largest |eigenvalue|: it sets the long-run "
        "rate of a *linear* RNN, not each step. One step can stretch a vector by up to the **largest "
        rf"singular value**, here $\sigma_{{\max}}$ = **{sigma:.2f}**{ratio}. "
    )
    if grew:
        text += (
            f"Going back, this gradient grew on {grew} of the {steps_text(steps)} (by up to "
            f"{times_text(most)} in one step)"
            + (r", so $\rho$ ≤ 1 does not mean it shrinks step by step. " if rho < 1.005 else ". ")
        )
    else:
        text += f"Going back, this gradient shrank on every one of the {steps_text(steps)}. "
    text += (
        r"Pascanu, Mikolov & Bengio (2013) showed that $\sigma_{\max}$ < 1 is enough for it to vanish (every "
        r"step then shrinks it, since tanh′ ≤ 1) and that $\sigma_{\max}$ > 1 is needed for it to explode"
    )
    if sigma < 1:
        return text + "; here $\\sigma_{\\max}$ < 1."
    return text + r"; here $\sigma_{\max}$ ≥ 1, so neither is settled by it."


# ------------------------------------------------------------------------------------------ the LSTM


def lstm_readings(r: VanishingResult) -> list[str]:
    """Markdown paragraphs on the LSTM's forget gates and gradient, with this run's numbers.

    The regime words are the RNN's (:func:`regime`), applied to the LSTM too. Where the RNN's gradient
    exploded, the LSTM's is the bounded one, not "the one that keeps less"; the advice to raise the
    forget-gate bias is only given where there is a bias to raise (a fresh LSTM). For a fresh LSTM the
    last paragraph says what the comparison shows: with forget-gate bias 0 the same LSTM keeps far less.
    """
    steps, T = r.T - 1, r.T
    f_mean = float(r.forget_mean[1:].mean())
    f_text = fmt_gate(f_mean)
    if r.forget_bias is None:
        bias_text = "the trained model's own gates"
    else:
        b = f"{r.forget_bias:g}"
        bias_text = rf"a bias of {b} alone gives $\sigma({b})$ = {fmt_gate(_sigmoid(r.forget_bias))}"
    life = fmt_half_life(half_life(f_mean))
    life_text = "would never halve the gradient" if life == "never" else f"would halve the gradient {life}"
    prod0, top_unit = float(r.log10_forget_product_mean[0]), float(r.log10_forget_product[0].max())
    dc_ratio = float(r.lstm.log10_dc[0] - r.lstm.log10_dc[-1])
    rnn_ratio, lstm_ratio = r.rnn.log10_ratio, r.lstm.log10_ratio
    out = [
        rf"Here the forget gates average $\bar f$ = **{f_text}** over units and steps ({bias_text}; the "
        rf"input and $h_{{t-1}}$ move each gate around that). A gate held at {f_text} at every step "
        f"{life_text}; the real gates differ by unit and step, and what counts is their product. "
        rf"Multiplied over the {steps_text(steps)} back to t = 0, $\prod f$ averages "
        f"**{format_log10(prod0)}** over units (the most persistent unit keeps "
        f"{format_log10(top_unit)}). "
        rf"Measured: $\|\partial L/\partial c_0\| \,/\, \|\partial L/\partial c_{{{T - 1}}}\|$ = "
        f"**{format_log10(dc_ratio)}**, and at t = 0 the LSTM's hidden state gets "
        f"**{format_log10(lstm_ratio)}** of the loss's gradient, the RNN's {format_log10(rnn_ratio)}.",
        _lstm_regime_text(rnn_ratio, lstm_ratio),
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
                f"The LSTM's stays bounded here: never more than {format_log10(peak)} at any step. Its "
                "cell-state path alone cannot amplify it (each f < 1); the path through $h_{t-1}$ and the "
                "gates could, and in this run it does not."
            )
        out.append(
            f"The RNN's gradient blew up to {format_log10(rnn_ratio)} at t = 0, and more is not better here: "
            "a gradient that large is no help to training (its terms from the distant past would dominate; "
            f"training can diverge without clipping). {lstm_text}"
        )
    elif lstm_ratio < rnn_ratio:
        if r.forget_bias is None:
            advice = (
                "These are the trained LSTM's own forget gates, learned on its task: to try a larger "
                "forget-gate bias, compare untrained models in the sidebar and use the slider."
            )
        else:
            advice = "Raise the forget-gate bias to push f towards 1."
        out.append(
            rf"With $\bar f$ = {f_text} *less* of the gradient reaches t = 0 through this LSTM than through "
            f"the RNN: the cell state only carries a gradient far when its forget gates sit near 1. {advice}"
        )
    elif dc_ratio > top_unit + 0.04:  # ||Π f ⊙ v|| <= max_unit Π f · ||v||: the cell path alone cannot
        out.append(
            r"The measured cell gradient ends above what the cell path alone could carry ($\prod f$ of the "
            f"most persistent unit, {format_log10(top_unit)}): the second term keeps feeding gradient from h "
            "back into the cell, and the forget gates then carry that further back too."
        )
    if r.lstm_log10_ratio_zero_bias is not None:
        out.append(_what_it_shows(r))
    return out


def _sigmoid(b: float) -> float:
    return 1.0 / (1.0 + math.exp(-b))


def _lstm_regime_text(rnn_ratio: float, lstm_ratio: float) -> str:
    """The LSTM's gradient at t = 0 in the same words as the RNN's."""
    shown, word = format_log10(lstm_ratio), regime_word(lstm_ratio)
    too = " too" if word == regime_word(rnn_ratio) else ""
    if lstm_ratio >= rnn_ratio:
        than = f"{format_log10(lstm_ratio - rnn_ratio)} times the RNN's"
    else:
        than = f"less than the RNN's {format_log10(rnn_ratio)}"
    if word == "neither":
        return (
            f"By the same rule, the LSTM's gradient has neither vanished nor exploded{too}: {shown} reaches "
            f"t = 0, {than}."
        )
    limit = "below 1/100" if word == "vanished" else "above 100 times"
    return f"By the same rule, the LSTM's gradient has **{word}**{too}: {shown} at t = 0 ({limit}), {than}."


def _what_it_shows(r: VanishingResult) -> str:
    """For a fresh LSTM: its lead (or not) comes from the forget-gate bias, shown by the same LSTM at 0."""
    zero, rnn = format_log10(float(r.lstm_log10_ratio_zero_bias)), format_log10(r.rnn.log10_ratio)
    claim = (
        "An LSTM *can* carry the gradient further when its forget gates sit near 1 (a bias or training puts "
        "them there); it does not by architecture alone."
    )
    if r.forget_bias == 0:
        return (
            rf"Here the bias is 0, so the forget gates sit near $\sigma(0)$ = 0.5, and the LSTM keeps {zero} "
            f"at t = 0 against the RNN's {rnn}. {claim}"
        )
    return (
        f"{claim} The same LSTM with forget-gate bias 0 (gates near $\\sigma(0)$ = 0.5) keeps {zero} at "
        f"t = 0, against the RNN's {rnn} and the {format_log10(r.lstm.log10_ratio)} it keeps with bias "
        f"{r.forget_bias:g}."
    )


def forget_clamp_reading(c: ForgetClamp) -> str:
    """Why ‖∂L/∂cₜ‖ still changes when every forget gate is clamped to 1 and Π f is exactly 1.

    Numbers: the plotted product (its largest and smallest value over t), ‖∂L/∂cₜ‖ at t = T-1 and t = 0 as
    plotted, their ratio, and the clamped run's mean |c_{T-1}| and mean tanh'(c_{T-1}).
    """
    T, dc = c.T, np.asarray(c.log10_dc, dtype=np.float64)
    lo, hi = float(np.min(c.log10_forget_product)), float(np.max(c.log10_forget_product))
    product = (
        f"exactly {format_log10(hi)} at every step"
        if lo == hi == 0.0
        else f"between {format_log10(lo)} and {format_log10(hi)}"
    )
    last, first = float(dc[-1]), float(dc[0])
    text = (
        f"With every forget gate clamped to 1, the running product Π f is {product}: the cell path "
        rf"$c_{{t-1}} \to c_t$ hands the gradient back unchanged. Yet ‖∂L/∂cₜ‖ is {format_log10(last)} at "
        f"t = {T - 1} and {format_log10(first)} at t = 0"
    )
    if math.isfinite(last) and math.isfinite(first) and T > 1:
        change = first - last
        if abs(change) < 0.01:  # within 2.3 %: the same to the digits shown
            text += ", about the same"
        else:
            word = "larger" if change > 0 else "smaller"
            text += f", {format_log10(abs(change))} times {word}"
    text += (
        r". They differ because $c_t$ feeds more than $c_{t+1}$: it makes $h_t = o_t \odot \tanh(c_t)$, and "
        r"$h_t$ feeds the next step's gates through $W_{hh}$, so every earlier cell state also gets gradient "
        r"through $h$, which the product of f does not count. The loss itself reaches $c_{T-1}$ only that "
        r"way, times $o \odot \tanh'(c_{T-1})$: nothing is forgotten under the clamp, and here $c_{T-1}$ "
        f"has a mean |c| of {c.mean_abs_c_last:.3g} over units, where tanh′ averages {c.tanh_slope_last:.2g}."
    )
    return text
