"""Vanishing gradients: one input sequence through a tanh RNN and an LSTM, a loss at the last step, and how
much of its gradient reaches every earlier step.

Thin: widgets -> ``lstm_vault.vanishing.compare_gradients`` (cached) -> ``lstm_vault.figures.gradients``.
Every number in the text is read from the cached result. The controls are mirrored into the URL
(``st.query_params``) so any view is a shareable link; a bad value in a link falls back to its default
with a warning.

The models: two untrained ones (the sliders set the RNN's ρ and the LSTM's forget-gate bias), the
session's trained model beside an untrained one, the session's trained LSTM and RNN (the Train page's
last run), or the pair shipped in assets/models; ``lstm_vault.gradient_models`` finds and loads them. A
pair from a new Train run is picked as soon as it arrives (with a toast; the user can switch back).

The sequence length has two controls that stay in step: the sequence widget's "Length T" in the sidebar
and the slider above the plots (the one a teacher drags). Each writes the other's session-state key.
Both stop at T = 2 (``MIN_T``): with T = 1 the loss sits at t = 0 and there is nothing to follow back.

The sentences come from ``lstm_vault.gradient_readings`` (the RNN and the LSTM, by the regime of the
run) and ``lstm_vault.gradient_notes`` (which models are trained, captions, the edge sweep).
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from lstm_vault import modelfile
from lstm_vault.explain import GRADIENT_EQUATIONS
from lstm_vault.figures import gradients as figs
from lstm_vault.formatting import format_log10
from lstm_vault.gradient_edge import EdgeSweep, edge_sweep
from lstm_vault.gradient_models import (
    Example,
    Pair,
    choices,
    load_shipped_pair,
    session_pair,
    task_example,
    unusable,
)
from lstm_vault.gradient_notes import (
    edge_reading,
    input_reading,
    intro,
    marked_steps_readings,
    method_notes,
    norms_caption,
    singular_value_caption,
)
from lstm_vault.gradient_readings import lstm_readings, regime_word, rnn_readings
from lstm_vault.models import make_model
from lstm_vault.sequences import PRESETS
from lstm_vault.vanishing import COMPARISON_MAX_HIDDEN, VanishingResult, compare_gradients
from pages.common.navigation import sidebar
from pages.common.sequence_input import apply_query_params, query_params_of, sequence_input
from pages.common.session import current_model, last_run_models

P = "vg_"  # key prefix of every widget on this page
SLIDER_T_MAX = 500  # the length slider's range (the sidebar's number box goes further)
MIN_T = 2  # with T = 1 the loss sits at t = 0: no earlier step for the gradient to travel back to
# name in the URL -> (session key, default, low, high, step); ints where step is an int
CONTROLS = {
    "rho": (P + "rho", 1.0, 0.0, 4.0, 0.05),
    "fb": (P + "fb", 3.0, -4.0, 6.0, 0.25),
    "H": (P + "H", 16, 1, COMPARISON_MAX_HIDDEN, 1),
    "seed": (P + "seed", 0, 0, 2**31 - 1, 1),
}
LEN_KEY, WIDGET_T_KEY, URL_READ = P + "len", P + "T", P + "url_read"
MODELS_KEY, SEEN_PAIR_KEY = P + "models", P + "seen_pair"
SWEEP_BUDGET = 4_000_000  # T · H² above which the ρ sweep waits for a click (71 runs of the RNN)

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


def _spec(saved) -> tuple:
    """(arch, config, params) of a trained model: hashable pieces for the cached functions."""
    m = saved.rnn
    params = {k: np.asarray(v, dtype=np.float64) for k, v in m.params.items()}
    return m.arch, {"input_size": m.input_size, "hidden_size": m.hidden_size}, params


@st.cache_data(max_entries=32, show_spinner=False)
def run(x: np.ndarray, H: int, seed: int, rho: float, fb: float, trained: tuple) -> VanishingResult:
    """compare_gradients, cached; ``trained`` = the (arch, config, params) of each trained side."""
    models = {arch: make_model(arch, **config).load_params(params) for arch, config, params in trained}
    return compare_gradients(x, H, seed, rho, fb, **models)


@st.cache_data(max_entries=32, show_spinner=False)
def figures(x: np.ndarray, H: int, seed: int, rho: float, fb: float, trained: tuple, marked: tuple):
    r = run(x, H, seed, rho, fb, trained)
    dx = figs.input_gradients(r, marked=marked)
    return figs.gradient_norms(r), figs.forget_product(r), dx, figs.clip_notes(r)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(x: np.ndarray, H: int, seed: int) -> EdgeSweep:
    return edge_sweep(x, H, seed)


@st.cache_resource(show_spinner=False)
def shipped_pair() -> Pair:
    return load_shipped_pair()


def choose_models(seed: int) -> tuple[Pair, Example | None]:
    """The sidebar's choice of models, and one example of their task where the input must come from it."""
    current, last = current_model(), last_run_models()
    own = current if current is not None and not unusable(current) else None
    pair = session_pair(current, last)
    options = choices(own, pair)
    seen = None if pair is None else pair.fingerprint()
    if seen is not None and st.session_state.get(SEEN_PAIR_KEY) != seen:  # a new Train run: show it
        if SEEN_PAIR_KEY in st.session_state:
            st.toast(
                "Now comparing the LSTM and RNN of your last Train run; pick other models in the sidebar."
            )
        st.session_state[SEEN_PAIR_KEY] = seen
        st.session_state[MODELS_KEY] = "session"
    if st.session_state.get(MODELS_KEY) not in options:
        st.session_state[MODELS_KEY] = ""
    choice = st.radio(
        "Compare", list(options), format_func=options.get, key=MODELS_KEY, persist_state="session"
    )
    if current is not None and own is None:
        st.caption(unusable(current)[:1].upper() + unusable(current)[1:] + ".")
    if choice == "shipped":
        try:
            chosen = shipped_pair()
        except (modelfile.ModelFileError, OSError) as err:
            st.error(f"Cannot load the shipped models: {err}")
            return Pair(""), None
    else:
        chosen = {"session": pair, "current": Pair("current", **{own.rnn.arch: own}) if own else None}.get(
            choice
        ) or Pair("")
    model = chosen.any_model
    if model is None or (chosen.source == "current" and model.rnn.input_size == 1):
        return chosen, None  # the sequence widget's input
    try:
        return chosen, task_example(model, seed)
    except (ValueError, TypeError) as err:
        if model.rnn.input_size == 1:
            return chosen, None
        st.caption(
            f"This model reads {model.rnn.input_size} features per step, and no sequence for it: {err}"
        )
        return Pair(""), None


# ------------------------------------------------------------------------------------------ page

st.title("Vanishing gradients: RNN vs LSTM")
intro_box = st.empty()  # filled once the run is known: its first sentence says which models are trained

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
    pair, example = choose_models(int(st.session_state.get(CONTROLS["seed"][0], CONTROLS["seed"][1])))
    trained_model = pair.any_model
    if trained_model is None:
        st.slider(
            "Hidden size H (both models)",
            CONTROLS["H"][2],
            CONTROLS["H"][3],
            key=CONTROLS["H"][0],
            persist_state="session",
            help="Number of hidden units of the RNN and of the LSTM.",
        )
    else:
        st.caption(f"Hidden size H = {trained_model.rnn.hidden_size} for both: the trained model's.")
    st.number_input(
        "Weight seed",
        CONTROLS["seed"][2],
        CONTROLS["seed"][3],
        step=1,
        key=CONTROLS["seed"][0],
        persist_state="session",
        help="Seeds the untrained models' weights, the loss direction u and a trained model's example.",
    )
with input_box:
    st.header("Input")
    if example is not None:
        st.info(f"Not used while trained models are compared: the input is {example.label}.")
    seq = sequence_input(P)

x, x_label = (example.x, example.label) if example is not None else (seq.values, seq.label)
controls = st.columns(3)
with controls[0]:
    if example is not None:
        st.metric("Sequence length T", len(x), help="Set by the trained models' task.")
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
    rho_box = st.container()  # the RNN's σ_max goes under its ρ once the run is known
    if "rnn" not in pair.trained:
        _, _, low, high, step = CONTROLS["rho"]
        rho_box.slider(
            "Spectral radius ρ of the RNN's W_hh",
            low,
            high,
            step=step,
            key=CONTROLS["rho"][0],
            persist_state="session",
            help="ρ, the largest |eigenvalue| of the RNN's recurrent weights, sets the long-run rate of a "
            "linear RNN, not each step: one step can stretch the gradient by up to σ_max, the largest "
            "singular value (shown below), so below 1 it can still grow on some steps. With tanh it grows "
            "for good only where ρ · rms(tanh′) passes 1 (mean-field rule), which takes ρ above 1: see "
            "*Where is the edge?* for this setting. The LSTM keeps PyTorch's initial weights.",
        )
with controls[2]:
    if "lstm" in pair.trained:
        params, Ht = pair.lstm.rnn.params, pair.lstm.rnn.hidden_size
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
trained = tuple(_spec(getattr(pair, arch)) for arch in pair.trained)
marked = example.marked if example is not None else ()
try:
    with st.spinner("Backpropagating…"):
        res = run(x, H, seed, rho, fb, trained)
        fig_norms, fig_forget, fig_dx, notes = figures(x, H, seed, rho, fb, trained, marked)
except ValueError as err:
    st.error(f"Cannot run this setting: {err}")
    st.stop()

T = res.T
rnn_ratio, lstm_ratio = res.rnn.log10_ratio, res.lstm.log10_ratio
task_title = f"{pair.task_name} task" if pair.task_name else ""
intro_box.markdown(intro(res, pair.source, task_title, pair.losses() if len(pair.trained) == 2 else None))
rho_box.caption(singular_value_caption(res))

st.plotly_chart(fig_norms, width="stretch", theme=None, key=P + "norms")
st.caption(norms_caption(res, x_label))
if notes:
    st.caption(" ".join(n[0].upper() + n[1:] for n in notes))

# ---- headline numbers
exploding = regime_word(rnn_ratio) == "exploded"
m = st.columns(4)
for col, name, path in ((m[0], "RNN", res.rnn), (m[1], "LSTM", res.lstm)):
    col.metric(
        f"{name}: gradient reaching t = 0",
        format_log10(path.log10_ratio),
        delta=regime_word(path.log10_ratio),
        delta_color="off",
        delta_arrow="off",
        help=f"‖∂L/∂h₀‖ ÷ ‖∂L/∂h_{T - 1}‖ for the {name}; below 1/100 counts as vanished, above 100 times "
        "as exploded.",
    )
if exploding:  # more is not better here: show that the LSTM's stays bounded, not a ratio to the blow-up
    m[2].metric(
        "LSTM: largest at any t",
        format_log10(float(np.max(res.lstm.log10_dh - res.lstm.log10_dh[-1]))),
        help=f"The LSTM's largest ‖∂L/∂hₜ‖ ÷ ‖∂L/∂h_{T - 1}‖ over all t (beside the RNN's blow-up a ratio "
        "of the two would say nothing useful).",
    )
else:
    m[2].metric(
        "LSTM ÷ RNN at t = 0",
        format_log10(res.log10_lstm_over_rnn),
        help="How many times more gradient reaches t = 0 (‖∂L/∂h₀‖) through the LSTM (below 1: less).",
    )
m[3].metric(
    "RNN factor per step back",
    f"{10**res.rnn.log10_step_factor:.3f}",
    delta=f"mean-field {res.predicted_step_factor:.3f}" if res.prediction_applies else None,
    delta_color="off",
    delta_arrow="off",
    help="Measured: the (T−1)-th root of the ratio at t = 0. Mean-field: ρ × rms tanh′ (random W_hh only).",
)

# ---- why, with this run's numbers
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Why the RNN's gradient vanishes (or explodes)")
    st.markdown(
        r"Going back one step multiplies the gradient by $W_{hh}^\top$ and by the slope of tanh at that step:"
    )
    st.latex(GRADIENT_EQUATIONS["rnn_step"])
    st.latex(GRADIENT_EQUATIONS["rnn_product"])
    st.markdown(
        r"For a random $W_{hh}$, mean-field theory puts the size of each factor at about the spectral radius "
        r"$\rho$ times the root mean square of the tanh slopes:"
    )
    st.latex(GRADIENT_EQUATIONS["rnn_estimate"])
    st.markdown(
        r"with $\mathrm{rms}(\tanh'(a_k))$ the root mean square of $\tanh'(a_k) = 1 - h_k^2$ over the units "
        "at step k. It reads the slopes from the run itself, so it decomposes the measured decay rather than "
        r"forecasting it, and it assumes a random $W_{hh}$, not a trained one. Why not the plain mean: see "
        "*How this is computed* below."
    )
    for text in rnn_readings(res):
        st.markdown(text)
    cheap = len(x) * H * H <= SWEEP_BUDGET
    if res.prediction_applies and (cheap or st.button("Find the edge for this setting (71 runs of the RNN)")):
        edges = sweep(x, H, seed)
        st.markdown(edge_reading(edges))
        st.plotly_chart(figs.edge_sweep(edges, res.spectral_radius), width="stretch", theme=None)
        st.caption(
            "The same $W_{hh}$ rescaled to each ρ, on this input. Factor per step back: the (T−1)-th "
            "root of the gradient reaching t = 0. Above the line at 1 it grows; σ_max is the most one "
            "step can stretch it."
        )

with right:
    st.subheader("How the LSTM's cell state can carry it")
    st.markdown(
        r"The cell state is updated by *addition*, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, so going back "
        "one step along it multiplies the gradient only by the forget gate:"
    )
    st.latex(GRADIENT_EQUATIONS["lstm_step"])
    st.latex(GRADIENT_EQUATIONS["lstm_product"])
    st.caption("The second line is the cell-state path alone, without the route through h.")
    for text in lstm_readings(res):
        st.markdown(text)
    st.markdown(
        r"The RNN's factor $W_{hh}^\top \operatorname{diag}(\tanh')$ has one fixed matrix, only the slopes "
        r"move. Each $f_t$ is a gate computed from the input and $h_{t-1}$: a trained LSTM can learn, per "
        "unit and per step, when to keep its memory (f near 1) and when to let go."
    )
    st.plotly_chart(fig_forget, width="stretch", theme=None, key=P + "forget")
    st.caption(
        f"Running product of the forget gates from step t+1 to {T - 1} (thin lines: single units, "
        f"the first {min(12, res.hidden_size)} of {res.hidden_size}). Dashed: the measured cell-state "
        "gradient, which follows the product where the cell path carries it."
    )

# ---- which inputs still matter
st.subheader("Which inputs can the loss still feel?")
st.markdown(input_reading(res, figs.DX_DECADES))
for text in marked_steps_readings(res, marked):
    st.markdown(text)
st.plotly_chart(fig_dx, width="stretch", theme=None, key=P + "dx")

with st.expander("How this is computed"):
    st.latex(GRADIENT_EQUATIONS["loss"])
    st.markdown(method_notes(res))
