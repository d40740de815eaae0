"""A character model writes text: read a prompt, then sample one character at a time from the read-out.

The NumPy reference does the work (:meth:`lstm_vault.models.Recurrent.step`, one step at a time, the state
carried explicitly), so what a page then colours is the same model the other pages inspect::

    gen = generate(saved, "def ", length=200, temperature=0.8, seed=0)
    gen.text                 # the 200 characters written
    gen.unknown              # prompt characters outside the vocabulary, left out (in order of appearance)
    gen.full                 # what the model read: the known prompt characters, then what it wrote

Sampling: p = softmax(logits / temperature); a lower temperature sharpens p towards the most likely
character (at temperature -> 0 sampling becomes argmax), a higher one flattens it. Randomness comes from
``numpy.random.default_rng(seed)`` alone: the same model, prompt, temperature and seed write the same text.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np

#: the longest text one call writes
MAX_LENGTH = 2000
#: the temperatures a page offers (the library takes any temperature in (0, TEMPERATURE_RANGE[1]])
TEMPERATURE_RANGE = (0.1, 2.0)


def vocabulary(saved) -> str:
    """The characters a text model reads and writes, in its one-hot order (ValueError if it is not one)."""
    encoding = saved.meta.get("encoding") or {}
    vocab = encoding.get("vocab") if encoding.get("type") == "chars" else None
    if not isinstance(vocab, str) or not vocab:
        raise ValueError("this model is not a character model (its file names no character vocabulary)")
    if saved.rnn.input_size != len(vocab) or saved.readout_weight.shape[0] != len(vocab):
        raise ValueError(
            f"the model reads {saved.rnn.input_size} and predicts {saved.readout_weight.shape[0]} values per "
            f"step, its vocabulary has {len(vocab)} characters"
        )
    if saved.rnn.bidirectional:
        raise ValueError("a bidirectional model cannot write text: its reverse direction needs the future")
    return vocab


def unknown_characters(text: str, vocab: str) -> tuple[str, ...]:
    """The distinct characters of ``text`` that are not in ``vocab``, in order of first appearance."""
    known = set(vocab)
    return tuple(dict.fromkeys(ch for ch in text if ch not in known))


def describe_character(ch: str) -> str:
    """A character by code point and Unicode name, e.g. ``U+00E9 LATIN SMALL LETTER E WITH ACUTE``: safe to
    print anywhere (no markup, no control characters)."""
    name = unicodedata.name(ch, "") or ("a control character" if unicodedata.category(ch) == "Cc" else "")
    return f"U+{ord(ch):04X} {name}".rstrip()


def one_hot(text: str, vocab: str) -> np.ndarray:
    """(T, 1, V) float64 one-hot rows of ``text`` (every character must be in ``vocab``)."""
    lookup = {ch: k for k, ch in enumerate(vocab)}
    x = np.zeros((len(text), 1, len(vocab)))
    x[np.arange(len(text)), 0, [lookup[ch] for ch in text]] = 1.0
    return x


def probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature), computed stably (the largest logit subtracted first)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


@dataclass(frozen=True)
class Generation:
    """What :func:`generate` wrote, and what it did with the prompt."""

    prompt: str  # as typed
    used_prompt: str  # the prompt's known characters, which the model read
    unknown: tuple[str, ...]  # the prompt's distinct characters outside the vocabulary, left out
    text: str  # the characters the model wrote
    temperature: float
    seed: int
    argmax_share: float  # the fraction of written characters that were the most likely one at their step

    @property
    def full(self) -> str:
        """Everything the model read, in order: the known prompt, then its own text."""
        return self.used_prompt + self.text

    def unknown_message(self) -> str | None:
        """A sentence naming the prompt's unknown characters (None when there are none)."""
        if not self.unknown:
            return None
        names = ", ".join(describe_character(ch) for ch in self.unknown)
        n = len(self.unknown)
        return (
            f"The model's vocabulary has no {'such character' if n == 1 else 'such characters'}: "
            f"{n} character{'s' if n > 1 else ''} of the prompt {'were' if n > 1 else 'was'} left out"
            f" ({names})."
        )


def _check(length, temperature, seed) -> tuple[int, float, int]:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 1 <= length <= MAX_LENGTH:
        raise ValueError(
            f"length must be a whole number of characters from 1 to {MAX_LENGTH}, got {length!r}"
        )
    try:
        temperature = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"temperature must be a number, got {temperature!r}") from None
    if not (math.isfinite(temperature) and 0.0 < temperature <= TEMPERATURE_RANGE[1]):
        raise ValueError(
            f"temperature must be above 0 and at most {TEMPERATURE_RANGE[1]:g}, got {temperature}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(length), temperature, int(seed)


def generate(saved, prompt: str, length: int = 200, temperature: float = 1.0, seed: int = 0) -> Generation:
    """Read ``prompt`` from a zero state, then write ``length`` characters, each sampled from
    softmax(readout(h_t) / temperature) with ``numpy.random.default_rng(seed)`` and fed back as the next
    input.

    saved: a :class:`lstm_vault.modelfile.SavedModel` of a text task (a character vocabulary in its
    metadata). Prompt characters outside the vocabulary are left out and listed in ``unknown``; a prompt
    with no known character is refused (ValueError), since the model needs something to read first.
    """
    if not isinstance(prompt, str):
        raise ValueError(f"the prompt must be text, got {type(prompt).__name__}")
    length, temperature, seed = _check(length, temperature, seed)
    vocab = vocabulary(saved)
    unknown = unknown_characters(prompt, vocab)
    used = "".join(ch for ch in prompt if ch not in set(unknown))
    if not used:
        raise ValueError("the prompt has no character the model knows: type at least one it can read")
    rnn, W, b = saved.rnn, saved.readout_weight, saved.readout_bias
    rng = np.random.default_rng(seed)
    eye = np.eye(len(vocab))
    state = None
    for ch in used:
        out, state = rnn.step(eye[vocab.index(ch)], state)
    written, top = [], 0
    for _ in range(length):
        p = probabilities(W @ out + b, temperature)
        # inverse CDF: one uniform number a character, so the seed fixes the text
        k = min(int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right")), len(vocab) - 1)
        top += int(k == int(np.argmax(p)))
        written.append(vocab[k])
        out, state = rnn.step(eye[k], state)
    return Generation(prompt, used, unknown, "".join(written), temperature, seed, top / length)
