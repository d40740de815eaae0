"""The hand-set LSTM of the Step through page: torch's random initialisation, then a few knobs.

A student sets each gate's bias by hand (the forget gate's to remember, the input gate's to write) and
scales the weights, then watches what the cell does. The settings are a frozen record, so a page can
cache on them and a test can build exactly the model the page shows. Each knob is declared once, in
:data:`KNOBS` (label, bounds, step and a help sentence whose numbers come from the cell's own sigmoid):
the page draws its number boxes from it, and a link's value is checked against it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from . import explain
from .cells import sigmoid
from .models import LSTM
from .sequences import MAX_SEED

#: the hand-set cell's hidden size at most: the timeline draws a row per unit, and people read them
MAX_HAND_SET_UNITS = 64


@dataclass(frozen=True)
class HandSetLSTM:
    """The knobs of a one-input, one-layer LSTM (defaults: torch's cell with b_f = 1, other biases 0)."""

    H: int = 8  # hidden units
    seed: int = 0  # seeds torch's initial weights
    bf: float = 1.0  # forget-gate bias b_f (b_ih + b_hh of the f block)
    bi: float = 0.0  # input-gate bias b_i
    bo: float = 0.0  # output-gate bias b_o
    bg: float = 0.0  # candidate bias b_g: 0, so a zero input writes nothing
    scale: float = 1.0  # multiplies every weight (not the biases)
    hh: float = 1.0  # multiplies the recurrent weights W_h· once more (0 cuts h_{t-1} out)

    def build(self) -> LSTM:
        """The LSTM: weights times ``scale`` (recurrent ones times ``scale * hh``), then each gate's
        total bias set to its knob (``bias_ih`` = knob, ``bias_hh`` = 0)."""
        model = LSTM(1, self.H, seed=self.seed)
        params = {name: p.copy() for name, p in model.params.items()}
        params["weight_ih_l0"] *= self.scale
        params["weight_hh_l0"] *= self.scale * self.hh
        model = model.load_params(params)
        return model.with_gate_biases({"f": self.bf, "i": self.bi, "o": self.bo, "g": self.bg})

    def trace(self, x, clamps=None):
        """The :class:`~lstm_vault.trace.LayerTrace` of this cell reading x (T,), batch of one (with clamps:
        GateClamp / UnitAblation records, as :meth:`~lstm_vault.models.Recurrent.forward` takes them)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1, 1)
        return self.build().forward(x, clamps=clamps)[2].layers[0][0]

    def describe(self) -> str:
        """The settings for a caption: "hand-set LSTM, H = 4, b_f = 4, ..., weights ×3"."""
        text = (
            f"hand-set LSTM, H = {self.H}, b_f = {self.bf:g}, b_i = {self.bi:g}, b_o = {self.bo:g}, "
            f"b_g = {self.bg:g}, weights ×{self.scale:g}"
        )
        return text + (f", recurrent weights ×{self.scale * self.hh:g}" if self.hh != 1 else "")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Knob:
    """One setting of :class:`HandSetLSTM` as a page shows it: a number box, and a link parameter."""

    name: str  # the HandSetLSTM field, and the link parameter (?bf=3)
    label: str  # the number box's label
    low: int | float
    high: int | float
    step: int | float  # the + and - buttons' step
    help: str  # what the knob does, with numbers computed from the cell

    @property
    def default(self) -> int | float:
        return {f.name: f.default for f in fields(HandSetLSTM)}[self.name]

    @property
    def whole(self) -> bool:
        """True for a count (H, seed): the value is an int."""
        return isinstance(self.default, int)

    def parse(self, text: str) -> int | float:
        """A link's text as this knob's value, or ValueError."""
        value = float(text)  # ValueError for text that is not a number
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise ValueError(text)
        if self.whole:
            if value != int(value):
                raise ValueError(text)
            return int(value)
        return value

    def link_text(self, value: int | float) -> str | None:
        """``value`` as a link carries it ("16", "2.5"), or None at the default: a clean address."""
        if value == self.default:
            return None
        return str(int(value)) if self.whole else repr(float(value))

    def link_warning(self, text: str, shown: int | float) -> str | None:
        """What to tell a person whose link gave this knob ``text`` (None when it is a valid value); ``shown``
        is the value the page uses instead."""
        try:
            self.parse(text)
        except ValueError:
            whole = "a whole number " if self.whole else ""
            return (
                f"link parameter {self.name}={text!r} ignored: {self.label} must be {whole}from "
                f"{_num(self.low)} to {_num(self.high)}; using {_num(shown)}"
            )
        return None


def _num(value: float) -> str:
    return f"{value:,g}".replace("-", "\u2212") if abs(value) < 1e6 else f"{value:,.0f}"


_SIG = {b: float(sigmoid(b)) for b in (3.0, 1.0, 0.0, -1.0)}  # σ(b): a gate whose weighted sum is 0
_SETTLED = _SIG[0.0] * math.tanh(1.0) / (1 - _SIG[1.0])  # c = i·g / (1 - f) at b_f = 1, b_i = 0, b_g = 1

_FORGET_HELP = (
    "Added inside the forget gate's sigmoid, f = σ(weights · [hₜ₋₁, xₜ] + b_f). Where the weighted sum is 0, "
    f"b_f = 3 gives f = {_SIG[3.0]:.2f}: a memory halves "
    f"{explain.fmt_half_life(explain.half_life(_SIG[3.0]))}. "
    f"b_f = 0 gives {_SIG[0.0]:.2f}: it halves at every step. b_f = −1 gives {_SIG[-1.0]:.2f}: the memory "
    f"fades fast, but each step still keeps {explain.pct(_SIG[-1.0])} of it; no finite bias wipes it at once."
)
_CANDIDATE_HELP = (
    "Added inside the candidate's tanh: a nonzero b_g makes g nonzero even where the input is 0, so i·g is "
    "written at every step. While f < 1 the memory does not drift away: with steady gates it settles where "
    "the forget gate takes away what is written, c = i·g / (1 − f) (with a weighted sum of 0, b_f = 1, "
    f"b_i = 0 and b_g = 1: c = {_SETTLED:.2f})."
)
_RECURRENT_HELP = (
    "Multiplies the recurrent weights W_h· once more. 0 cuts hₜ₋₁ out of the gates and the candidate: they "
    "then see only the input and their biases, so where the input is 0 (and b_g = 0) nothing is written, "
    "and you can watch the forget gate alone decide how long the memory lasts."
)
_BIAS = {"low": -8.0, "high": 8.0, "step": 0.25}
_SCALE = {"low": 0.0, "high": 10.0, "step": 0.25}

#: every knob of the hand-set cell, by name, in the order a page shows them
KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob(
            "H",
            "Hidden size H (units)",
            low=1,
            high=MAX_HAND_SET_UNITS,
            step=1,
            help="Memory units in the cell: the length of the vectors c and h.",
        ),
        Knob(
            "seed",
            "Weight seed",
            low=0,
            high=MAX_SEED,
            step=1,
            help="Seeds the random initial weights, drawn as torch draws them (uniform within ±1/√H): "
            "another seed, another cell.",
        ),
        Knob("bf", "Forget-gate bias b_f", **_BIAS, help=_FORGET_HELP),
        Knob(
            "bi",
            "Input-gate bias b_i",
            **_BIAS,
            help="Added inside the input gate's sigmoid: how readily new content is written into the memory.",
        ),
        Knob(
            "bo",
            "Output-gate bias b_o",
            **_BIAS,
            help="Added inside the output gate's sigmoid: how much of the memory shows in h.",
        ),
        Knob("bg", "Candidate bias b_g", **_BIAS, help=_CANDIDATE_HELP),
        Knob(
            "scale",
            "Weight scale",
            **_SCALE,
            help="Multiplies every weight (not the biases). 0: the gates see only their biases; large: the "
            "weighted sums grow and push the gates towards 0 or 1.",
        ),
        Knob("hh", "Recurrent weight scale", **_SCALE, help=_RECURRENT_HELP),
    )
}
