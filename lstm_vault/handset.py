"""The hand-set LSTM of the Step through page: torch's random initialisation, then a few knobs.

A student sets each gate's bias by hand (the forget gate's to remember, the input gate's to write) and
scales the weights, then watches what the cell does. The settings are a frozen record, so a page can
cache on them and a test can build exactly the model the page shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .models import LSTM


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

    def as_dict(self) -> dict:
        return asdict(self)
