"""The palette: one colour and one name per quantity, so a gate looks the same on every page.

Colours are from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), fonts large enough for a projector. No plotly here: the SVG drawing uses it too.
"""

from __future__ import annotations

#: colour of each named quantity; gate names as in lstm_vault.cells.GATES
COLORS = {
    "i": "#009E73",  # input gate: green, "let in"
    "f": "#D55E00",  # forget gate: vermilion
    "g": "#0072B2",  # candidate: blue
    "o": "#CC79A7",  # output gate: purple
    "c": "#E69F00",  # cell state: orange, the conveyor belt
    "h": "#56B4E9",  # hidden state: sky blue
    "x": "#555555",  # input
    "r": "#009E73",  # GRU reset gate
    "z": "#D55E00",  # GRU update gate
    "n": "#0072B2",  # GRU candidate
    "rnn": "#D55E00",
    "lstm": "#0072B2",
    "gru": "#009E73",
    "baseline": "#777777",
}

#: human names for the UI
NAMES = {
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "c": "cell state c",
    "h": "hidden state h",
    "x": "input x",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
}

#: diverging colour scale for signed values (gates in [0, 1] use a sequential one)
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"

FONT_SIZE = 15
