"""What the Spotting anomalies page says: every sentence computed from the numbers it shows.

Each function takes what :mod:`lstm_vault.anomaly` computed (a :class:`~lstm_vault.anomaly.Detection`, its
catches) and returns text; the page places it. ``unit`` is the series' unit ("ppmv", or "" for a count).
"""

from __future__ import annotations

import numpy as np

from .anomaly import DEFAULT_K, MAD_TO_SD, WITHIN, Catch, Detection, robust_scale
from .formatting import fmt

KIND_NAMES = {"spike": "spike", "level_shift": "level shift", "dropout": "dropout"}
ROUGH_GUIDE = (
    "The threshold is a rough guide, not a test: it trades missed anomalies against false alarms, and the "
    "robust standard deviation only describes errors that are spread roughly like a normal distribution's."
)


def _u(value: float, unit: str, digits: int = 2) -> str:
    return f"{fmt(value, digits)} {unit}".rstrip()


def threshold_sentence(det: Detection, default: float, unit: str) -> str:
    """How the threshold relates to the model's errors, and how its default was computed."""
    errors = det.errors[det.model]
    med, sd = robust_scale(errors)
    n = int(np.isfinite(errors).sum())
    return (
        f"The threshold is {_u(det.thresholds[det.model], unit)}: {fmt(det.k, 1)} robust standard "
        f"deviations above the {det.model}'s median error of {_u(med, unit)} over the {n} steps it "
        f"forecasts (one robust standard deviation is {MAD_TO_SD} × the median absolute deviation of those "
        f"errors, {_u(sd, unit)}). It starts at {_u(default, unit)}: {fmt(DEFAULT_K, 0)} robust standard "
        "deviations above the median on the real series, before anything is injected."
    )


def flags_sentence(det: Detection, dates, unit: str) -> str:
    """How many steps the model flags, and its largest error."""
    errors = det.errors[det.model]
    m = int(np.isfinite(errors).sum())
    worst = int(np.nanargmax(errors))
    n = len(det.flags[det.model])
    largest = f"{_u(float(errors[worst]), unit)} on {dates[worst]}"
    if n == 0:
        return (
            f"The {det.model} flags none of its {m} forecasts: its largest error, {largest}, stays below "
            "the threshold."
        )
    share = 100 * n / m
    return (
        f"The {det.model} flags {n} of its {m} forecasts ({fmt(share, 1)} %); its largest error is {largest}."
    )


def baselines_sentence(det: Detection, unit: str) -> str:
    """The baselines' thresholds at the same k, and how many steps each flags."""
    others = [name for name in det.errors if name != det.model]
    if not others:
        return ""
    parts = [
        f"{name} at {_u(det.thresholds[name], unit)} ({len(det.flags[name])} steps flagged)"
        for name in others
    ]
    return (
        f"The baselines are flagged the same way, {fmt(det.k, 1)} robust standard deviations above their own "
        f"median errors: {'; '.join(parts)}."
    )


def zero_threshold_warning(det: Detection) -> str | None:
    """A warning when the threshold is 0 or below: then every step with any error at all is flagged."""
    threshold = det.thresholds[det.model]
    if threshold > 0:
        return None
    errors = det.errors[det.model]
    return (
        f"A threshold of {fmt(threshold)} flags every step whose error is above it: "
        f"{len(det.flags[det.model])} of the {int(np.isfinite(errors).sum())} steps the {det.model} "
        "forecasts. "
        "Move it above 0 to flag only the unusual ones."
    )


def held_out_sentence(maes: dict, first_date: str, n: int, unit: str) -> str:
    """The mean absolute error of every forecaster on the held-out part of the real series."""
    parts = ", ".join(f"{name} {_u(v, unit)}" for name, v in maes.items())
    best = min(maes, key=maes.get)
    return (
        f"On the real series' last {n} steps (from {first_date}), which training never saw, the mean "
        f"absolute error is: {parts}. The smallest is the {best}'s."
    )


def unit_sentence(unit: int, there: float, usual: float, state_name: str) -> str:
    """Why this unit is shown first (:func:`lstm_vault.anomaly.most_moved_unit`; ``there`` NaN: nothing, or
    everything, is flagged)."""
    if np.isnan(there):
        return (
            f"Shown first: unit {unit}, whose memory {state_name} changes most from step to step "
            f"(on average by {fmt(usual, 3)}); with nothing flagged, or everything, there is no contrast "
            "to draw."
        )
    return (
        f"Shown first: unit {unit}, whose memory {state_name} changed most at the flagged steps compared "
        f"with the others: on average by {fmt(there, 3)} there, against {fmt(usual, 3)} elsewhere. "
        "A change there shows what the model read, not that this unit detects anomalies."
    )


def describe(anomaly, dates, unit: str) -> str:
    """ "spike of +5.00 ppmv", "level shift of −3.00 ppmv", "dropout of 6 steps"."""
    name = KIND_NAMES[anomaly.kind]
    if anomaly.size is None:
        return f"{name} of {anomaly.stop - anomaly.start} steps"
    sign = "+" if anomaly.size >= 0 else ""
    return f"{name} of {sign}{_u(anomaly.size, unit)}"


def catch_rows(found: list[Catch], dates, unit: str) -> list[dict]:
    """The table of planted anomalies: one row per anomaly, per forecaster whether it caught it and by how
    much its largest error on the anomaly's first steps exceeded the threshold (negative: fell short)."""
    rows: dict = {}
    for c in found:
        key = (c.anomaly.kind, c.anomaly.start)
        row = rows.setdefault(
            key,
            {
                "injected": describe(c.anomaly, dates, unit),
                "at": f"{dates[c.anomaly.start]} (step {c.anomaly.start})",
            },
        )
        row[f"{c.forecaster} caught"] = c.caught
        row[f"{c.forecaster}: error − threshold"] = None if np.isnan(c.excess) else c.excess
    return list(rows.values())


def catch_sentence(found: list[Catch]) -> str:
    """Which forecaster caught how many of the planted anomalies."""
    names = list(dict.fromkeys(c.forecaster for c in found))
    total = len({(c.anomaly.kind, c.anomaly.start) for c in found})
    parts = [f"{name} {sum(c.caught for c in found if c.forecaster == name)}" for name in names]
    return (
        f"Caught, of the {total} planted: {', '.join(parts)}. An anomaly counts as caught when one of its "
        f"first {WITHIN} steps is flagged."
    )


FLAGS = {  # TrainConfig field -> CLI option (lstm_vault.__main__)
    "arch": "--arch",
    "hidden_size": "--hidden-size",
    "num_layers": "--num-layers",
    "batch_size": "--batch-size",
    "lr": "--lr",
    "steps": "--steps",
    "clip": "--clip",
    "forget_bias": "--forget-bias",
}


def retrain_command(meta: dict, out: str) -> str | None:
    """The ``python -m lstm_vault train`` command that trains this model again (its recorded settings that
    differ from the defaults, and its seed), or None when the file does not record them."""
    from .train_config import TrainConfig

    config = (meta.get("training") or {}).get("config")
    if not isinstance(config, dict) or "task" not in config:
        return None
    defaults = TrainConfig()
    parts = ["python -m lstm_vault train", f"--task {config['task']}"]
    for key, value in sorted((config.get("task_options") or {}).items()):
        parts.append(f"--length {value}" if key == "length" else f"--task-option {key}={value}")
    for field, option in FLAGS.items():
        if field in config and config[field] != getattr(defaults, field):
            parts.append(f"{option} {0 if config[field] is None else config[field]}")
    parts += [f"--seed {config.get('seed', defaults.seed)}", f"--out {out}"]
    return " ".join(parts)


def train_page_recipe(meta: dict) -> str | None:
    """How to train this model again on the Train page: its task and the settings that differ from the
    page's starting values (``train_config.SETTINGS``), or None when the file does not record them."""
    from .tasks import TASKS
    from .train_config import SETTINGS, TrainConfig

    config = (meta.get("training") or {}).get("config")
    if not isinstance(config, dict) or config.get("task") not in TASKS:
        return None
    defaults = TrainConfig()
    changed = [
        f"{s.label} = {config[s.name]}"
        for s in SETTINGS
        if s.name in config and (s.name == "seed" or config[s.name] != getattr(defaults, s.name, None))
    ]
    return (
        f"On the Train page, pick the task **{TASKS[config['task']].title}** and set "
        f"{', '.join(changed)}, the rest as they start: the model it trains is offered here."
    )


def no_forecast_note(found: list[Catch], dates) -> str | None:
    """Names the planted anomalies a forecaster makes no forecast for (its first steps), or None."""
    missing = [c for c in found if np.isnan(c.excess)]
    if not missing:
        return None
    parts = [
        f"the {c.forecaster} has none for the {describe(c.anomaly, dates, '')} at {dates[c.anomaly.start]}"
        for c in missing
    ]
    return (
        "A forecaster makes no forecast for its first steps (it needs a window, or last season, to "
        f"repeat), so it cannot catch an anomaly there: {'; '.join(parts)}."
    )
