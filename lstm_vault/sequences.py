"""Input sequences to feed a model by hand: a registry of presets, each a pure function.

``make_sequence(name, length, seed, **params)`` returns a ``(T,)`` float64 array; the same
arguments always give the same array (randomness only from ``seed``). Each preset shows one
thing about memory:

- ``impulse``: a single spike; watch how long the cell state holds on to it.
- ``step``: the input switches on and stays on; the gates settle to a new regime.
- ``sine`` / ``noisy_sine``: a smooth periodic signal, clean or with noise.
- ``square``: a periodic signal that jumps, so the gates react in bursts.
- ``counting``: 1, 2, 3, ..., one more each step, the classic "predict the next number" example
  (1 to 10 unless a length is asked for).
- ``noise``: white Gaussian noise, nothing to remember.

Lengths run from 1 to :data:`MAX_LENGTH`; anything else is a ``ValueError`` that says so.
:func:`preset_label` says what a made sequence is ("Counting 1 to 2,000, T = 2000"), read from its values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAX_LENGTH = 2000  # longest preset sequence; the step-through page indexes a trace this long
MAX_SEED = 2**31 - 1  # largest seed a page offers (what torch's manual_seed and NumPy both take)


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
    # (x, options) -> what this particular sequence is, e.g. "a 1 at t = 6" (x: (T,), the made sequence)
    detail: Callable[[np.ndarray, dict], str] = lambda x, options: ""


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


PERIOD = 25.0  # the waves' period in steps
NOISE_SD = 0.25  # the noisy sine's noise


def _num(value: float) -> str:
    """A value for a label: "2,000", "0.25", "−1" (a real minus sign)."""
    value = float(value)
    text = f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    return text.replace("-", "\u2212")


def _spike(x: np.ndarray, options: dict) -> str:
    at = np.flatnonzero(x)
    return f"{_num(x[at[0]])} at t = {at[0]}, 0 elsewhere" if at.size else "all 0"


def _switch(x: np.ndarray, options: dict) -> str:
    at = np.flatnonzero(x)
    if not at.size:
        return "all 0"
    return f"{_num(x[0])} at every step" if at[0] == 0 else f"0, then {_num(x[at[0]])} from t = {at[0]} on"


def _wave(x: np.ndarray, options: dict) -> str:
    return f"period {_num(options['period'])}, amplitude {_num(options['amplitude'])}"


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
            detail=_spike,
        ),
        Preset(
            "step",
            "Step (switch on)",
            "Zero, then one for good: watch the gates settle into a new regime.",
            _step,
            60,
            {"at": None, "height": 1.0},
            detail=_switch,
        ),
        Preset(
            "sine",
            "Sine wave",
            f"A smooth wave with a period of {PERIOD:g} steps: the gates open and close with it.",
            _sine,
            100,
            {"period": PERIOD, "amplitude": 1.0},
            detail=_wave,
        ),
        Preset(
            "noisy_sine",
            "Noisy sine wave",
            f"The same wave plus Gaussian noise (standard deviation {NOISE_SD:g}): what gets through the "
            "gates?",
            _noisy_sine,
            100,
            {"period": PERIOD, "amplitude": 1.0, "noise": NOISE_SD},
            random=True,
            detail=lambda x, o: f"{_wave(x, o)}, noise sd {_num(o['noise'])}",
        ),
        Preset(
            "square",
            "Square wave",
            f"Jumps between +1 and \u22121 every {PERIOD / 2:g} steps (half a period): the gates react in "
            "bursts.",
            _square,
            100,
            {"period": PERIOD, "amplitude": 1.0},
            detail=_wave,
        ),
        Preset(
            "counting",
            "Counting (1, 2, 3, ...)",
            "1, 2, 3, ..., one more at each step, the classic 'predict the next number' example. "
            "Numbers past about 10 push the gates towards 0 or 1 unless standardised.",
            _counting,
            10,
            {"start": 1.0, "scale": 1.0},
            detail=lambda x, o: _num(x[0]) if len(x) == 1 else f"{_num(x[0])} to {_num(x[-1])}",
        ),
        Preset(
            "noise",
            "Random noise",
            "White Gaussian noise (standard deviation 1): nothing in it is worth remembering.",
            _noise,
            100,
            {"sd": 1.0},
            random=True,
            detail=lambda x, o: f"sd {_num(o['sd'])}",
        ),
    )
}


def preset_label(name: str, x: np.ndarray, seed: int = 0, **params) -> str:
    """What the sequence ``x`` made by preset ``name`` is, for a caption, read from its values:
    "Counting 1 to 2,000, T = 2000", "Impulse: 1 at t = 6, 0 elsewhere, T = 60", "Noisy sine wave:
    period 25, ..., seed 3, T = 100". ``params`` are the options it was made with (as for make_sequence)."""
    preset = PRESETS[name]
    x = np.asarray(x, dtype=np.float64).ravel()
    detail = preset.detail(x, {**preset.params, **params})
    title = preset.title.split(" (")[0]  # "Counting (1, 2, 3, ...)" -> "Counting"
    sep = " " if name == "counting" else ": "
    parts = [f"{title}{sep}{detail}" if detail else title] + ([f"seed {seed}"] if preset.random else [])
    return ", ".join(parts + [f"T = {len(x)}"])


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


def check_seed(seed) -> int:
    """``seed`` as an int in [0, MAX_SEED], or a ValueError saying what is allowed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


def parse_whole(text: str) -> int:
    """A whole number typed in a link (``?T=60``), or a ValueError that quotes it."""
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


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
