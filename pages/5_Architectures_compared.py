"""LSTM, GRU and RNN compared: the same input through an LSTM, a GRU, a vanilla RNN, a stacked and a
bidirectional LSTM (random, or the models the Train page trained together), under one timestep control.

Layout and wiring only: widgets -> ``lstm_vault.compare`` (models, traces, parameter counts, gradient curves,
the sentences) -> ``lstm_vault.figures`` (``compare.gradient_curves``, the drawings in ``drawing`` and
``stack``). Stepping through time happens in the browser (``pages.common.compare_stepper``): no script run
per step. Every widget carries its own link parameter (``bind="query-params"``), named ``cmp_...`` since a
widget's key is its parameter's name and other pages have their own ``T``, ``H``, ``unit`` and ``layers``.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from lstm_vault import compare
from lstm_vault.figures.compare import gradient_curves
from lstm_vault.sequences import PRESETS, make_sequence, preset_label
from pages.common.compare_stepper import compare_stepper
from pages.common.navigation import sidebar
from pages.common.session import last_run_models

MODELS = {  # the choice, as the link writes it, and what it means
    "random": "untrained, the same H and seed",
    "trained": "the Train page's last run, on one held-out example of its task",
}
LENGTHS = (5, 200)


@st.cache_data(max_entries=8, show_spinner=False)
def random_comparison(preset: str, T: int, H: int, seed: int, layers: int):
    x = make_sequence(preset, T, seed=seed)
    return x[:, None], preset_label(preset, x, seed), compare.compare_random(x, H, seed, layers)


@st.cache_data(max_entries=8, show_spinner=False)
def payload(_entries, key: tuple, unit: int, _labels: list[str]) -> dict:
    return compare.step_payload(_entries, unit, _labels)


st.set_page_config(page_title="LSTM, GRU and RNN compared · lstm_vault", page_icon="🔀", layout="wide")
sidebar()
st.title("LSTM, GRU and RNN compared")
st.markdown(
    "One input sequence through five recurrent models of the same hidden size H: an **LSTM**, a **GRU**, a "
    "**vanilla RNN**, a **stacked LSTM** (layers on top of each other) and a **bidirectional LSTM** (one "
    "direction reads forwards, one backwards). Step through time once for all of them, compare what each "
    "learns (its parameters) and how much of a loss at the last step reaches each earlier step."
)

trained = last_run_models()
usable = len(trained) >= 2
controls = st.columns([2, 2, 1, 1, 1, 1, 1])
source = "random"
if usable:
    source = controls[0].radio(
        "Models", list(MODELS), captions=list(MODELS.values()), key="cmp_models", bind="query-params",
    )  # fmt: skip
else:
    controls[0].caption(
        "Models: random (untrained). Train two or more architectures together on the Train page to compare "
        "the trained models here."
    )

if source == "random":
    preset = controls[1].selectbox(
        "Input", list(PRESETS), format_func=lambda n: PRESETS[n].title, index=list(PRESETS).index("sine"),
        key="cmp_preset", bind="query-params",
    )  # fmt: skip
    T = controls[2].number_input("Length T", *LENGTHS, value=60, key="cmp_T", bind="query-params")
    H = controls[3].number_input(
        "Hidden size H", 1, compare.MAX_HIDDEN, value=8, key="cmp_H", bind="query-params"
    )
    seed = controls[4].number_input("Seed", 0, 2**31 - 1, value=0, key="cmp_seed", bind="query-params")
    layers = controls[5].selectbox(
        "Stacked layers", compare.LAYER_CHOICES, key="cmp_layers", bind="query-params",
    )  # fmt: skip
    x, caption, entries = random_comparison(preset, int(T), int(H), int(seed), int(layers))
    key = ("random", preset, int(T), int(H), int(seed), int(layers))
    labels = compare.input_labels(x)
else:
    try:
        x, caption, entries = compare.compare_trained(trained)
    except ValueError as error:
        st.error(f"The trained models cannot be compared: {error}")
        st.stop()
    encoding = next(iter(trained.values())).meta.get("encoding")
    labels = compare.input_labels(x, encoding)
    # the payload's cache key: what the models did on this example (an id() could be reused by a new model)
    key = ("trained", *(hashlib.blake2b(e.trace.output.tobytes()).hexdigest() for e in entries))

H_min = min(e.model.hidden_size for e in entries)
unit = controls[6].number_input(
    "Unit drawn", 0, H_min - 1, value=0, key="cmp_unit", bind="query-params",
    help="the same unit of every model (all have at least this many units)",
)  # fmt: skip
st.caption(f"Input: {caption}.")
st.subheader("Step through time: every model at step t")
st.caption(
    "The slider, the buttons and the arrow keys move all models together, in your browser. The stacked "
    "LSTM feeds each layer's h up as the next layer's input x; the bidirectional LSTM's output at t is its "
    "forward h and its backward h side by side (shown for its first layer). Above each drawing: the model's "
    "‖∂L/∂hₜ‖ at step t, its point on the gradient plot below."
)
compare_stepper(payload(entries, key, int(unit), labels), key="lv_compare_step")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("How much of the last step's gradient reaches step t")
    st.plotly_chart(gradient_curves(entries), width="stretch", key="lv_compare_gradients")
    st.caption(
        "L = u · y at the last step, u a unit vector (random models: drawn from the seed; trained: the "
        "direction of the read-out's prediction). ‖∂L/∂hₜ‖ over every layer and direction, from the "
        "library's backward pass (log-safe)."
    )
    reading = compare.gradient_reading(entries)
    if reading:
        st.markdown(reading)
with right:
    st.subheader("Parameters")
    rows = [  # fmt: skip
        {
            "model": e.title,
            "formula": e.formula.symbols,
            "with its sizes": e.formula.numbers,
            "count": e.params,
        }
        for e in entries
    ]
    st.dataframe(rows, hide_index=True, width="stretch", key="lv_compare_params")
    st.caption(
        "Per layer and direction, as torch stores it: G blocks (LSTM 4, GRU 3, RNN 1) of an input weight "
        "H × I, a recurrent weight H × H and two biases of H (bias_ih and bias_hh). Above the first layer "
        "the input is the layer below's h (2H when bidirectional); a bidirectional model has it all twice."
    )
    st.markdown(compare.params_reading(entries))
