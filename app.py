"""The home page (Streamlit's main script; the other pages are the files in ``pages/``, linked by
:mod:`pages.common.navigation`): what an LSTM is, its equations, the drawn cell, and a guide to the pages.

Paints fast: no torch here (``import lstm_vault`` never imports it), and the only figure is the
symbolic cell, an SVG image built once per server process.
"""

from __future__ import annotations

import streamlit as st

from lstm_vault import explain
from lstm_vault.cells import sigmoid
from lstm_vault.figures.drawing import cell_img
from pages.common.navigation import PAGES, sidebar


@st.cache_resource(show_spinner=False)
def symbolic_cell() -> str:
    """The drawn cell without numbers, as an SVG image: it scales with the column, text included."""
    return cell_img(max_height=420)


def home() -> None:
    """The home page: what an LSTM is, the equations, the drawn cell, a guide to the other pages."""
    st.set_page_config(page_title="lstm_vault: inside an LSTM", page_icon="🔐", layout="wide")
    sidebar()
    st.title("lstm_vault: inside an LSTM, one step at a time")

    f_bias3 = float(sigmoid(3.0))  # the forget gate at b_f = 3 when the rest of its sum is 0
    f_hundred = 0.5 ** (1 / 100)  # the f that halves a memory in exactly 100 steps
    left, right = st.columns([4, 6], gap="large")
    with left:
        st.markdown(
            f"""
    An **LSTM** (long short-term memory) is a recurrent neural network: it reads a sequence one
    step at a time, a word, a sample, a day, and carries what it has seen so far in two vectors.

    - The **cell state** *c* is the long-term memory. It runs through the steps like a **conveyor
      belt**: at each step part of it is erased and something new is added, and nothing else
      touches it. Along the belt, each step scales what it carries (and, in training, the gradient)
      by the forget gate *f*, so both last only while *f* stays near 1: at f = {f_bias3:.2f} (a forget
      bias of 3, when the rest of the gate's sum is 0) they halve
      {explain.fmt_half_life(explain.half_life(f_bias3))}; to last a hundred steps or more, f must stay
      above {explain.fmt_gate(f_hundred)}.
    - The **hidden state** *h* is what the cell shows at each step: its output, and what the next
      step's gates look at.

    Three **gates** decide what happens to the belt. Each is a number between 0 (shut) and 1 (open)
    per memory unit, computed from the current input *xₜ* and the previous hidden state *hₜ₋₁*
    stacked together. From the same two, the cell computes the **candidate** *g*, the new content
    proposed at this step: between −1 and 1, and not a gate.

    - the **forget gate** *f* chooses how much of the old memory to keep;
    - the **input gate** *i* chooses how much of the candidate *g* to write;
    - the **output gate** *o* chooses how much of the memory to show as *h*.
    """
        )
    with right:
        st.html(symbolic_cell())
        st.caption(
            "One LSTM cell. The orange belt along the top is the cell state: multiplied by f (keep), then "
            "i × g is added (write). Below, [hₜ₋₁, xₜ] feeds the three gates and the candidate; on the "
            "right, o × tanh(c) gives the new hidden state."
        )

    st.header("Explore")
    for column, page in zip(st.columns(len(PAGES), gap="large"), PAGES):
        with column, st.container(border=True, height="stretch"):
            st.page_link(
                page.path, label=f"**{page.label}**", icon=page.icon, query_params=page.example or None
            )
            st.caption(page.blurb)

    st.header("The equations")
    eq_left, eq_right = st.columns([5, 6], gap="large")
    with eq_left:
        st.latex(explain.latex_block("lstm"))
        st.latex(explain.CONCAT_NOTE)
        st.latex(explain.SQUASH_NOTE)
    with eq_right:
        st.markdown(
            "\n".join(f"- **{eq.name}** ${eq.symbol}_t$: {eq.meaning}." for eq in explain.EQUATIONS["lstm"])
            + "\n\n⊙ multiplies unit by unit. Each gate, and the candidate, has its own weights W and bias "
            "b (torch keeps two biases, b_ih and b_hh, whose sum is b), learned in training by "
            "backpropagation through time. "
            "The weights act on the stacked vector [hₜ₋₁, xₜ], not on a product of the two."
        )

    with st.expander("Why not a plain RNN? And what is a GRU?"):
        rnn_text, rnn_eq = st.columns([5, 6], gap="large")  # text beside its equations, one arch a row
        with rnn_text:
            st.markdown(
                "A **plain (Elman) RNN** has no gates and no belt: each step rewrites the whole state. "
                "Going backwards in training, the gradient is multiplied at every step by the same "
                "recurrent weights and by the slope of tanh, so over many steps it usually shrinks "
                "towards nothing (the **vanishing gradient**) or, with large weights, blows up. The "
                "LSTM's memory is updated by addition, c = f ⊙ c + i ⊙ g, so along the belt the gradient "
                "is scaled at each step only by f, which a forget bias or training can hold near 1."
            )
        rnn_eq.latex(explain.latex_block("rnn"))
        gru_text, gru_eq = st.columns([5, 6], gap="large")
        with gru_text:
            st.markdown(
                "A **GRU** (Cho et al. 2014) is a lighter cousin: two gates, **reset** r and **update** z, "
                "a candidate n, and no separate cell state; h is its memory. It has three blocks of "
                "weights where the LSTM has four, and Chung et al. (2014) found it comparable to the LSTM "
                "on music and speech modelling. Here, as in PyTorch and in Cho et al. (2014), z is the "
                "share of the old state that is kept: h = (1 − z) ⊙ n + z ⊙ hₜ₋₁. Some texts, Chung et "
                "al. (2014) among them, swap the roles of z and 1 − z, so there z is the share of the new."
            )
        gru_eq.latex(explain.latex_block("gru"))
        st.markdown(
            "Cells are **stacked** (the hidden states of one layer are the inputs of the next) and run "
            "**bidirectionally** (a second cell reads the sequence backwards) for harder tasks. LSTMs are "
            "used for language, speech and handwriting recognition, time-series forecasting, anomaly "
            "detection, recommendation and video."
        )

    with st.expander("Where LSTMs come from, and the other names for the same parts"):
        st.markdown(
            "Networks with memory came before the LSTM. Time-delay networks (TDNN, Waibel et al. 1989) "
            "are feed-forward networks that look at a fixed window of recent inputs: they cannot use "
            "anything older than the window. Elman's recurrent network (1990) feeds its own hidden state "
            "back in, so it has no such window, but trained by gradient descent it rarely learned "
            "dependencies that span many steps: on its way back through time the training signal shrinks "
            "(or grows) geometrically. Hochreiter analysed this vanishing gradient in his 1991 diploma "
            "thesis, and Bengio, Simard and Frasconi (1994) showed why learning long-term dependencies "
            "with gradient descent is difficult. Hochreiter and Schmidhuber's LSTM (1997) added the cell "
            "state, whose additive update lets that signal pass unchanged; their cell had input and output "
            "gates but no forget gate, so its memory was never scaled down. The forget gate came in 2000 "
            "(Gers, Schmidhuber and Cummins), so that a cell can learn to reset its memory. The cell drawn "
            "and computed here is that modern one, as in PyTorch: with a forget gate, and without the "
            "peephole connections (Gers and Schmidhuber 2000) that let the gates look at the cell state."
            "\n\n"
            "Some courses tell the same story with other words. The cell state *c* is the **long-term "
            "memory** and the hidden state *h* the **short-term memory**. The **learn gate** is the input "
            "gate *i* with the candidate *g* (what new to learn), the **forget gate** is *f*, the "
            "**remember gate** is the update cₜ = f ⊙ cₜ₋₁ + i ⊙ g (what is kept plus what is learned), "
            "and the **use gate** is the output gate *o* with tanh(cₜ), which gives the new short-term "
            "memory hₜ and the prediction."
        )


home()
