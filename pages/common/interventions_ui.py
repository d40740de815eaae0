"""The experiment panel: force a gate or silence a unit over a range of steps, and show what changed.

Any page with a model and an input places it::

    exp = interventions_panel(model, x, layer, direction, unit, key="st_exp")   # widgets where it is called
    trace = model.forward(x, clamps=exp.records)                                 # the page's own run, clamped
    if exp.note:
        st.info(exp.note)                                                        # "an experiment is on: ..."
    exp.show(unit)                                                               # c, h, prediction, loss

``model`` is a NumPy LSTM / GRU / RNN or a trained model (``modelfile.SavedModel``, whose prediction and
held-out loss are shown too); ``x`` its input (T, B, I) or (T, I). The experiments, their records, the run
both ways and every sentence come from :mod:`lstm_vault.experiment`; the figure from
:mod:`lstm_vault.figures.interventions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from lstm_vault import experiment
from lstm_vault.evaluation import LOSS_NAMES, distinct
from lstm_vault.figures.interventions import effect_figure
from lstm_vault.interventions import gate_range

NONE = "none"
LABELS = {NONE: "none (the model as it is)", **{k: label for k, (_, _, label) in experiment.PRESETS.items()}}
WHAT = {"both": "h and c (the whole unit)", "h": "only h (its cell keeps running)"}


@dataclass(frozen=True)
class Experiment:
    """What the panel returns: the records for the page's own run (empty when none is chosen), the note for
    a page to show while one is on (None when none), and ``show(unit)``, which draws what changed."""

    records: list
    note: str | None
    show: Callable[..., None] = field(repr=False)


def fingerprint(model) -> str:
    """A digest of a model's weights (and a trained model's read-out and task): what the cache is keyed on."""
    rnn = getattr(model, "rnn", model)
    digest = hashlib.sha1(f"{rnn.arch} {rnn.config()}".encode())
    for name, value in sorted(rnn.params.items()):
        digest.update(name.encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
    if rnn is not model:
        digest.update(np.ascontiguousarray(model.readout_weight).tobytes())
        digest.update(np.ascontiguousarray(model.readout_bias).tobytes())
        digest.update(repr((model.meta.get("task"), model.meta.get("task_options"))).encode())
    return digest.hexdigest()


@st.cache_resource(max_entries=8, show_spinner="Running the model with and without the experiment...")
def _compare(model_key: str, _model, x_key: bytes, _x, records: tuple) -> experiment.Comparison:
    """Shared read-only (the traces are frozen): ``model_key`` and ``x_key`` stand for the model and input."""
    return experiment.compare(_model, _x, list(records))


def interventions_panel(
    model, x, layer: int = 0, direction: int = 0, unit: int = 0, *, key: str
) -> Experiment:
    """The experiment widgets, placed where this is called, for ``model`` reading ``x``; ``layer`` and
    ``direction`` are where the records act, ``unit`` the one they start on. ``key`` prefixes the widgets'
    keys (one panel per key on a page)."""
    rnn = getattr(model, "rnn", model)
    T, H, arch = int(np.shape(x)[0]), rnn.hidden_size, rnn.arch
    kind = st.selectbox(
        "Experiment",
        [NONE, *experiment.kinds(arch)],
        format_func=LABELS.__getitem__,
        key=key + "kind",
        help="Force a gate to a value, or silence a unit, over a range of steps, and see what changes.",
    )
    if kind == NONE:
        return Experiment([], None, lambda unit=None: None)
    units = st.multiselect(
        "Units", list(range(H)), default=[min(max(int(unit), 0), H - 1)], key=key + "units"
    )
    # a preset that keeps, hides or wipes a memory starts halfway, once there is one; each kind its own range
    first = T // 2 if kind in ("freeze", "hide", "wipe", "keep") else 0
    start, last = (
        st.slider(
            "Steps",
            0,
            T - 1,
            (first, T - 1),
            key=f"{key}steps_{kind}",
            help="From the first to the last step, both in.",
        )
        if T > 1
        else (0, 0)
    )
    gate = value = what = None
    if kind == "gate":
        gate = st.selectbox("Gate", list(rnn.gates), key=key + "gate")
        low, high = gate_range(arch, gate)
        value = st.slider(f"Value of {gate}", low, high, high, 0.05, key=key + "value")
    elif kind == "silence" and arch == "lstm":
        held = st.radio("Hold at 0", list(WHAT), format_func=WHAT.__getitem__, key=key + "what")
        what = ("h", "c") if held == "both" else ("h",)
    if not units:
        st.caption("Pick at least one unit: the experiment is off until then.")
        return Experiment([], None, lambda unit=None: None)
    records = experiment.make_records(arch, kind, units, start, last + 1, layer, direction, gate, value, what)
    said = experiment.describe(records, T, H, arch)
    note = f"Experiment on: {said}. What you step through below is the run with it."

    def show(shown_unit: int | None = None) -> None:
        u = units[0] if shown_unit is None else int(shown_unit)
        cmp = _compare(fingerprint(model), model, np.asarray(x).tobytes(), x, tuple(records))
        eff = experiment.effect(cmp, u, layer, direction)
        st.subheader("What the experiment changed")
        if cmp.loss is not None:
            before, after = distinct(cmp.loss, cmp.loss_clamped)
            name = LOSS_NAMES[cmp.loss_kind]
            c1, c2 = st.columns(2)
            c1.metric(f"Held-out loss without ({name})", before)
            c2.metric(f"Held-out loss with the experiment ({name})", after)
        st.markdown(experiment.reading(cmp, eff))
        st.plotly_chart(
            effect_figure(cmp, eff, layer, direction), key=key + "figure", config={"displayModeBar": False}
        )
        st.caption(
            f"Dashed grey: without; in colour: with {said} (shaded steps). The curves are this one input"
            + (
                f"; the losses average over {cmp.examples} held-out examples of the model's task, with the "
                "experiment on the same steps of each."
                if cmp.loss is not None
                else "."
            )
        )

    return Experiment(records, note, show)
