"""lstm_vault.generate: the same seed writes the same text, a low temperature approaches argmax, the
written text is what the model's own forward pass predicts, unknown prompt characters are named."""

from pathlib import Path

import numpy as np
import pytest

from lstm_vault import LSTM, modelfile
from lstm_vault.generate import (
    MAX_LENGTH,
    describe_character,
    generate,
    one_hot,
    probabilities,
    unknown_characters,
    vocabulary,
)

SONNETS = Path(__file__).resolve().parents[1] / "assets" / "models" / "text_lstm.npz"
VOCAB = "\n abcde'<>"


def tiny_model(seed: int = 0, scale: float = 2.0) -> modelfile.SavedModel:
    """A random character LSTM over VOCAB, its read-out strong enough that the distribution is not flat."""
    rng = np.random.default_rng(seed)
    V, H = len(VOCAB), 6
    rnn = LSTM(V, H, seed=seed)
    meta = {"encoding": {"type": "chars", "vocab": VOCAB}, "task": "text"}
    return modelfile.SavedModel(rnn, scale * rng.standard_normal((V, H)), rng.standard_normal(V), meta)


def greedy(saved, prompt: str, length: int) -> str:
    """Argmax decoding, written here with the model's forward pass over the whole text at every step."""
    vocab, text = vocabulary(saved), prompt
    for _ in range(length):
        y, _ = saved.predict(one_hot(text, vocab))
        text += vocab[int(np.argmax(y[-1, 0]))]
    return text[len(prompt) :]


def test_the_same_seed_writes_the_same_text_and_another_seed_another():
    saved = tiny_model()
    a = generate(saved, "abc", length=80, temperature=1.0, seed=3)
    b = generate(saved, "abc", length=80, temperature=1.0, seed=3)
    c = generate(saved, "abc", length=80, temperature=1.0, seed=4)
    assert a == b and len(a.text) == 80 and set(a.text) <= set(VOCAB)
    assert a.text != c.text


def test_a_temperature_near_zero_writes_the_argmax_text():
    saved = tiny_model()
    cold = generate(saved, "ab", length=40, temperature=1e-4, seed=0)
    assert cold.text == greedy(saved, "ab", 40)
    assert cold.argmax_share == 1.0
    # as the temperature falls, more of the written characters are the most likely one
    shares = [generate(saved, "ab", length=400, temperature=t, seed=1).argmax_share for t in (2.0, 1.0, 0.3)]
    assert shares[0] < shares[1] < shares[2]


def test_each_character_is_sampled_from_the_softmax_of_the_models_own_prediction():
    """Replays the sampler with the forward pass over the full text: the stepped state equals it."""
    saved = tiny_model(seed=2)
    gen = generate(saved, "a'b", length=30, temperature=0.7, seed=5)
    vocab = vocabulary(saved)
    y, _ = saved.predict(one_hot(gen.full, vocab))  # (T, 1, V): the prediction after each character
    rng = np.random.default_rng(5)
    start = len(gen.used_prompt) - 1
    for k, ch in enumerate(gen.text):
        p = probabilities(y[start + k, 0], 0.7)
        want = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
        assert vocab[want] == ch


def test_unknown_prompt_characters_are_left_out_and_named():
    saved = tiny_model()
    gen = generate(saved, "aé<b😀é", length=5, seed=0)
    assert gen.unknown == ("é", "😀") and gen.used_prompt == "a<b"
    message = gen.unknown_message()
    assert "2 characters of the prompt were left out" in message
    assert describe_character("é") in message and "U+1F600" in message
    assert generate(saved, "ab", length=5).unknown_message() is None
    assert unknown_characters("x\ta", VOCAB) == ("x", "\t")
    assert describe_character("\t") == "U+0009 a control character"
    with pytest.raises(ValueError, match="no character the model knows"):
        generate(saved, "xyz", length=5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"length": 0}, "from 1 to 2000"),
        ({"length": MAX_LENGTH + 1}, "from 1 to 2000"),
        ({"temperature": 0.0}, "above 0"),
        ({"temperature": float("nan")}, "above 0"),
        ({"temperature": 2.5}, "at most 2"),
        ({"temperature": "hot"}, "must be a number"),
        ({"seed": -1}, "seed must be"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(tiny_model(), "ab", **{"length": 10, **kwargs})


def test_a_model_that_is_not_a_character_model_is_refused():
    saved = tiny_model()
    series = modelfile.SavedModel(
        saved.rnn, saved.readout_weight, saved.readout_bias, {"encoding": {"type": "real"}}
    )
    with pytest.raises(ValueError, match="not a character model"):
        generate(series, "ab")


def test_the_shipped_sonnets_model_writes_from_its_vocabulary():
    saved = modelfile.load(SONNETS)
    gen = generate(saved, "Shall I compare thee", length=200, temperature=0.5, seed=0)
    assert len(gen.text) == 200 and set(gen.text) <= set(vocabulary(saved))
    assert gen == generate(saved, "Shall I compare thee", length=200, temperature=0.5, seed=0)
