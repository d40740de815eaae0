"""Input sequences to feed a model by hand: a registry of presets, each a pure function.

``make_sequence(name, length, seed, **params)`` returns a ``(T,)`` float64 array; the same
arguments always give the same array (randomness only from ``seed``). Each preset shows one
thing about memory:

- ``impulse``: a single spike; watch how long the cell state holds on to it.
- ``step``: the input switches on and stays on; the gates settle to a new regime.
- ``sine`` / ``noisy_sine``: a smooth periodic signal, clean or with noise.
- ``square``: a periodic signal that jumps, so the gates react in bursts.
- ``counting``: 1, 2, ..., 10, the classic "predict the next number" example (10 long unless
  a length is asked for).
- ``noise``: white Gaussian noise, nothing to remember.

Lengths run from 1 to :data:`MAX_LENGTH`; anything else is a ``ValueError`` that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAX_LENGTH = 2000  # longest preset sequence; the step-through page indexes a trace this long


@dataclass(frozen=True)
class Preset:
    """One input preset: ``build(length, rng, **params) -> (T,)`` plus its text for the UI."""

    name: str  # registry key, also the ?preset= value in a shared link
    title: str  # short label for a select box
    description: str  # one sentence: what to look for when this is the input
    build: Callable[..., np.ndarray]
    default_length: int  # what the page proposes when this preset is picked
    params: dict = field(default_factory=dict)  # option -> default value
    random: bool = False  # True when the seed changes the sequence


def _impulse(T: int, rng, at: int | None = None, height: float = 1.0) -> np.ndarray:
    x = np.zeros(T)
    x[min(T // 10 if at is None else int(at), T - 1)] = height
    return x


def _step(T: int, rng, at: int | None = None, height: float = 1.0) -> np.ndarray:
    x = np.zeros(T)
    x[min(T // 4 if at is None else int(at), T - 1) :] = height
    return x


def _sine(T: int, rng, period: float = 25.0, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * np.arange(T) / period)


def _noisy_sine(T: int, rng, period: float = 25.0, amplitude: float = 1.0, noise: float = 0.25) -> np.ndarray:
    return _sine(T, rng, period, amplitude) + noise * rng.standard_normal(T)


def _square(T: int, rng, period: float = 25.0, amplitude: float = 1.0) -> np.ndarray:
    phase = np.arange(T) % period
    return np.where(phase < period / 2, amplitude, -amplitude).astype(np.float64)


def _counting(T: int, rng, start: float = 1.0, scale: float = 1.0) -> np.ndarray:
    return scale * (start + np.arange(T, dtype=np.float64))


def _noise(T: int, rng, sd: float = 1.0) -> np.ndarray:
    return sd * rng.standard_normal(T)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "impulse",
            "Impulse (one spike)",
            "A single 1 among zeros: does the cell state hold on to it, and for how long?",
            _impulse,
            60,
            {"at": None, "height": 1.0},
        ),
        Preset(
            "step",
            "Step (switch on)",
            "Zero, then one for good: watch the gates settle into a new regime.",
            _step,
            60,
            {"at": None, "height": 1.0},
        ),
        Preset(
            "sine",
            "Sine wave",
            "A smooth wave with a period of 25 steps: the gates open and close with it.",
            _sine,
            100,
            {"period": 25.0, "amplitude": 1.0},
        ),
        Preset(
            "noisy_sine",
            "Noisy sine wave",
            "The same wave with Gaussian noise added: what gets through the gates?",
            _noisy_sine,
            100,
            {"period": 25.0, "amplitude": 1.0, "noise": 0.25},
            random=True,
        ),
        Preset(
            "square",
            "Square wave",
            "Jumps between +1 and -1 every half period: the gates react in bursts.",
            _square,
            100,
            {"period": 25.0, "amplitude": 1.0},
        ),
        Preset(
            "counting",
            "Counting 1 to 10",
            "1, 2, ..., 10, the classic 'predict the next number' example; large inputs saturate the gates.",
            _counting,
            10,
            {"start": 1.0, "scale": 1.0},
        ),
        Preset(
            "noise",
            "Random noise",
            "White Gaussian noise: nothing in it is worth remembering.",
            _noise,
            100,
            {"sd": 1.0},
            random=True,
        ),
    )
}


def preset_names() -> list[str]:
    """Registry names in display order."""
    return list(PRESETS)


def check_length(length) -> int:
    """``length`` as an int in [1, MAX_LENGTH], or a ValueError saying what is allowed."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise ValueError(f"the length must be a whole number from 1 to {MAX_LENGTH}, got {length!r}")
    if not 1 <= length <= MAX_LENGTH:
        raise ValueError(f"the length must be from 1 to {MAX_LENGTH}, got {length}")
    return int(length)


def make_sequence(name: str, length: int | None = None, seed: int = 0, **params) -> np.ndarray:
    """The preset ``name`` as a (T,) float64 array; ``length=None`` uses the preset's default.

    ``params`` override the preset's options (e.g. ``period=10`` for a sine); unknown names,
    unknown options and lengths outside [1, MAX_LENGTH] raise ValueError.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    T = check_length(preset.default_length if length is None else length)
    unknown = sorted(set(params) - set(preset.params))
    if unknown:
        raise ValueError(
            f"preset {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(preset.params) or 'none'}"
        )
    for key, value in params.items():
        if value is not None and not np.isfinite(value):
            raise ValueError(f"option {key} of preset {name!r} must be a finite number, got {value!r}")
    if "period" in params and params["period"] <= 0:
        raise ValueError(f"the period must be positive, got {params['period']!r}")
    rng = np.random.default_rng(seed)
    x = np.asarray(preset.build(T, rng, **{**preset.params, **params}), dtype=np.float64)
    assert x.shape == (T,), (name, x.shape)
    return x
