"""What the Vanishing gradients page compares: untrained models built from a few settings, or trained ones.

The settings of the untrained models (:data:`SETTINGS`: ρ, the forget-gate bias, H and the seed) are declared
once here, each with its control's label, bounds, step, default and help, and with the check of a link's
value (:meth:`Setting.link_warning`); the page draws its controls from them.

A comparison of trained models is a :class:`Pair`: a trained model (a
:class:`~lstm_vault.modelfile.SavedModel`) or None (untrained, built by
:func:`lstm_vault.vanishing.compare_gradients`) on each side. Sources, as the page
offers them:

- "session": the session's trained LSTM and RNN, from the Train page's last run (which trains them side by
  side), or the current model plus that run's model of the other architecture on the same task;
- "shipped": ``assets/models/adding_lstm.npz`` and ``adding_rnn.npz``, the same command with ``--arch``
  ``lstm`` and ``rnn`` (see ``assets/models/README.md``);
- "current": the session's current model on its side, an untrained model on the other;
- "": two untrained models.

The page's link names the choice (``compare=shipped``); :func:`resolve` turns a choice into the pair and,
where the models read their own task's input, one example of it (:class:`Example`).

No streamlit: the page passes in what its session holds.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import modelfile
from .vanishing import COMPARISON_MAX_HIDDEN

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SHIPPED_FILES = {"lstm": "adding_lstm.npz", "rnn": "adding_rnn.npz"}
ARCH_NAMES = {"lstm": "LSTM", "rnn": "RNN"}
#: the shortest sequence compared: with T = 1 the loss sits at t = 0 and there is nothing to follow back
MIN_T = 2
#: the length slider's range above the plots (the sidebar's number box goes further)
SLIDER_T_MAX = 500
#: the link parameter of the model choice, and its values (untrained models: no parameter)
COMPARE = "compare"
CHOICES = ("", "current", "session", "shipped")


@dataclass(frozen=True)
class Setting:
    """One setting of the untrained models as the page shows it: a control, and a link parameter."""

    name: str  # the link parameter (?rho=1.5)
    label: str  # the control's label
    low: int | float
    high: int | float
    step: int | float
    default: int | float
    help: str  # what it does, for the control's tooltip

    @property
    def whole(self) -> bool:
        """True for a count (H, seed): the value is an int."""
        return isinstance(self.default, int)

    def parse(self, text) -> int | float:
        """A link's text as this setting's value, or ValueError saying what is wrong with it."""
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(f"must be from {self.low} to {self.high}, got {text}")
        if self.whole:
            if value != int(value):
                raise ValueError(f"must be a whole number, got {text}")
            return int(value)
        return value

    def link_warning(self, text) -> str | None:
        """What to tell a person whose link gave this setting ``text``; None for a value it can use."""
        try:
            self.parse(text)
        except ValueError as err:
            return f"link parameter {self.name} ignored ({err}); using {self.default}"
        return None


SETTINGS = {
    s.name: s
    for s in (
        Setting(
            "rho",
            "Spectral radius ρ of the RNN's W_hh",
            0.0,
            4.0,
            0.05,
            1.0,
            "ρ, the largest |eigenvalue| of the RNN's recurrent weights, sets the long-run rate of a "
            "linear RNN, not each step: one step can stretch the gradient by up to σ_max, the largest "
            "singular value (shown below), so below 1 it can still grow on some steps. With tanh it grows "
            "for good only where ρ · rms(tanh′) passes 1 (mean-field rule), which takes ρ above 1: see "
            "*Where is the edge?* for this setting. The LSTM keeps PyTorch's initial weights.",
        ),
        Setting(
            "fb",
            "LSTM forget-gate bias",
            -4.0,
            6.0,
            0.25,
            3.0,
            "b_f: the forget gate is σ(... + b_f); a large bias keeps f near 1 (remember by default).",
        ),
        Setting(
            "H",
            "Hidden size H (both models)",
            1,
            COMPARISON_MAX_HIDDEN,
            1,
            16,
            "Number of hidden units of the RNN and of the LSTM.",
        ),
        Setting(
            "seed",
            "Weight seed",
            0,
            2**31 - 1,
            1,
            0,
            "Seeds the untrained models' weights, the loss direction u and a trained model's example.",
        ),
    )
}


def unusable(saved) -> str:
    """Why this page cannot put ``saved`` (anything with ``.rnn``) on a side; "" if it can."""
    model = getattr(saved, "rnn", None)
    arch = getattr(model, "arch", None)
    if arch not in ARCH_NAMES:
        return f"the trained model is a {str(arch).upper()}; this page compares an RNN with an LSTM"
    if model.num_layers != 1 or model.bidirectional:
        two = " and two directions" if model.bidirectional else ""
        return (
            f"the trained {ARCH_NAMES[arch]} has {model.num_layers} layer(s){two}; this page follows the "
            "gradient through one layer in one direction"
        )
    return ""


def _task_key(saved) -> tuple:
    meta = getattr(saved, "meta", None) or {}
    return meta.get("task"), sorted((meta.get("task_options") or {}).items())


def _fits(a, b) -> bool:
    """Two trained models that can be compared: same task and options, same input and hidden size."""
    return (
        _task_key(a)[0] is not None
        and _task_key(a) == _task_key(b)
        and a.rnn.input_size == b.rnn.input_size
        and a.rnn.hidden_size == b.rnn.hidden_size
    )


@dataclass(frozen=True)
class Pair:
    """The models of one comparison: a trained SavedModel per side, or None for an untrained side."""

    source: str  # "session" | "shipped" | "current" | "" (see the module docstring)
    lstm: object | None = None
    rnn: object | None = None

    @property
    def trained(self) -> tuple[str, ...]:
        return tuple(arch for arch in ("rnn", "lstm") if getattr(self, arch) is not None)

    @property
    def any_model(self):
        return self.lstm if self.lstm is not None else self.rnn

    @property
    def task_name(self) -> str:
        model = self.any_model
        return "" if model is None else str((getattr(model, "meta", None) or {}).get("task") or "")

    @property
    def task_title(self) -> str:
        """ "adding task" for the first sentence ("" when no task is named)."""
        return f"{self.task_name} task" if self.task_name else ""

    def model(self, arch: str):
        """The NumPy model on side ``arch`` ("rnn" or "lstm"), None for an untrained side."""
        saved = getattr(self, arch)
        return None if saved is None else saved.rnn

    def side_key(self, arch: str) -> str:
        """A digest of one side's weights, "" for an untrained side: what a cache of that side is keyed on."""
        model = self.model(arch)
        if model is None:
            return ""
        digest = hashlib.sha1(arch.encode())
        for name, value in sorted(model.params.items()):
            digest.update(name.encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
        return digest.hexdigest()

    def fingerprint(self) -> str:
        """A digest of both sides' weights: a new pair (another Train run) has another one."""
        return hashlib.sha1("".join(self.side_key(arch) for arch in self.trained).encode()).hexdigest()

    def losses(self) -> dict:
        """``{"lstm": ..., "rnn": ..., "baseline": ..., "baseline_description": ...}``: validation losses
        from the files' metadata and the task's trivial predictor in words, where given."""
        out = {}
        for arch in self.trained:
            training = (getattr(getattr(self, arch), "meta", None) or {}).get("training") or {}
            out[arch] = training.get("val_loss")
            out.setdefault("baseline", training.get("baseline_loss"))
        task_of = getattr(self.any_model, "task", None)
        task = task_of() if callable(task_of) else None
        out["baseline_description"] = getattr(task, "baseline_description", "")
        return out


def session_pair(current, last_run: dict) -> Pair | None:
    """The session's trained LSTM and RNN, if it has both, else None.

    ``current``: the session's current model (or None); ``last_run``: ``{arch: SavedModel}`` of the Train
    page's last run. The current model wins its side when the run's model of the other architecture
    fits it (same task, options and sizes); otherwise the run's own LSTM and RNN, if it trained both.
    """
    usable = {a: m for a, m in last_run.items() if a in ARCH_NAMES and not unusable(m)}
    if current is not None and not unusable(current):
        arch = current.rnn.arch
        other = "rnn" if arch == "lstm" else "lstm"
        if other in usable and _fits(current, usable[other]):
            return Pair("session", **{arch: current, other: usable[other]})
    if len(usable) == 2 and _fits(usable["lstm"], usable["rnn"]):
        return Pair("session", lstm=usable["lstm"], rnn=usable["rnn"])
    return None


def load_shipped_pair(directory: Path | str = SHIPPED_DIR) -> Pair:
    """The trained LSTM and RNN shipped for the adding problem (raises ModelFileError/OSError if missing)."""
    directory = Path(directory)
    return Pair("shipped", **{arch: modelfile.load(directory / name) for arch, name in SHIPPED_FILES.items()})


@dataclass(frozen=True)
class Example:
    """One validation sequence of a trained model's task.

    x:      (T, I) float64, what both models read
    label:  what it is, for captions
    marked: the adding problem's marked steps (where channel 1 is 1), () for other tasks
    """

    x: np.ndarray
    label: str
    marked: tuple[int, ...] = ()


def task_example(saved, seed: int) -> Example:
    """One validation sequence of the model's own task (validation seed ``seed``); ValueError if none."""
    task_of = getattr(saved, "task", None)
    task = task_of() if callable(task_of) else None
    if task is None:
        raise ValueError("the model file names no task to draw a sequence from")
    x = np.asarray(task.validation(1, seed=seed).x[:, 0, :], dtype=np.float64)
    name = getattr(task, "name", "")
    marked = tuple(int(t) for t in np.nonzero(x[:, 1] > 0.5)[0]) if name == "adding" else ()
    label = f"one held-out example of the {name} task (validation seed {seed}), T = {len(x)}"
    if marked:
        label += f", marked steps t = {' and '.join(str(t) for t in marked)}"
    return Example(x, label, marked)


def choices(own, pair: Pair | None) -> dict[str, str]:
    """The page's options, source -> label: untrained, the current model's side, the session pair, shipped."""
    options = {"": "Untrained RNN and LSTM (you set ρ and the forget-gate bias)"}
    if own is not None:
        arch = own.rnn.arch
        other = ARCH_NAMES["rnn" if arch == "lstm" else "lstm"]
        task = (getattr(own, "meta", None) or {}).get("task")
        options["current"] = (
            f"Your trained {ARCH_NAMES[arch]}{f' ({task})' if task else ''} and an untrained {other}"
        )
    if pair is not None:
        options["session"] = f"Trained LSTM and RNN from your last Train run ({pair.task_name})"
    options["shipped"] = "Trained LSTM and RNN shipped with the app (adding problem, T = 100)"
    return options


def unusable_note(saved) -> str:
    """The sidebar's line under the choice when the session's model cannot take a side ("" if it can)."""
    why = unusable(saved)
    return why[:1].upper() + why[1:] + "." if why else ""


def compare_link_warning(text: str, options: Mapping[str, str]) -> str | None:
    """What to tell a person whose link says ``compare=text`` when this session cannot offer that choice."""
    if text in options and text:
        return None
    known = [c for c in CHOICES if c]
    if text not in known:
        return f"link parameter {COMPARE}={text!r} ignored: it must be one of {', '.join(known)}"
    why = {
        "current": "this session has no trained model that fits this page",
        "session": "this session has no Train run with a trained LSTM and RNN",
    }.get(text, "they are not available")
    return f"link parameter {COMPARE}={text} ignored: {why}; comparing untrained models"


@dataclass(frozen=True)
class Resolved:
    """What a choice of models comes to.

    pair:    the models (``Pair("")``: two untrained ones)
    example: one example of their task, when the input must come from it (else None: the sequence widget's)
    note:    a line for the sidebar when the choice could not be used as asked ("" if none)
    """

    pair: Pair
    example: Example | None = None
    note: str = ""


def resolve(choice: str, own, pair: Pair | None, shipped: Callable[[], Pair], seed: int) -> Resolved:
    """The pair and input of a choice (see :func:`choices`): ``own`` is the session's usable trained model
    (or None), ``pair`` the session's trained pair (or None), ``shipped`` loads the shipped pair (it may raise
    ModelFileError or OSError, for the page to show). A trained model reading one feature per step beside an
    untrained one ("current") reads the sequence widget's input; otherwise its task draws one validation
    example (seed ``seed``); a model with several inputs and no task to draw from falls back to untrained."""
    if choice == "shipped":
        chosen = shipped()
    elif choice == "session" and pair is not None:
        chosen = pair
    elif choice == "current" and own is not None:
        chosen = Pair("current", **{own.rnn.arch: own})
    else:
        return Resolved(Pair(""))
    model = chosen.any_model
    if chosen.source == "current" and model.rnn.input_size == 1:
        return Resolved(chosen)
    try:
        return Resolved(chosen, task_example(model, seed))
    except (ValueError, TypeError) as err:
        if model.rnn.input_size == 1:
            return Resolved(chosen)
        note = f"This model reads {model.rnn.input_size} features per step, and no sequence for it: {err}"
        return Resolved(Pair(""), note=note)
