"""The client-side stepper on its own, for tests/test_browser_stepper.py and benchmarks/bench_stepper.py.

An LSTM with seeded weights reads a noisy sine (``demo_trace``); the address picks the size (``?T=24&H=4``),
the unit (``unit=``), the architecture (``arch=lstm|gru|rnn``) and, with ``evil=1``, input labels made of
markup that must show as text, and with ``pred=1`` a read-out whose classes are named by that markup
(``demo_prediction``), shown beside the cell. A button elsewhere on the page reruns the script, as another
control would.
It imports ``pages.common``, so it runs with the repository root on PYTHONPATH (the test server sets it).
"""

import numpy as np
import streamlit as st

from lstm_vault import GRU, LSTM, RNN, predictions
from lstm_vault.modelfile import SavedModel
from lstm_vault.sequences import make_sequence
from lstm_vault.stepping import step_payload
from pages.common.stepper import stepper

EVIL = ("<script>window.__pwned = 1</script>", '<img src=x onerror="window.__pwned = 1">', "a & b")


def demo_trace(T: int, H: int, arch: str = "lstm"):
    """The demo's layer trace: what the tests compare the page with."""
    x = make_sequence("noisy_sine", T, seed=0).reshape(T, 1, 1)
    model = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[arch](1, H, seed=0)
    return model.forward(x)[2].layers[0][0]


def demo_prediction(T: int, H: int, arch: str = "lstm"):
    """A read-out of three classes named by markup on the demo's model: its predictions at every step,
    the class that "came" at step t being t mod 3."""
    x = make_sequence("noisy_sine", T, seed=0).reshape(T, 1, 1)
    model = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[arch](1, H, seed=0)
    W = np.random.default_rng(1).standard_normal((len(EVIL), H))
    meta = {"encoding": {"type": "symbols", "channels": list(EVIL)}}
    saved = SavedModel(model, W, np.zeros(len(EVIL)), meta)
    return predictions.predict_steps(saved, x, target=np.arange(T) % len(EVIL), example=True)


@st.cache_data(max_entries=4)
def demo_payload(T: int, H: int, arch: str, unit: int, evil: bool, pred: bool = False) -> dict:
    labels = [EVIL[t % len(EVIL)] for t in range(T)] if evil else None
    prediction = demo_prediction(T, H, arch) if pred else None
    return step_payload(
        demo_trace(T, H, arch), unit, x_labels=labels, caption="A **demo** trace.", prediction=prediction
    )


if __name__ == "__main__":
    q = st.query_params
    T, H, unit = int(q.get("T", 24)), int(q.get("H", 4)), int(q.get("unit", 1))
    st.session_state.runs = st.session_state.get("runs", 0) + 1
    st.button("Rerun elsewhere")
    st.write(f"script runs in this session: {st.session_state.runs}")
    evil, pred = q.get("evil") == "1", q.get("pred") == "1"
    stepper(demo_payload(T, H, q.get("arch", "lstm"), unit, evil, pred), key="demo")
