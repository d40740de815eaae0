"""Gate saturation, as Karpathy, Johnson & Fei-Fei (2015, "Visualizing and Understanding Recurrent
Networks", §4.2, "Gate activation statistics") measure it: how often each unit's gates sit near 0 or near 1.

A gate is *left-saturated* at a step when its activation is below ``low`` (0.1 in the paper) and
*right-saturated* when it is above ``high`` (0.9); :func:`saturation` gives, per gate and unit, the
fraction of steps (over time and batch) spent on each side. The paper's saturation plot has one point per
unit (each gate of each cell), one panel per gate, the right-saturated fraction across and the
left-saturated fraction up (its text places the forget gates that are almost always right-saturated at the
bottom right, and would place consistently left-saturated ones at the top left).

Which gates: the sigmoid gates, as in the paper: LSTM i, f, o and GRU r, z. The candidates (LSTM g,
GRU n) are tanh values in (-1, 1), for which "below 0.1" does not mean closed, so they are left out.
A vanilla RNN has no gates: its result is an empty dict.

What the paper showed, and nothing more (:func:`saturation_classes` cites it only where it applies):
forget gates that are often right-saturated belong to cells that remember their values for long
periods, and cells whose forget gates are almost always right-saturated function as nearly perfect
integrators. It found no cell working in a purely feed-forward fashion (its forget gate would be
consistently left-saturated) and no cell consistently revealed to or blocked from the hidden state (an
output gate consistently right- or left-saturated). Its GRU finding is not used: its GRU writes the update
gate the other way round from torch's. The other readings (input gate, GRU gates) follow from the
equations alone. The paper gives no number for "almost always": ``most`` (default 0.9, our choice) is that
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .formatting import fmt

#: the paper's thresholds: a gate is left-saturated below LOW, right-saturated above HIGH
LOW, HIGH = 0.1, 0.9

#: the sigmoid gates whose saturation is measured, per architecture
SATURATION_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ()}

GATE_NAMES = {
    "i": "input gate",
    "f": "forget gate",
    "o": "output gate",
    "r": "reset gate",
    "z": "update gate",
}

# (gate, side) -> what the unit does on a step where its gate is past the threshold, from the equations;
# {high}, {low}: "more than 90%", "less than 10%" written from the thresholds
_MEANING = {
    ("f", "right"): "its cell keeps {high} of its value from one step to the next",
    ("f", "left"): "its cell keeps {low} of its value from one step to the next",
    ("i", "right"): "it writes {high} of its candidate into the cell",
    ("i", "left"): "it writes {low} of its candidate into the cell",
    ("o", "right"): "it shows {high} of tanh(c) in its hidden state",
    ("o", "left"): "it shows {low} of tanh(c) in its hidden state",
    ("z", "right"): "it keeps {high} of its previous state (h = (1 - z) n + z h_prev)",
    ("z", "left"): "it takes {high_of_rest} of its new state from the candidate",
    ("r", "right"): "its candidate sees {high} of W_hn h_prev + b_hn",
    ("r", "left"): "its candidate sees {low} of W_hn h_prev + b_hn: it reads almost only the input",
}
# the paper's own words for such units, where it has them (only for units past ``most`` of the steps)
_PAPER = {
    ("f", "right"): "what Karpathy et al. (2015) call nearly perfect integrators",
    ("f", "left"): "a cell working in a purely feed-forward fashion; Karpathy et al. (2015) found none in "
    "their models",
    ("o", "right"): "a cell always revealed to the hidden state; Karpathy et al. (2015) found none in their "
    "models",
    ("o", "left"): "a cell always blocked from the hidden state; Karpathy et al. (2015) found none in their "
    "models",
}


def saturation(layer_trace, low: float = LOW, high: float = HIGH) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{gate: (left (H,), right (H,))}: per unit, the fraction of steps with the gate < low and > high.

    layer_trace: a :class:`~lstm_vault.trace.LayerTrace` (one layer and direction); fractions are over
    all T steps and B sequences of the batch. Gates are :data:`SATURATION_GATES` for the trace's
    architecture ({} for a vanilla RNN, which has none). Clamped gates count with the values the trace
    recorded.
    """
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    out = {}
    for gate in SATURATION_GATES[layer_trace.arch]:
        act = getattr(layer_trace, gate)  # (T, B, H)
        act = act.reshape(-1, act.shape[-1])
        out[gate] = ((act < low).mean(axis=0), (act > high).mean(axis=0))
    return out


@dataclass(frozen=True)
class SaturationClass:
    """The units whose ``gate`` is saturated on ``side`` on more than ``most`` of the steps.

    meaning: what such a unit does on those steps (from the equations);  paper: the paper's words for
    such units, or None where the paper names none;  sentence: the two joined, ready for a page.
    """

    gate: str
    side: str  # "right" or "left"
    units: tuple[int, ...]
    hidden_size: int
    most: float
    meaning: str
    paper: str | None
    sentence: str


def _share(x: float) -> str:
    return f"{fmt(100 * x, 0)}%"


def saturation_classes(sat, low: float = 0.1, high: float = 0.9, most: float = 0.9) -> list[SaturationClass]:
    """One :class:`SaturationClass` per gate and side of ``sat`` (the result of :func:`saturation` with
    the same ``low`` and ``high``), in the order of ``sat``, right before left; empty units included."""
    if not 0.0 < most < 1.0:
        raise ValueError(f"most must be a fraction in (0, 1), got {most}")
    words = dict(
        high=f"more than {_share(high)}",
        low=f"less than {_share(low)}",
        high_of_rest=f"more than {_share(1 - low)}",
    )
    out = []
    for gate, (left, right) in sat.items():
        H = len(left)
        for side, frac in (("right", right), ("left", left)):
            units = tuple(int(u) for u in np.flatnonzero(frac > most))
            sign = ">" if side == "right" else "<"
            bound = fmt(high if side == "right" else low, 1)
            meaning = _MEANING[(gate, side)].format(**words)
            paper = _PAPER.get((gate, side))
            name = GATE_NAMES[gate]
            if units:
                who = f"{len(units)} of {H} units have" if len(units) > 1 else f"1 of {H} units has"
                sentence = (
                    f"{name.capitalize()}: {who} {gate} {sign} {bound} on more than {_share(most)} of steps:"
                    f" on those steps {meaning}" + (f" ({paper})." if paper else ".")
                )
            else:
                sentence = (
                    f"{name.capitalize()}: no unit has {gate} {sign} {bound} on more than {_share(most)}"
                )
                sentence += " of steps."
            out.append(SaturationClass(gate, side, units, H, most, meaning, paper, sentence))
    return out


def saturation_sentences(sat, low: float = 0.1, high: float = 0.9, most: float = 0.9) -> list[str]:
    """The sentences of :func:`saturation_classes`, one per gate and side, for a page to show as they are."""
    return [c.sentence for c in saturation_classes(sat, low, high, most)]
