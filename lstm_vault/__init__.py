"""lstm_vault: a transparent LSTM, step by step.

The NumPy reference (this package's top level) imports neither torch nor streamlit::

    from lstm_vault import LSTM, RNN, GRU, gradcheck
    model = LSTM(input_size=1, hidden_size=8, seed=0)
    output, (h_n, c_n), trace = model.forward(x)      # torch's shapes; trace holds every gate
    grads = model.backward(trace, d_output)           # backpropagation through time by hand

The torch backend for training lives in :mod:`lstm_vault.torch_backend` and
:mod:`lstm_vault.training`, imported only when needed.
"""

from .cells import GATES, GRU_GATES, LSTM_GATES
from .gradcheck import GradcheckReport, gradcheck
from .models import ARCHS, GRU, LSTM, RNN, Recurrent, make_model
from .trace import GateClamp, Gradients, LayerGradients, LayerTrace, Trace, UnitAblation

__all__ = [
    "ARCHS",
    "GATES",
    "GRU",
    "GRU_GATES",
    "LSTM",
    "LSTM_GATES",
    "RNN",
    "GateClamp",
    "GradcheckReport",
    "Gradients",
    "LayerGradients",
    "LayerTrace",
    "Recurrent",
    "Trace",
    "UnitAblation",
    "gradcheck",
    "make_model",
]
