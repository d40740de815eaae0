r"""LSTM, GRU and vanilla RNN, a stacked and a bidirectional LSTM: the same input through each, compared.

What the "architectures compared" page shows, computed here: each model's forward trace, its parameter
count with the formula that gives it, its gradient-norm curve, and the sentences that read them.

Parameter count, as torch stores a recurrent layer: per layer and direction, G blocks (LSTM 4: i, f, g, o;
GRU 3: r, z, n; RNN 1) of an input weight (H, I_l), a recurrent weight (H, H) and *two* biases (``bias_ih``
and ``bias_hh``, H each; their sum is all the cell sees, but torch keeps both)::

    per layer and direction:  G · (H (I_l + H) + 2H),     I_0 = I,  I_l = D·H above the first layer
    total:                    D · Σ_l G · (H (I_l + H) + 2H)

Gradient curve: the loss at the last step only, L = u · y_{T-1}, with y the model's output (the top layer's
h, both directions side by side) and u a unit vector, as on the Vanishing gradients page
(:func:`lstm_vault.gradient_paths.path_gradients`, the library's one log-safe backward pass): ||dL/dh_t||
over every layer and direction is the share of the last step's gradient that reaches step t. For random
models u is drawn from the seed; for trained ones it is the read-out's direction of the prediction at the
last step (:func:`readout_direction`).

Shapes: T steps, I input features, H hidden units, L layers, D directions, O read-out outputs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from .cells import GATES
from .formatting import format_log10
from .gradient_paths import path_gradients
from .models import GRU, LSTM, RNN, Recurrent
from .trace import Trace, _freeze
from .vanishing import loss_weights

KINDS = ("lstm", "gru", "rnn", "stacked", "bidirectional")  # the random models, in the page's order
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN"}
#: weight blocks per layer and direction: one per gate and one for the candidate (the RNN's single a)
BLOCKS = {arch: max(1, len(gates)) for arch, gates in GATES.items()}
LAYER_CHOICES = (2, 3)  # the stacked LSTM's layers
MAX_T = 400  # longest input compared (five models, each drawn at every step, go to the browser)
MAX_HIDDEN = 64


def title(model: Recurrent) -> str:
    """ "LSTM", "GRU", "stacked LSTM (2 layers)", "bidirectional LSTM",
    "stacked bidirectional GRU (3 layers)"."""
    name = NAMES[model.arch]
    if model.bidirectional:
        name = f"bidirectional {name}"
    if model.num_layers > 1:
        name = f"stacked {name} ({model.num_layers} layers)"
    return name


def random_models(input_size: int, hidden_size: int, seed: int, layers: int = 2) -> dict[str, Recurrent]:
    """The five untrained models of the page, in torch's initialisation from ``seed``, all with H units per
    layer and direction: an LSTM, a GRU, a vanilla (tanh) RNN, a stacked LSTM of ``layers`` layers and a
    bidirectional LSTM. ValueError names a size out of range."""
    if layers not in LAYER_CHOICES:
        raise ValueError(
            f"the stacked LSTM has {' or '.join(map(str, LAYER_CHOICES))} layers, got {layers!r}"
        )
    if not (isinstance(hidden_size, int) and 1 <= hidden_size <= MAX_HIDDEN):
        raise ValueError(f"hidden size must be a whole number from 1 to {MAX_HIDDEN}, got {hidden_size!r}")
    return {
        "lstm": LSTM(input_size, hidden_size, seed=seed),
        "gru": GRU(input_size, hidden_size, seed=seed),
        "rnn": RNN(input_size, hidden_size, seed=seed),
        "stacked": LSTM(input_size, hidden_size, num_layers=layers, seed=seed),
        "bidirectional": LSTM(input_size, hidden_size, bidirectional=True, seed=seed),
    }


# ------------------------------------------------------------------------------------------------
# parameter counts


def param_count(model: Recurrent) -> int:
    """Every number the model learns: the sizes of its parameters (torch's ``sum(p.numel())``)."""
    return int(sum(np.asarray(p).size for p in model.params.values()))


@dataclass(frozen=True)
class ParamFormula:
    """The count as a formula: ``symbols`` in H, I, D; ``numbers`` the same with this model's sizes."""

    symbols: str
    numbers: str
    total: int


def param_formula(model: Recurrent) -> ParamFormula:
    """``D · Σ_l G · (H (I_l + H) + 2H)`` for ``model``, written out (module docstring)."""
    G, H, I, L = BLOCKS[model.arch], model.hidden_size, model.input_size, model.num_layers
    D = 2 if model.bidirectional else 1
    g = f"{G}·" if G > 1 else ""
    first_s, first_n = f"{g}(H(I + H) + 2H)", f"{g}({H}·({I} + {H}) + 2·{H})"
    total_per_d = G * (H * (I + H) + 2 * H)
    symbols, numbers = first_s, first_n
    if L > 1:
        upper_in = "DH" if D > 1 else "H"
        more = f"{L - 1}·{g}" if L > 2 else g
        symbols += f" + {more}(H({upper_in} + H) + 2H)"
        numbers += f" + {more}({H}·({D * H} + {H}) + 2·{H})"
        total_per_d += (L - 1) * G * (H * (D * H + H) + 2 * H)
    if D > 1:
        symbols, numbers = f"2·[{symbols}]", f"2·[{numbers}]"
    return ParamFormula(symbols, numbers, D * total_per_d)


# ------------------------------------------------------------------------------------------------
# one comparison


def readout_direction(readout_weight: np.ndarray, output: np.ndarray, classes: bool) -> np.ndarray:
    """u (D*H,) for a trained model: the direction in which its output y_{T-1} moves the prediction at the
    last step, ``W[k]`` for the class k it predicts there (``classes``), else the mean of the rows (one row
    for a single regression output), as a unit vector. ``output`` (T, D*H): the model's output."""
    W = np.asarray(readout_weight, dtype=np.float64)
    row = W[int(np.argmax(output[-1] @ W.T))] if classes else W.mean(axis=0)
    norm = float(np.linalg.norm(row))
    if norm == 0.0:
        raise ValueError("the read-out's weights are all zero: no gradient reaches the recurrent layer")
    return row / norm


@dataclass(frozen=True)
class Compared:
    """One model's part of a comparison."""

    key: str  # "lstm", "gru", "rnn", "stacked", "bidirectional", or a trained model's label
    title: str
    model: Recurrent
    trace: Trace  # of x (T, I), unbatched
    u: np.ndarray  # (D*H,) the loss direction at the last step
    log10_dh: np.ndarray  # (T,) log10 ||dL/dh_t|| over every layer and direction
    params: int

    def __post_init__(self):
        _freeze(self)

    @property
    def formula(self) -> ParamFormula:
        return param_formula(self.model)


def compare_one(key: str, model: Recurrent, x: np.ndarray, u: np.ndarray | None = None, seed: int = 0):
    """``model`` reading x (T, I): its trace, its gradient curve for L = u · y_{T-1} (u from ``seed`` when
    None) and its parameter count."""
    trace = model.forward(x)[2]
    if u is None:
        u = loss_weights(model.num_directions * model.hidden_size, seed)
    grads = path_gradients(model, trace, u)
    return Compared(key, title(model), model, trace, np.asarray(u), grads.log10_dh, param_count(model))


def check_input(x) -> np.ndarray:
    """x as (T, I) float64; ValueError for an empty, non-finite or too long sequence."""
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"the input must be a sequence of at least one step, got shape {x.shape}")
    if x.shape[0] > MAX_T:
        raise ValueError(f"the input has {x.shape[0]} steps; the comparison takes at most {MAX_T}")
    if not np.isfinite(x).all():
        raise ValueError("the input holds a value that is not a finite number")
    return x


def compare_random(x, hidden_size: int, seed: int, layers: int = 2) -> tuple[Compared, ...]:
    """The five random models of :func:`random_models` reading x, each with u from ``seed``."""
    x = check_input(x)
    models = random_models(x.shape[1], hidden_size, seed, layers)
    return tuple(compare_one(key, model, x, seed=seed) for key, model in models.items())


def compare_trained(models: dict, seed: int = 0) -> tuple[np.ndarray, str, tuple[Compared, ...]]:
    """Trained models (label -> ``modelfile.SavedModel``, one task) on the same held-out example of their
    task: (x (T, I), the example's caption, one :class:`Compared` each, u from :func:`readout_direction`).
    ValueError when they were trained on different tasks or the example does not fit one of them."""
    if not models:
        raise ValueError("no trained models to compare")
    saved = list(models.values())
    tasks = {(m.meta.get("task"), str(sorted(m.meta.get("task_options", {}).items()))) for m in saved}
    if len(tasks) != 1:
        raise ValueError("the trained models were trained on different tasks; train them together")
    x3, caption = saved[0].example(seed)
    x = check_input(x3[:, 0])
    task = saved[0].task()
    entries = []
    for label, model in models.items():
        output = model.rnn.forward(x)[0]
        u = readout_direction(model.readout_weight, output, classes=task.loss == "ce")
        entries.append(compare_one(label, model.rnn, x, u=u))
    return x, caption, tuple(entries)


# ------------------------------------------------------------------------------------------------
# what the page says


def gradient_reading(entries) -> str | None:
    """Which curve falls fastest from the last step back to t = 0, and by how many decades; which falls
    least. None for a one-step input (there is no curve)."""
    T = len(entries[0].log10_dh)
    if T < 2:
        return None
    drops = {e.title: float(e.log10_dh[-1] - e.log10_dh[0]) for e in entries}  # decades lost going back
    fastest = max(drops, key=drops.get)
    slowest = min(drops, key=drops.get)
    span = f"over the {T - 1} steps from the last step back to t = 0"
    if math.isinf(drops[fastest]):
        head = (
            f"The {fastest}'s ‖∂L/∂hₜ‖ is exactly 0 at t = 0: nothing of the last step's gradient reaches it"
        )
    else:
        head = f"‖∂L/∂hₜ‖ falls fastest in the {fastest}: {change(drops[fastest])} {span}"
    if slowest == fastest:
        return head + "."
    return f"{head}; it falls least in the {slowest}: {change(drops[slowest])}."


def change(decades_lost: float) -> str:
    """How a norm changed, from the decades it lost: "down 7.3 decades (a factor 5.0 × 10⁻⁸)" or "up …"."""
    word = "down" if decades_lost >= 0 else "up"
    return f"{word} {abs(decades_lost):.1f} decades (a factor {format_log10(-decades_lost)})"


def params_reading(entries) -> str:
    """The model with the most parameters against the one with the fewest, and why their counts differ."""
    counts = {e.title: e.params for e in entries}
    most, fewest = max(counts, key=counts.get), min(counts, key=counts.get)
    archs = {e.model.arch for e in entries}
    blocks = ", ".join(f"{NAMES[a]} {n}" for a, n in BLOCKS.items() if a in archs)
    ratio = counts[most] / counts[fewest]
    return (
        f"The {most} has the most parameters, {counts[most]:,}: {ratio:.1f} times the "
        f"{fewest}'s {counts[fewest]:,}. Blocks of weights per layer and direction: {blocks}; each layer "
        "stacked on top and each second direction adds its own."
    )


# ------------------------------------------------------------------------------------------------
# what the browser steps through (pages/common/compare_stepper)

PAYLOAD_VERSION = 1


def input_labels(x: np.ndarray, encoding: dict | None = None) -> list[str]:
    """x_t as shown at each step: a number, or the character a one-hot input stands for."""
    from .explain import describe_input

    return [describe_input(row, encoding, 3) for row in x]


def frames(entry: Compared, unit: int, x_labels: list[str]):
    """The drawing of ``entry`` at every step for ``unit``: its cell (one layer, one direction), the stack
    of its layers, or its first layer read both ways (:mod:`lstm_vault.figures.stack`)."""
    from .figures.drawing import cell_frames
    from .figures.stack import bidirectional_frames, stack_frames

    model, trace = entry.model, entry.trace
    if model.bidirectional:
        return bidirectional_frames(trace, unit, x_labels)
    if model.num_layers > 1:
        return stack_frames(trace, unit, x_labels)
    lt = trace.layers[0][0]
    steps = [_step_values(lt, t, unit) for t in range(trace.T)]
    x_texts = None if model.input_size == 1 else x_labels
    return cell_frames(steps, x_texts, model.arch, title=f"{entry.title}, unit {unit}")


def _step_values(lt, t: int, unit: int) -> dict:
    from .explain import step_values

    return step_values(lt, t, unit, 0)


def gradient_note(log10_dh: float, T: int) -> str:
    """Under a model's drawing at step t: its ||dL/dh_t||, the point of its curve on the gradient plot."""
    return f"‖∂L/∂hₜ‖ = {format_log10(log10_dh)} (loss at t = {T - 1})"


def step_payload(entries, unit: int, x_labels: list[str]) -> dict:
    """Every model's drawing at every step, sent once: the browser swaps the labels on a step. ``notes``:
    each model's gradient norm at each step (:func:`gradient_note`)."""
    T = entries[0].trace.T
    if not 0 <= unit < min(e.model.hidden_size for e in entries):
        raise ValueError(f"unit {unit} is not a unit of every model compared")
    panels = []
    for e in entries:
        f = frames(e, unit, x_labels)
        panels.append(
            {
                "key": e.key,
                "title": e.title,
                "svg": f.svg,
                "text_keys": list(f.text_keys),
                "fill_keys": list(f.fill_keys),
                "texts": [list(step) for step in f.texts],
                "fills": [[v for yh in step for v in yh] for step in f.fills],
                "notes": [gradient_note(v, T) for v in e.log10_dh],
            }
        )
    body = {
        "version": PAYLOAD_VERSION,
        "T": T,
        "headers": [f"t = {t} · unit {unit} · xₜ = {x_labels[t]}" for t in range(T)],
        "panels": panels,
    }
    text = json.dumps(body)
    return {**body, "fingerprint": hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}
