"""Vanishing gradients: one input sequence through a tanh RNN and an LSTM, a loss at the last step, and how
much of its gradient reaches every earlier step.

Thin: widgets -> ``lstm_vault.vanishing.compare_gradients`` (cached) -> ``lstm_vault.figures.gradients``.
Every number in the text is read from the cached result. The controls are mirrored into the URL
(``st.query_params``) so any view is a shareable link; a bad value in a link falls back to its default
with a warning.

The sequence length has two controls that stay in step: the sequence widget's "Length T" in the sidebar
and the slider above the plots (the one a teacher drags). Each writes the other's session-state key.
Both stop at T = 2 (``MIN_T``): with T = 1 the loss sits at t = 0 and there is nothing to follow back.

The explanations under the plots come from ``gradient_readings.rnn_readings`` / ``lstm_readings``, which pick
their wording by the regime of the current run (vanished, exploded or neither).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from lstm_vault.figures import gradients as figs
from lstm_vault.gradient_readings import lstm_readings, regime, rnn_readings
from lstm_vault.models import make_model
from lstm_vault.sequences import PRESETS
from lstm_vault.vanishing import (
    EQUATIONS,
    MAX_HIDDEN,
    VanishingResult,
    compare_gradients,
    format_log10,
    spectral_radius,
)
from pages.common.navigation import sidebar
from pages.common.sequence_input import apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model

P = "vg_"  # key prefix of every widget on this page
SLIDER_T_MAX = 500  # the length slider's range (the sidebar's number box goes further)
MIN_T = 2  # with T = 1 the loss sits at t = 0: no earlier step for the gradient to travel back to
# name in the URL -> (session key, default, low, high, step); ints where step is an int
CONTROLS = {
    "rho": (P + "rho", 1.0, 0.0, 4.0, 0.05),
    "fb": (P + "fb", 3.0, -4.0, 6.0, 0.25),
    "H": (P + "H", 16, 1, MAX_HIDDEN, 1),
    "seed": (P + "seed", 0, 0, 2**31 - 1, 1),
}
LEN_KEY, WIDGET_T_KEY, TRAINED_KEY, URL_READ = P + "len", P + "T", P + "trained", P + "url_read"

st.set_page_config(page_title="Vanishing gradients · lstm_vault", page_icon="📉", layout="wide")
sidebar()  # the app's page links, first in the sidebar


# ------------------------------------------------------------------------------------------ link state


def _parse(name: str, text: str):
    _, default, low, high, step = CONTROLS[name]
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"must be from {low} to {high}, got {text}")
    if isinstance(step, int):
        if value != int(value):
            raise ValueError(f"must be a whole number, got {text}")
        return int(value)
    return round(round(value / step) * step, 10)  # onto the slider's grid


def _too_short(text: str) -> bool:
    try:
        return float(text) < MIN_T
    except (TypeError, ValueError):
        return False  # not a number: apply_query_params says so


def read_link() -> list[str]:
    """Once per session, before the widgets: the link's values into session state; warnings for bad ones."""
    params = {name: st.query_params[name] for name in st.query_params}
    short = params.pop("T") if _too_short(params.get("T")) else None
    warnings = apply_query_params(params, P)
    if short is not None:
        s = st.session_state
        using = ""
        if s.get(P + "source", "preset") == "preset":  # the preset's own length, as sequence_input picks it
            length = s.get(WIDGET_T_KEY) or PRESETS[s.get(P + "preset", "sine")].default_length
            using = f"; using T = {length}"
        warnings.append(
            f"link parameter T={short} ignored: the gradient needs at least {MIN_T} steps to travel back "
            f"through{using}"
        )
    for name, (key, default, *_) in CONTROLS.items():
        st.session_state.setdefault(key, default)
        if name in st.query_params:
            try:
                st.session_state[key] = _parse(name, st.query_params[name])
            except ValueError as err:
                warnings.append(f"link parameter {name} ignored ({err}); using {default}")
    return warnings


def write_link(seq) -> None:
    params = {**query_params_of(seq)}
    for name, (key, default, *_) in CONTROLS.items():
        if st.session_state[key] != default:
            params[name] = str(st.session_state[key])
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def _length_slider_moved() -> None:
    st.session_state[WIDGET_T_KEY] = st.session_state[LEN_KEY]


# ------------------------------------------------------------------------------------------ computation


@st.cache_data(max_entries=32, show_spinner=False)
def run(x: np.ndarray, H: int, seed: int, rho: float, fb: float, trained: tuple | None) -> VanishingResult:
    """compare_gradients, cached; ``trained`` = (arch, config, params) of a session model, or None."""
    kwargs = {}
    if trained is not None:
        arch, config, params = trained
        kwargs[arch] = make_model(arch, **config).load_params(params)
    return compare_gradients(x, H, seed, rho, fb, **kwargs)


@st.cache_data(max_entries=32, show_spinner=False)
def figures(x: np.ndarray, H: int, seed: int, rho: float, fb: float, trained: tuple | None):
    r = run(x, H, seed, rho, fb, trained)
    return figs.gradient_norms(r), figs.forget_product(r), figs.input_gradients(r), figs.clip_notes(r)


@dataclass(frozen=True)
class Trained:
    """A session model this page can use, as hashable-enough pieces for the cached functions."""

    arch: str  # "lstm" | "rnn"
    model: tuple  # (arch, config, params) for run()
    x: np.ndarray | None  # (T, I) one example of its own task when it reads I > 1 features, else None
    label: str  # what the input is, for captions


def _task_example(model, seed: int) -> tuple[np.ndarray, str]:
    """One validation sequence of the model's own task: (T, I) float64 and a caption."""
    task = model.task()
    if task is None:
        raise ValueError("the model file names no task to draw a sequence from")
    x = np.asarray(task.validation(1, seed=seed).x[:, 0, :], dtype=np.float64)
    return x, f"one example of the {model.meta.get('task')} task it was trained on, T = {len(x)}"


def trained_option(seed: int) -> Trained | None:
    """The session's trained model, if there is one, this page can use it and the user switched it on."""
    model = current_model()
    rnn = getattr(model, "rnn", None) if model is not None else None
    arch = getattr(rnn, "arch", None)
    if rnn is None:
        return None
    name = {"lstm": "LSTM", "rnn": "RNN"}.get(arch)
    if name is None:
        st.caption(f"The trained model is a {str(arch).upper()}; this page compares an RNN with an LSTM.")
        return None
    if rnn.num_layers != 1 or rnn.bidirectional:
        st.caption(
            f"The trained {name} has {rnn.num_layers} layer(s)"
            f"{' and two directions' if rnn.bidirectional else ''}; this page follows the gradient through "
            "one layer in one direction."
        )
        return None
    task = (getattr(model, "meta", None) or {}).get("task", "")
    label = f"Use the trained {name}" + (f" ({task})" if task else "") + f" for the {name} side"
    if not st.toggle(label, key=TRAINED_KEY, persist_state="session"):
        return None
    x, x_label = None, ""
    if rnn.input_size != 1:  # the sequence widget makes one feature per step: use the model's own task
        try:
            x, x_label = _task_example(model, seed)
        except (ValueError, AttributeError, TypeError) as err:
            st.caption(f"This {name} reads {rnn.input_size} features per step, and no sequence for it: {err}")
            return None
        st.caption(f"It reads {rnn.input_size} features per step, so the input is {x_label}.")
    config = {"input_size": rnn.input_size, "hidden_size": rnn.hidden_size}
    params = {k: np.asarray(v, dtype=np.float64) for k, v in rnn.params.items()}
    return Trained(arch, (arch, config, params), x, x_label)


# ------------------------------------------------------------------------------------------ page

st.title("Vanishing gradients: RNN vs LSTM")
st.markdown(
    "One sequence, a plain tanh RNN and an LSTM of the same size, a loss on the **last** step only. How much "
    "of its gradient gets back to each earlier step t? That is what a model needs to learn that $x_t$ "
    "mattered."
)

if not st.session_state.get(URL_READ):
    st.session_state[URL_READ] = True
    for w in read_link():
        st.warning(w[:1].upper() + w[1:])
if st.session_state.get(WIDGET_T_KEY, MIN_T) < MIN_T:  # the sidebar's length box (shared widget) allows 1
    st.session_state[WIDGET_T_KEY] = MIN_T
    st.warning(
        f"Sequence length T = 1 has no earlier step for the gradient to travel back to: using T = {MIN_T}."
    )

with st.sidebar:
    input_box, models_box = st.container(), st.container()  # filled out of order: the model decides the input
with models_box:
    st.header("Models")
    trained = trained_option(int(st.session_state.get(CONTROLS["seed"][0], CONTROLS["seed"][1])))
    if trained is None:
        st.slider(
            "Hidden size H (both models)",
            CONTROLS["H"][2],
            CONTROLS["H"][3],
            key=CONTROLS["H"][0],
            persist_state="session",
            help="Number of hidden units of the RNN and of the LSTM.",
        )
    else:
        st.caption(f"Hidden size H = {trained.model[1]['hidden_size']} for both: the trained model's.")
    st.number_input(
        "Weight seed",
        CONTROLS["seed"][2],
        CONTROLS["seed"][3],
        step=1,
        key=CONTROLS["seed"][0],
        persist_state="session",
        help="Seeds the fresh models' weights and the loss direction u.",
    )
with input_box:
    st.header("Input")
    if trained and trained.x is not None:
        st.info(f"Not used while the trained model is on: the input is {trained.label}.")
    seq = sequence_input(P)

trained_arch = trained.arch if trained else ""
x, x_label = (trained.x, trained.label) if trained and trained.x is not None else (seq.values, seq.label)
controls = st.columns(3)
with controls[0]:
    if trained and trained.x is not None:
        st.metric("Sequence length T", len(x), help="Set by the trained model's task.")
    elif seq.source == "preset":
        st.session_state[LEN_KEY] = int(seq.length)  # the sidebar box may have moved: follow it
        st.slider(
            "Sequence length T",
            MIN_T,
            max(SLIDER_T_MAX, seq.length),
            key=LEN_KEY,
            on_change=_length_slider_moved,
            help="Steps the gradient travels back through.",
        )
    else:
        st.metric("Sequence length T", seq.length, help="Set by your numbers.")
with controls[1]:
    if trained_arch == "rnn":
        rho_trained = spectral_radius(trained.model[2]["weight_hh_l0"])
        st.metric("Spectral radius ρ of the RNN's W_hh", f"{rho_trained:.2f}", help="The trained RNN's own.")
    else:
        _, _, low, high, step = CONTROLS["rho"]
        st.slider(
            "Spectral radius ρ of the RNN's W_hh",
            low,
            high,
            step=step,
            key=CONTROLS["rho"][0],
            persist_state="session",
            help="Largest |eigenvalue| of the RNN's recurrent weights. Below 1 its gradient shrinks "
            "step by step; well above 1 it can explode. The LSTM keeps PyTorch's default weights.",
        )
with controls[2]:
    if trained_arch == "lstm":
        params, Ht = trained.model[2], trained.model[1]["hidden_size"]
        b_f = params["bias_ih_l0"][Ht : 2 * Ht] + params["bias_hh_l0"][Ht : 2 * Ht]
        st.metric(
            "LSTM forget-gate bias", f"{b_f.mean():.2f}", help="The trained LSTM's own (mean of units)."
        )
    else:
        _, _, low, high, step = CONTROLS["fb"]
        st.slider(
            "LSTM forget-gate bias",
            low,
            high,
            step=step,
            key=CONTROLS["fb"][0],
            persist_state="session",
            help="b_f: the forget gate is σ(... + b_f); a large bias keeps f near 1 (remember by default).",
        )

write_link(seq)
H, seed = int(st.session_state[CONTROLS["H"][0]]), int(st.session_state[CONTROLS["seed"][0]])
rho, fb = float(st.session_state[CONTROLS["rho"][0]]), float(st.session_state[CONTROLS["fb"][0]])
if len(x) < MIN_T:
    st.info(
        "This sequence has a single step (T = 1): there is no earlier step for the gradient to travel back "
        f"to. Give at least {MIN_T} numbers."
    )
    st.stop()
try:
    with st.spinner("Backpropagating…"):
        model = trained.model if trained else None
        res = run(x, H, seed, rho, fb, model)
        fig_norms, fig_forget, fig_dx, notes = figures(x, H, seed, rho, fb, model)
except ValueError as err:
    st.error(f"Cannot run this setting: {err}")
    st.stop()

T = res.T
rnn_ratio, lstm_ratio = res.rnn.log10_ratio, res.lstm.log10_ratio

st.plotly_chart(fig_norms, width="stretch", theme=None, key=P + "norms")
st.caption(
    f"Loss at t = {T - 1}, where every curve starts at 1. Log scale: equal distances are equal factors. "
    f"Input: {x_label}; H = {res.hidden_size}, seed {res.seed}."
)
if notes:
    st.caption(" ".join(n[0].upper() + n[1:] for n in notes))

# ---- headline numbers
exploding = regime(rnn_ratio) == "exploding"
m = st.columns(4)
m[0].metric(
    "RNN: gradient reaching t = 0", format_log10(rnn_ratio), help=f"‖∂L/∂h₀‖ ÷ ‖∂L/∂h_{T - 1}‖ for the RNN."
)
m[1].metric(
    "LSTM: gradient reaching t = 0",
    format_log10(lstm_ratio),
    help=f"‖∂L/∂h₀‖ ÷ ‖∂L/∂h_{T - 1}‖ for the LSTM.",
)
if exploding:  # more is not better here: show that the LSTM's stays bounded, not a ratio to the blow-up
    m[2].metric(
        "LSTM: largest at any t",
        format_log10(float(np.max(res.lstm.log10_dh - res.lstm.log10_dh[-1]))),
        help=f"The LSTM's largest ‖∂L/∂hₜ‖ ÷ ‖∂L/∂h_{T - 1}‖ over all t: it stays bounded while the RNN's "
        "explodes (a ratio to the RNN's blow-up would say nothing useful).",
    )
else:
    m[2].metric(
        "LSTM ÷ RNN at t = 0",
        format_log10(res.log10_lstm_over_rnn),
        help="How many times more gradient reaches the first input through the LSTM (below 1: less).",
    )
m[3].metric(
    "RNN factor per step back",
    f"{10**res.rnn.log10_step_factor:.3f}",
    delta=f"predicted {res.predicted_step_factor:.3f}",
    delta_color="off",
    delta_arrow="off",
    help="Measured: the (T−1)-th root of the ratio at t = 0. Predicted: ρ × rms tanh′.",
)

# ---- why, with this run's numbers
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Why the RNN's gradient vanishes (or explodes)")
    st.markdown(
        r"Going back one step multiplies the gradient by $W_{hh}^\top$ and by the slope of tanh at that step:"
    )
    st.latex(EQUATIONS["rnn_step"])
    st.latex(EQUATIONS["rnn_product"])
    st.markdown(
        r"A product of many similar factors grows or shrinks geometrically. Its size per step is roughly the "
        r"spectral radius $\rho$ of $W_{hh}$ times the typical slope of tanh:"
    )
    st.latex(EQUATIONS["rnn_estimate"])
    st.markdown(
        r"where $\overline{\tanh'}$ is the root mean square of $\tanh'(a_k) = 1 - h_k^2$ over the units, "
        "averaged over the steps k (geometrically, since the factors multiply). Not the plain mean: see "
        "*How this is computed* below."
    )
    for text in rnn_readings(res):
        st.markdown(text)

with right:
    st.subheader("How the LSTM's cell state carries it")
    st.markdown(
        r"The cell state is updated by *addition*, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, so going back "
        "one step along it multiplies the gradient only by the forget gate:"
    )
    st.latex(EQUATIONS["lstm_step"])
    st.latex(EQUATIONS["lstm_product"])
    st.caption("The second line is the cell-state path alone, without the route through h.")
    for text in lstm_readings(res):
        st.markdown(text)
    st.markdown(
        r"Unlike the RNN's factor $\rho \cdot \tanh'$, which the weights fix, each $f_t$ is computed from "
        r"the input and $h_{t-1}$: a trained LSTM learns, per unit and per step, when to keep its memory "
        "(f near 1) and when to let go."
    )
    st.plotly_chart(fig_forget, width="stretch", theme=None, key=P + "forget")
    st.caption(
        f"Running product of the forget gates from step t+1 to {T - 1} (thin lines: single units, "
        f"the first {min(12, res.hidden_size)} of {res.hidden_size}). Dashed: the measured cell-state "
        "gradient, which follows the product where the cell path carries it."
    )

# ---- which inputs still matter
st.subheader("Which inputs can the loss still feel?")
st.markdown(
    r"The gradient with respect to the input at each step, $\partial L/\partial x_t$: what training would "
    f"use to learn how $x_t$ should affect the last output. At t = 0 it is "
    f"{format_log10(float(res.rnn.log10_dx[0].max()))} through the RNN and "
    f"{format_log10(float(res.lstm.log10_dx[0].max()))} through the LSTM (same colour scale, logarithmic)."
)
st.plotly_chart(fig_dx, width="stretch", theme=None, key=P + "dx")

with st.expander("How this is computed"):
    st.latex(EQUATIONS["loss"])
    if trained_arch == "rnn":
        rnn_text = r"The RNN is your trained one, as it is: its own $W_{hh}$ sets $\rho$."
    else:
        rho0 = res.spectral_radius / res.weight_factor if res.weight_factor > 0 else float("nan")
        rnn_text = (
            rf"The RNN starts from PyTorch's initialisation, whose $W_{{hh}}$ has $\rho$ = {rho0:.2f} for "
            r"this seed and size, and is rescaled to the slider's $\rho$ (multiplied by "
            rf"{res.weight_factor:.3g})."
        )
    if trained_arch == "lstm":
        lstm_text = "The LSTM is your trained one, as it is, with its own forget-gate biases."
    else:
        lstm_text = (
            "The LSTM keeps PyTorch's initial weights except for the forget-gate bias, which the slider "
            r"sets. Its long-range path runs through the forget gates; scaling its $W_{hh}$ as well would "
            "mix a second effect into the comparison."
        )
    st.markdown(
        "\n".join(
            [
                r"- **Loss.** $u$ is a fixed random unit vector (from the seed), so the gradient at the last "
                "step has norm exactly 1 and every other value reads as *the share of it that gets back*. "
                r"($\frac12\|h_{T-1}\|^2$ would start from $\|h_{T-1}\|$, which depends on the run.)",
                f"- **Models.** Same hidden size, same seed. {rnn_text} {lstm_text}",
                "- **Backpropagation.** The library's own step-by-step BPTT (the step functions its tests "
                "check against PyTorch), carrying the gradient as a unit vector times a power of 10, so "
                "norms far outside float64's range (10⁻³⁰⁸ to 10³⁰⁸) stay exact. The plots clip to 10⁻³⁰⁰ "
                "and 10³⁰⁰ and say so; hover shows the true value.",
                r"- **Prediction.** $\rho \cdot \mathrm{rms}(\tanh')$ per step: for a random $W_{hh}$ each "
                r"step scales the squared norm by about $\rho^2 \cdot \mathrm{mean}(\tanh'^2)$. The plain "
                r"mean of "
                r"$\tanh'$ would predict decay even where the gradient explodes. It is a rough guide, best "
                "for larger H.",
            ]
        )
    )
