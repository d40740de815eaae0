"""The Vanishing gradients page's other sentences, each with the numbers of the run it describes.

Which models are trained (said first), the headline metrics, the captions under the plots, what ∂L/∂x_t
is, where the edge between vanishing and exploding lies for this setting (from an
:class:`~lstm_vault.gradient_edge.EdgeSweep`), whether a trained model's input gradient lights up at the
adding problem's marked steps, and what the page says about a sequence too short to follow back. Markdown
out, no streamlit; the RNN's and LSTM's own readings are in :mod:`lstm_vault.gradient_readings`, numbers
become text in :mod:`lstm_vault.formatting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .formatting import format_log10, ordinal
from .gradient_edge import EDGE_RADII
from .gradient_models import MIN_T
from .gradient_readings import regime_word

if TYPE_CHECKING:
    from .gradient_edge import EdgeSweep
    from .vanishing import VanishingResult


def intro(r: VanishingResult, source: str, task_title: str = "", losses: dict | None = None) -> str:
    """The page's first paragraph: which models are trained, said first.

    source: "session" (the Train page's last run) or "shipped" (assets/models) for a trained pair,
    "current" for the session's one trained model, "" for two fresh ones. losses: optional
    ``{"lstm": val_loss, "rnn": val_loss, "baseline": loss, "baseline_description": words}``
    (:meth:`lstm_vault.gradient_models.Pair.losses`).
    """
    question = (
        "A loss sits on the **last** step only: how much of its gradient gets back to each earlier step t? "
        "That is what a model needs to learn that $x_t$ mattered."
    )
    task = f" on the {task_title}" if task_title else ""
    if set(r.trained) == {"rnn", "lstm"}:
        where = "this session's last Train run" if source == "session" else "the files shipped with the app"
        scores = ""
        losses = losses or {}
        if all(isinstance(losses.get(k), (int, float)) for k in ("lstm", "rnn", "baseline")):
            how = losses.get("baseline_description")
            scores = (
                f" (validation loss: LSTM {losses['lstm']:.3g}, RNN {losses['rnn']:.3g}; the baseline"
                f"{f', {how},' if how else ''} scores {losses['baseline']:.3g})"
            )
        return (
            f"Both models are **trained**{task}, from {where}{scores}. One example of their task runs "
            f"through both. {question}"
        )
    if r.trained == ("lstm",):
        return (
            "The RNN here is **untrained** (random weights, its ρ set by the slider); the LSTM is your "
            f"trained one{task}. {question}"
        )
    if r.trained == ("rnn",):
        return (
            "The LSTM here is **untrained** (random weights, its forget-gate bias set by the slider); the "
            f"RNN is your trained one{task}. {question}"
        )
    return (
        "Both models are **untrained**: a plain tanh RNN and an LSTM of the same size with random weights, "
        f"the RNN's ρ and the LSTM's forget-gate bias set by the sliders. {question}"
    )


def norms_caption(r: VanishingResult, input_label: str) -> str:
    """The caption under the gradient-norm plot: where each curve starts, and what the dotted line is."""
    last = r.T - 1
    text = (
        f"Loss at t = {last}. Both ‖∂L/∂hₜ‖ curves start there at 1 (‖u‖ = 1); the LSTM's cell-state curve "
        f"starts at {format_log10(float(r.lstm.log10_dc[-1]))}, since the loss reaches c_{last} only through "
        f"h_{last} = o ⊙ tanh(c_{last}). "
    )
    if r.prediction_applies:
        text += (
            "Dotted: the mean-field rule, from the RNN's own activations (a decomposition, not a forecast). "
        )
    else:
        text += "No mean-field line: it assumes a random W_hh, and this RNN is trained. "
    scale = "Log scale: equal distances are equal factors."
    return f"{text}{scale} Input: {input_label}; H = {r.hidden_size}, seed {r.seed}."


def input_reading(r: VanishingResult, decades: int) -> str:
    """The paragraph above the input-gradient heatmaps: ∂L/∂x_t is a sensitivity; its size at t = 0."""
    return (
        r"The gradient with respect to the input at each step, $\partial L/\partial x_t$, is a sensitivity: "
        r"how much the loss would move if $x_t$ moved. Training does not use it directly; the input weights "
        r"get $\sum_t \partial L/\partial a_t\, x_t^\top$ ($a_t$ the pre-activation at step t). For the RNN, "
        r"$\partial L/\partial a_t = \tanh'(a_t) \odot \partial L/\partial h_t$ is never larger than "
        r"$\partial L/\partial h_t$, so where that has vanished, step t adds next to nothing to it. "
        f"At t = 0, |∂L/∂x₀| is {format_log10(float(r.rnn.log10_dx[0].max()))} through the RNN and "
        f"{format_log10(float(r.lstm.log10_dx[0].max()))} through the LSTM (largest over the input "
        f"features). One logarithmic colour scale for both rows, over the {decades} decades below the "
        "largest value: anything smaller gets the darkest colour, and hover shows every value."
    )


def marked_steps_readings(r: VanishingResult, marked: tuple[int, ...]) -> list[str]:
    """For a trained model on the adding problem: are its largest |∂L/∂x_t| at the marked steps?

    One sentence per trained side; "lights up at the marked steps" only where its ``len(marked)``
    largest steps are exactly the marked ones in this example.
    """
    out = []
    if not marked:
        return out
    where = " and ".join(str(t) for t in sorted(marked))
    for name, path in (("LSTM", r.lstm), ("RNN", r.rnn)):
        if name.lower() not in r.trained:
            continue
        mag = path.log10_dx.max(axis=1)  # (T,) largest over features
        top = path.top_input_steps(len(marked))
        at_marks = " and ".join(format_log10(float(mag[t])) for t in sorted(marked))
        if set(top) == set(marked):
            rest = np.delete(mag, list(marked))
            runner = int(np.delete(np.arange(r.T), list(marked))[np.argmax(rest)]) if rest.size else None
            after = (
                f" (next largest: {format_log10(float(mag[runner]))} at t = {runner})"
                if runner is not None
                else ""
            )
            out.append(
                f"The trained {name}'s input-gradient heatmap lights up at the two marked steps, "
                f"t = {where}: |∂L/∂xₜ| is {at_marks} there, the largest of all {r.T} steps{after}. "
                "Its loss is most sensitive to the two numbers it has to add."
            )
        else:
            tops = " and ".join(str(t) for t in sorted(top))
            order = np.argsort(-mag, kind="stable")
            ranks = " and ".join(ordinal(int(np.nonzero(order == t)[0][0]) + 1) for t in sorted(marked))
            out.append(
                f"The trained {name}'s largest |∂L/∂xₜ| are at t = {tops}; at the marked steps t = {where} "
                f"it is {at_marks}, the {ranks} largest of {r.T}."
            )
    if len(r.trained) == 2:
        first = min(marked)
        out.append(
            f"At the first marked step, t = {first}, {r.T - 1 - first} steps before the loss, ‖∂L/∂hₜ‖ is "
            f"{format_log10(float(r.lstm.log10_dh[first]))} in the trained LSTM and "
            f"{format_log10(float(r.rnn.log10_dh[first]))} in the trained RNN."
        )
    return out


def _edges_text(below: float | None, above: float | None, lo: float, hi: float, step: float) -> str:
    """ "below 1 for every ρ up to 1.40 and above 1 for every ρ from 1.85 (in between ...)"."""
    if below is not None and above is not None:
        text = f"below 1 for every ρ up to {below:.2f} and above 1 for every ρ from {above:.2f}"
        return text + ("" if above - below < 1.5 * step else " (in between it wobbles around 1)")
    if below is not None:
        return (
            f"below 1 for every ρ up to {hi:.2f}, the whole range"
            if below >= hi
            else f"below 1 for every ρ up to {below:.2f}, and above 1 for good nowhere up to {hi:.2f}"
        )
    if above is not None:
        return (
            f"above 1 for every ρ from {lo:.2f}, the whole range"
            if above <= lo
            else f"not below 1 even at ρ = {lo:.2f}, and above 1 for every ρ from {above:.2f}"
        )
    return f"on both sides of 1 by turns from ρ = {lo:.2f} to {hi:.2f}"


def edge_reading(sweep: EdgeSweep) -> str:
    """Where the fresh RNN of this setting turns from shrinking to growing, measured over ρ."""
    lo, hi = float(sweep.radii[0]), float(sweep.radii[-1])
    step = float(sweep.radii[1] - sweep.radii[0]) if len(sweep.radii) > 1 else 0.0
    below, above = sweep.measured_edges()
    p_below, p_above = sweep.predicted_edges()
    if p_below is not None and p_above is not None and p_above - p_below < 1.5 * step:
        predicted = f"crosses 1 between ρ = {p_below:.2f} and {p_above:.2f}"
    else:
        predicted = "is " + _edges_text(p_below, p_above, lo, hi, step)
    text = (
        r"**Where is the edge?** Each step back multiplies by $W_{hh}^\top$ *and* by tanh′ ≤ 1, so by the "
        r"mean-field rule the gradient grows only once $\rho \cdot \mathrm{rms}(\tanh')$ passes 1, which "
        f"takes ρ above 1. Swept over ρ from {lo:.2f} to {hi:.2f} in steps of {step:.2f} (this input, H and "
        f"seed), the measured factor per step is {_edges_text(below, above, lo, hi, step)}; "
        rf"$\rho \cdot \mathrm{{rms}}(\tanh')$ {predicted}."
    )
    if below is not None and above is not None:
        where = "above ρ = 1, not at 1" if below > 1.0 + step / 2 else "close to ρ = 1"
        text += (
            f" For this setting the edge of exploding lies between ρ = {below:.2f} and {above:.2f}: {where}."
        )
    return text


def singular_value_caption(r: VanishingResult) -> str:
    """The caption under the ρ control: the RNN's σ_max beside its ρ."""
    rho, sigma = r.spectral_radius, r.largest_singular_value
    own = f"The trained RNN has ρ = {rho:.2f}; " if "rnn" in r.trained else ""
    times = f" ({sigma / rho:.2f} × ρ)" if rho > 0 else ""
    return f"{own}σ_max(W_hh) = **{sigma:.2f}**{times}, the largest singular value."


def method_notes(r: VanishingResult) -> str:
    """*How this is computed*, as a markdown list with this run's numbers."""
    if "rnn" in r.trained:
        rnn_text = r"The RNN is a trained one, as it is: its own $W_{hh}$ sets $\rho$."
    else:
        rho0 = r.spectral_radius / r.weight_factor if r.weight_factor > 0 else float("nan")
        rnn_text = (
            rf"The RNN starts from PyTorch's initialisation, whose $W_{{hh}}$ has $\rho$ = {rho0:.2f} for "
            rf"this seed and size, and is rescaled to the slider's $\rho$ (multiplied by "
            f"{r.weight_factor:.3g})."
        )
    if "lstm" in r.trained:
        lstm_text = "The LSTM is a trained one, as it is, with its own forget-gate biases."
    else:
        lstm_text = (
            "The LSTM keeps PyTorch's initial weights except for the forget-gate bias, which the slider "
            r"sets. Its long-range path runs through the forget gates; scaling its $W_{hh}$ as well would "
            "mix a second effect into the comparison."
        )
    return "\n".join(
        [
            r"- **Loss.** $u$ is a fixed random unit vector (from the seed), so the gradient at the last "
            "step has norm exactly 1 and every other value reads as *the share of it that gets back*. "
            r"($\frac12\|h_{T-1}\|^2$ would start from $\|h_{T-1}\|$, which depends on the run.)",
            f"- **Models.** Same hidden size, same seed. {rnn_text} {lstm_text}",
            "- **Backpropagation.** The library's own step-by-step BPTT (the step functions its tests check "
            "against PyTorch), carrying the gradient as a unit vector times a power of 10, so norms far "
            "outside float64's range (10⁻³⁰⁸ to 10³⁰⁸) stay exact. The plots clip to 10⁻³⁰⁰ and 10³⁰⁰ and "
            "say so; hover shows the true value.",
            r"- **Mean-field line.** $\prod_k \rho \cdot \mathrm{rms}(\tanh'(a_k))$: for a random $W_{hh}$ "
            r"each step scales the squared norm by about $\rho^2 \cdot \mathrm{mean}(\tanh'^2)$. The plain "
            r"mean of $\tanh'$ would predict decay even where the gradient explodes (saturated units have "
            "slope near 0, the others near 1). It is a rough guide, closer for larger H and below the edge, "
            "and a small error per step compounds, step after step.",
            "- **History.** Hochreiter (1991) and Bengio, Simard & Frasconi (1994) analysed why gradients "
            "through many steps vanish or explode; Pascanu, Mikolov & Bengio (2013) gave the singular-value "
            "conditions used above and proposed clipping the gradient's norm.",
        ]
    )


# ------------------------------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Metric:
    """One headline number: ``st.metric(label, value, delta, help=help)``."""

    label: str
    value: str
    help: str
    delta: str | None = None


def headline_metrics(r: VanishingResult) -> list[Metric]:
    """The four numbers above the explanations: each model's share at t = 0 with its regime, the LSTM
    against the RNN (or, beside an RNN that exploded, the LSTM's largest), and the RNN's factor per step."""
    last = r.T - 1
    out = [
        Metric(
            f"{name}: gradient reaching t = 0",
            format_log10(path.log10_ratio),
            f"‖∂L/∂h₀‖ ÷ ‖∂L/∂h_{last}‖ for the {name}; below 1/100 counts as vanished, above 100 times "
            "as exploded.",
            regime_word(path.log10_ratio),
        )
        for name, path in (("RNN", r.rnn), ("LSTM", r.lstm))
    ]
    if regime_word(r.rnn.log10_ratio) == "exploded":  # more is not better: the LSTM's stays bounded
        out.append(
            Metric(
                "LSTM: largest at any t",
                format_log10(float(np.max(r.lstm.log10_dh - r.lstm.log10_dh[-1]))),
                f"The LSTM's largest ‖∂L/∂hₜ‖ ÷ ‖∂L/∂h_{last}‖ over all t (beside the RNN's blow-up a ratio "
                "of the two would say nothing useful).",
            )
        )
    else:
        out.append(
            Metric(
                "LSTM ÷ RNN at t = 0",
                format_log10(r.log10_lstm_over_rnn),
                "How many times more gradient reaches t = 0 (‖∂L/∂h₀‖) through the LSTM (below 1: less).",
            )
        )
    out.append(
        Metric(
            "RNN factor per step back",
            f"{10**r.rnn.log10_step_factor:.3f}",
            "Measured: the (T−1)-th root of the ratio at t = 0. Mean-field: ρ × rms tanh′ (random W_hh "
            "only).",
            f"mean-field {r.predicted_step_factor:.3f}" if r.prediction_applies else None,
        )
    )
    return out


def trained_forget_bias(lstm) -> str:
    """The trained LSTM's forget-gate bias b_ih + b_hh (mean over units), shown in its slider's place."""
    return f"{float(lstm.gate_bias('f').mean()):.2f}"


def input_not_used(example_label: str) -> str:
    """Over the sequence widget while trained models read their own task's example."""
    return f"Not used while trained models are compared: the input is {example_label}."


def trained_size_caption(hidden_size: int) -> str:
    return f"Hidden size H = {hidden_size} for both: the trained model's."


def forget_caption(r: VanishingResult, max_units: int) -> str:
    """The caption under the forget-gate product plot (``max_units``: the unit lines it draws)."""
    return (
        f"Running product of the forget gates from step t+1 to {r.T - 1} (thin lines: single units, "
        f"the first {min(max_units, r.hidden_size)} of {r.hidden_size}). Dashed: the measured cell-state "
        "gradient, which follows the product where the cell path carries it."
    )


CLAMP_TOGGLE = "Experiment: clamp every forget gate of the LSTM to f = 1"
CLAMP_HELP = (
    "Runs the same LSTM again with f forced to 1 at every step and unit (no forgetting), and plots the "
    "running product of f beside the cell-state gradient ‖∂L/∂cₜ‖ of that run."
)
HEATMAPS_TITLE = "The input-gradient heatmaps: |∂L/∂xₜ| of both models at every step"
EDGE_TITLE = "Where is the edge between vanishing and exploding? (the RNN swept over ρ)"
EDGE_BUTTON = f"Find the edge for this setting ({len(EDGE_RADII)} runs of the RNN)"
EDGE_CAPTION = (
    "The same $W_{hh}$ rescaled to each ρ, on this input. Factor per step back: the (T−1)-th root of the "
    "gradient reaching t = 0. Above the line at 1 it grows; σ_max is the most one step can stretch it."
)


def paragraphs(texts) -> str:
    """Several paragraphs as one markdown element (one element to redraw instead of several)."""
    return "\n\n".join(texts)


# ------------------------------------------------------------------------------------------ too short


def as_sentence(text: str) -> str:
    """A warning or note as shown: its first letter capitalised."""
    return text[:1].upper() + text[1:]


def length_link_warning(text, using: int | None) -> str | None:
    """What to tell a person whose link asks for ``T=text`` below :data:`MIN_T` (None for any other value:
    the sequence widget checks it); ``using``: the length shown instead, if known."""
    try:
        short = float(text) < MIN_T
    except (TypeError, ValueError):
        return None  # not a number: the sequence widget says so
    if not short:
        return None
    shown = "" if using is None else f"; using T = {using}"
    return (
        f"link parameter T={text} ignored: the gradient needs at least {MIN_T} steps to travel back "
        f"through{shown}"
    )


SHORT_LENGTH_WARNING = (
    f"Sequence length T = 1 has no earlier step for the gradient to travel back to: using T = {MIN_T}."
)
SINGLE_STEP_INFO = (
    "This sequence has a single step (T = 1): there is no earlier step for the gradient to travel back "
    f"to. Give at least {MIN_T} numbers."
)


# ------------------------------------------------------------------------------------------ explanations

#: what one step back does to the RNN's gradient (above its equations)
RNN_STEP = (
    r"Going back one step multiplies the gradient by $W_{hh}^\top$ and by the slope of tanh at that step:"
)

#: the mean-field estimate of each factor (above its equation)
MEAN_FIELD = (
    r"For a random $W_{hh}$, mean-field theory puts the size of each factor at about the spectral radius "
    r"$\rho$ times the root mean square of the tanh slopes:"
)

#: what rms(tanh') is, and that the estimate decomposes rather than forecasts
MEAN_FIELD_SLOPES = (
    r"with $\mathrm{rms}(\tanh'(a_k))$ the root mean square of $\tanh'(a_k) = 1 - h_k^2$ over the units "
    "at step k. It reads the slopes from the run itself, so it decomposes the measured decay rather than "
    r"forecasting it, and it assumes a random $W_{hh}$, not a trained one. Why not the plain mean: see "
    "*How this is computed* below."
)

#: why the cell state's path multiplies only by f (above its equations)
LSTM_STEP = (
    r"The cell state is updated by *addition*, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, so going back "
    "one step along it multiplies the gradient only by the forget gate:"
)

#: the RNN's fixed matrix against the LSTM's gates, which depend on input and state
GATES_LEARN = (
    r"The RNN's factor $W_{hh}^\top \operatorname{diag}(\tanh')$ has one fixed matrix, only the slopes "
    r"move. Each $f_t$ is a gate computed from the input and $h_{t-1}$: a trained LSTM can learn, per "
    "unit and per step, when to keep its memory (f near 1) and when to let go."
)


HEATMAPS_FOLLOW = (
    "These heatmaps are drawn by Python for the values where the sliders last came to rest; after a move "
    "they follow within a moment."
)


def window_note(rho_grid, fb_grid) -> str:
    """Under the live view when the browser holds only part of a slider's range (a long sequence or many
    units): which values answer at once, and what happens beyond them."""
    parts = []
    for grid, name in ((rho_grid, "ρ"), (fb_grid, "the forget-gate bias")):
        if not grid.complete:
            parts.append(f"{name} from {grid.values[0]:g} to {grid.values[-1]:g}")
    return (
        f"At this length and size the sliders answer at once for {' and '.join(parts)} (the values computed "
        "ahead of time); beyond them the page computes the new setting first, which takes a moment."
    )
