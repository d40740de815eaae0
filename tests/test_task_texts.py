"""What the tasks and assets/README.md say is true: each number in a task's text, recomputed from the data.

Each test reads the shipped files (or draws batches) on its own, without the library's helpers, and compares
the sentence the app shows with the value it computes.
"""

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lstm_vault.tasks import HELD_OUT, Adding, get_task

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"


def read_csv(name: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader((ASSETS / name).read_text(encoding="utf-8").splitlines()))
    return [row[0] for row in rows[1:]], np.array([float(row[1]) for row in rows[1:]])


def split_of(n: int) -> int:
    return n - math.ceil(0.15 * n)


# ----------------------------------------------------------------------------- synthetic tasks


def test_adding_text_and_docstring_cite_the_variant_the_code_draws():
    task = get_task("adding", length=21)
    batch = task.batch(4096, np.random.default_rng(0))
    values, marks = batch.x[:, :, 0], batch.x[:, :, 1]
    first = marks.argmax(axis=0)  # (B,) the earlier mark
    # Arjovsky, Shah & Bengio (2016): values in [0, 1], one mark in each half
    assert values.min() >= 0 and values.max() < 1
    assert first.max() < 21 // 2 and (marks[21 // 2 :].sum(axis=0) == 1).all()
    text = task.description()
    assert "one among the first 10 and one among the last 11" in text
    assert f"can be up to {21 - 1 - first.min()} steps in the past" in text  # a mark at step 0 is T - 1 back
    for where in (text, " ".join(Adding.__doc__.split())):
        assert "Arjovsky, Shah & Bengio (2016)" in where and "Hochreiter & Schmidhuber" in where
    assert "experiment 4)" not in Adding.__doc__.splitlines()[0]  # no longer cited as the 1997 task itself


def test_copy_text_counts_the_delay_the_distance_and_the_examples():
    T, K, S = 17, 3, 4
    task = get_task("copy", length=T, n_symbols=K, seq_len=S)
    batch = task.batch(64, np.random.default_rng(0))
    ids = batch.x.argmax(axis=-1)[:, 0]
    blanks = int((ids[S : list(ids).index(K + 1)] == K).sum())  # blanks between the symbols and the cue
    shown_at = 0  # symbol 0 is shown at step 0 and is the first target, at the first masked step
    recalled_at = int(np.flatnonzero(batch.mask[:, 0])[0])
    text = task.description()
    assert f"then {blanks} blank steps, then a cue" in text
    assert f"each must survive {recalled_at - shown_at} steps in the state" in text
    assert f"only {K**S:,} different examples, so they can turn up in training too" in task.held_out()
    assert (
        "fades over that distance" not in text
    )  # the RNN's gradient *can* fade: the page does not measure it
    assert "can fade" in text and "when its forget gates stay near 1" in text


def test_next_number_text_gives_the_ranges_the_batches_show():
    task = get_task("next-number", window=3)
    batch = task.batch(20_000, np.random.default_rng(0))
    seq = np.rint(np.concatenate([batch.x[:, :, 0], batch.y.T]) * 10).astype(int)  # (4, B) whole numbers
    starts, steps = seq[0], seq[1] - seq[0]
    text = task.description()
    assert f"by a fixed whole step from {steps.min()} to {steps.max()}" in text
    assert f"starts at a whole number from {starts.min()} to {starts.max()}" in text
    assert "Numbers are divided by 10 on the way in" in text
    distinct = len({tuple(col) for col in seq.T})
    assert f"only {distinct} different examples" in task.held_out()

    one = get_task("next-number", window=1)
    # with one number shown, E[next | number] = number + E[step] = number: persistence, the baseline
    assert steps.mean() == pytest.approx(0, abs=0.05)
    assert "the best guess is the number itself, which is the baseline" in one.description()
    assert one.baseline_loss() == pytest.approx(np.mean((steps / 10.0) ** 2), rel=0.03)


def test_sine_text_gives_its_settings_and_the_noise_floor():
    task = get_task("sine", length=20, noise=0.2)
    text = task.description()
    assert "a period between 8 and 40 steps" in text and "(standard deviation 0.2)" in text
    assert "no model can get below its variance, 0.04, on average" in text
    assert "variance" not in get_task("sine", noise=0.0).description()


def test_synthetic_held_out_text_says_where_examples_come_from():
    for name in ("adding", "sine"):
        assert (
            get_task(name).held_out()
            == "drawn from a random stream kept apart from the one that makes the training batches"
        )


# ----------------------------------------------------------------------------- shipped series and texts


@pytest.mark.parametrize(
    ("name", "file"), [("sunspots", "sunspots_monthly.csv"), ("co2", "co2_monthly.csv"), ("nile", "nile.csv")]
)
def test_series_text_counts_values_and_the_split(name, file):
    _, values = read_csv(file)
    n, split = len(values), split_of(len(values))
    task = get_task(name)
    text = task.description()
    assert f"({n:,} values)" in text
    assert (
        f"It trains on the first {split:,} values and is validated on the last {n - split:,} "
        f"({round(100 * (n - split) / n)} %)" in text
    )
    assert task.held_out() == f"from the last {n - split:,} values of the series, which training never sees"


def test_co2_text_counts_the_held_out_months_above_every_training_value():
    dates, values = read_csv("co2_monthly.csv")
    split = split_of(len(values))
    top, tail = values[:split].max(), values[split:]
    above = int(sum(v > top for v in tail))
    assert (above, len(tail)) == (59, 79)  # so 20 held-out months are at or below the training maximum
    for length in (1, 12, 24, 39):
        targets = tail[length:]  # the first validation window reads the first `length` held-out months
        hits = int(sum(v > top for v in targets))
        sentence = (
            f"{above} of the {len(tail)} held-out months lie above the highest training value "
            f"({top:g} ppmv), and {hits} of the {len(targets)} months the model is asked to predict do."
        )
        assert sentence in get_task("co2", length=length).description()
    assert "higher than any training value" not in get_task("co2").description()


def test_co2_has_a_yearly_cycle_on_a_rising_trend():
    _, values = read_csv("co2_monthly.csv")
    train = values[: split_of(len(values))]
    t = np.arange(len(train))
    assert np.polyfit(t, train, 1)[0] > 0  # rising
    rest = train - np.polyval(np.polyfit(t, train, 2), t)
    lags = np.arange(6, 19)
    corr = [np.corrcoef(rest[:-k], rest[k:])[0, 1] for k in lags]
    assert lags[int(np.argmax(corr))] == 12  # repeats every 12 months
    assert "A yearly cycle rides on a rising trend" in get_task("co2").description()


def test_sunspots_text_names_the_strongest_period_of_the_training_part():
    _, values = read_csv("sunspots_monthly.csv")
    x = values[: split_of(len(values))]
    x = x - x.mean()
    N, t = len(x), np.arange(len(x))
    k = np.arange(1, N // 2 + 1)[:, None]  # every Fourier frequency k / N, by direct sums
    power = (np.cos(2 * np.pi * k * t / N) @ x) ** 2 + (np.sin(2 * np.pi * k * t / N) @ x) ** 2
    period = N / k[int(np.argmax(power)), 0]
    assert 10 * 12 < period < 12 * 12  # the solar cycle, about 11 years
    head = (
        f"The solar cycle is about {period / 12:.0f} years long "
        f"(the strongest period in the training part is {period:.0f} months)"
    )
    assert f"{head}, longer than this window of 36 months" in get_task("sunspots", length=36).description()
    assert (
        f"{head}: this window of 200 months spans a whole cycle"
        in get_task("sunspots", length=200).description()
    )


def test_nile_text_counts_the_training_years_and_windows():
    _, values = read_csv("nile.csv")
    split = split_of(len(values))
    task = get_task("nile", length=5)
    windows = sum(1 for start in range(split) if start + 5 < split)  # window and target before the split
    assert f"Only {split} years to train on ({windows} windows)" in task.description()


@pytest.mark.parametrize("source", ["sonnets", "python"])
def test_text_description_counts_characters(source):
    text = (ASSETS / {"sonnets": "sonnets.txt", "python": "python_stdlib.txt"}[source]).read_text(
        encoding="utf-8"
    )
    task = get_task("text", source=source, length=16)
    assert f"({len(text):,} characters, {len(set(text))} distinct)" in task.description()
    assert "At each of 16 steps" in task.description()


# ----------------------------------------------------------------------------- assets/README.md


def test_assets_readme_numbers_match_the_files():
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    for file in ("sunspots_monthly.csv", "co2_monthly.csv", "nile.csv"):
        dates, values = read_csv(file)
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{file}`"))
        assert f"{dates[0]} to {dates[-1]} ({len(values):,} rows" in row or (
            f"{dates[0]}-{dates[-1]} ({len(values):,} rows" in row
        ), row
    for file in ("sonnets.txt", "python_stdlib.txt"):
        text = (ASSETS / file).read_text(encoding="utf-8")
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{file}`"))
        assert text.isascii() and "\t" not in text
        assert f"ASCII, {len(text):,} characters" in row, row
    assert (
        f"the first {100 * (1 - HELD_OUT):.0f} % is training data, the last {100 * HELD_OUT:.0f} %" in readme
    )


def test_assets_readme_interpolated_co2_months_lie_on_straight_lines():
    dates, values = read_csv("co2_monthly.csv")
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    months = re.search(r"Five months have no weekly\s+value at all \(([^)]*)\)", readme)[1].split(", ")
    assert len(months) == 5
    for month in months:
        i = dates.index(month)
        lo = i - 1
        while dates[lo] in months:
            lo -= 1
        hi = i + 1
        while dates[hi] in months:
            hi += 1
        line = values[lo] + (values[hi] - values[lo]) * (i - lo) / (hi - lo)
        assert values[i] == pytest.approx(line, abs=0.006), month  # linear, rounded to 0.01 ppmv


def test_assets_readme_says_how_the_texts_were_made():
    readme = " ".join((ASSETS / "README.md").read_text(encoding="utf-8").split())
    sonnets = (ASSETS / "sonnets.txt").read_text(encoding="utf-8")
    assert "trailing spaces stripped from each line, one final newline" in readme
    assert not any(line.endswith(" ") for line in sonnets.split("\n"))
    assert sonnets.endswith("\n") and not sonnets.endswith("\n\n")
    code = (ASSETS / "python_stdlib.txt").read_text(encoding="utf-8")
    headers = re.findall(r"^# ==== Lib/(\w+)\.py \(CPython 3\.11\.7\) ====\n\n", code, flags=re.M)
    listed = re.search(
        r"eight modules of the Python 3\.11\.7 standard library, concatenated: ([^(]*) \(", readme
    )
    assert headers == re.findall(r"`(\w+)`", listed[1]) and len(headers) == 8
