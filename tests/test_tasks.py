"""Tasks: shapes, determinism by seed, known answers, computed baselines, held-out splits, option errors."""

import json
import math
from dataclasses import fields

import numpy as np
import pytest

from lstm_vault.tasks import (
    TASKS,
    OptionError,
    get_task,
    load_series,
    load_text,
    options_text,
    task_names,
    windows,
)

ALL = [
    ("adding", {"length": 12}),
    ("copy", {"length": 15, "n_symbols": 5, "seq_len": 3}),
    ("next-number", {"window": 4}),
    ("sine", {"length": 20, "noise": 0.2}),
    ("sunspots", {"length": 24}),
    ("co2", {"length": 12}),
    ("nile", {"length": 4}),
    ("text", {"source": "sonnets", "length": 16}),
    ("text", {"source": "python", "length": 16}),
]


def test_registry_lists_every_task():
    assert task_names() == [
        "adding",
        "copy",
        "next-number",
        "sine",
        "sunspots",
        "co2",
        "nile",
        "text",
        "csv",
    ]


@pytest.mark.parametrize(("name", "options"), ALL)
def test_shapes_dtypes_and_metadata(name, options):
    task = get_task(name, **options)
    B, T, n_in, n_out = 7, task.length, task.input_size, task.output_size
    for batch in (task.batch(B, np.random.default_rng(0)), task.validation(B, seed=0)):
        assert batch.x.shape == (T, B, n_in)
        assert batch.x.dtype == np.float32
        assert np.isfinite(batch.x).all()
        if task.target == "last":
            assert batch.mask is None
            assert batch.y.shape == (B, n_out)
            assert batch.y.dtype == np.float32
        else:
            assert batch.y.shape == (T, B)
            assert batch.y.dtype == np.int64
            assert batch.mask is None or (batch.mask.shape == (T, B) and batch.mask.dtype == bool)
        if task.loss == "ce":
            assert batch.y.min() >= 0
            assert batch.y.max() < n_out
    assert task.loss in ("mse", "ce")
    assert task.target in ("last", "all")
    assert task.title
    assert task.baseline_description
    assert task.description()
    assert task.options() == options
    assert get_task(name, **task.options()) == task
    json.dumps(task.encoding())
    assert math.isfinite(task.baseline_loss())
    assert task.baseline_loss() > 0


@pytest.mark.parametrize(("name", "options"), ALL)
def test_same_seed_same_batch_other_seed_other_batch(name, options):
    task = get_task(name, **options)
    a, b = (task.batch(16, np.random.default_rng(3)) for _ in range(2))
    c = task.batch(16, np.random.default_rng(4))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    np.testing.assert_array_equal(task.validation(16, 5).x, task.validation(16, 5).x)
    assert not np.array_equal(task.validation(16, 5).x, task.validation(16, 6).x)


def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = get_task("adding", length=21)
    batch = task.batch(256, np.random.default_rng(0))
    assert batch.x.shape == (21, 256, 2)
    values, markers = batch.x[:, :, 0], batch.x[:, :, 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    # one marker in [0, T // 2) and one in [T // 2, T)
    assert (markers[:10].sum(axis=0) == 1).all()
    assert (markers[10:].sum(axis=0) == 1).all()
    np.testing.assert_array_equal(batch.y[:, 0], (values * markers).sum(axis=0))


def test_adding_baseline_is_one_sixth_and_matches_a_large_sample():
    task = get_task("adding", length=10)
    assert task.baseline_loss() == pytest.approx(1 / 6)
    y = task.batch(200_000, np.random.default_rng(1)).y
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=3e-3)


def test_copy_targets_and_mask_are_the_symbols_shown_before_the_delay():
    T, K, S = 15, 5, 3
    task = get_task("copy", length=T, n_symbols=K, seq_len=S)
    batch = task.batch(64, np.random.default_rng(0))
    ids = batch.x.argmax(axis=-1)  # (T, B)
    assert (batch.x.sum(axis=-1) == 1).all()  # exactly one channel on per step
    shown = ids[:S]
    assert (shown < K).all()
    assert (ids[S : T - S - 1] == K).all()  # blanks during the delay
    assert (ids[T - S - 1] == K + 1).all()  # the cue
    assert (ids[T - S :] == K).all()  # blank inputs while recalling
    expected_mask = np.zeros((T, 64), dtype=bool)
    expected_mask[T - S :] = True
    np.testing.assert_array_equal(batch.mask, expected_mask)
    np.testing.assert_array_equal(batch.y[T - S :], shown)
    assert task.baseline_loss() == pytest.approx(math.log(K))
    assert task.input_size == K + 2
    assert task.output_size == K


def test_next_number_windows_of_one_to_ten_are_exact():
    x, y = windows(range(1, 11), 3)
    assert x.shape == (3, 7, 1)
    assert y.shape == (7, 1)
    for k in range(7):
        assert x[:, k, 0].tolist() == [k + 1, k + 2, k + 3]
        assert y[k, 0] == k + 4
    scale = get_task("next-number").encoding()["scale"]
    xs, ys = windows(range(1, 11), 3, scale=scale)
    np.testing.assert_allclose(xs * scale, x, rtol=1e-6)
    np.testing.assert_allclose(ys * scale, y, rtol=1e-6)
    with pytest.raises(ValueError, match="need more numbers than the window"):
        windows([1, 2, 3], 3)


def test_next_number_batches_are_arithmetic_and_baseline_is_persistence():
    task = get_task("next-number", window=3)
    batch = task.batch(100_000, np.random.default_rng(0))
    scale = task.encoding()["scale"]
    seq = np.concatenate([batch.x[:, :, 0], batch.y.T]) * scale  # (4, B) real numbers
    np.testing.assert_allclose(seq, np.round(seq), atol=1e-4)  # integers
    steps = np.diff(seq, axis=0)
    np.testing.assert_allclose(steps, steps[:1].repeat(3, axis=0), atol=1e-4)
    persistence = np.mean((batch.y[:, 0] - batch.x[-1, :, 0]) ** 2)
    assert persistence == pytest.approx(task.baseline_loss(), rel=0.02)


def test_sine_baseline_formula_matches_monte_carlo():
    task = get_task("sine", length=10, noise=0.2)
    batch = task.batch(200_000, np.random.default_rng(0))
    persistence = np.mean((batch.y[:, 0] - batch.x[-1, :, 0]) ** 2)
    assert persistence == pytest.approx(task.baseline_loss(), rel=0.02)


@pytest.mark.parametrize(("name", "length"), [("sunspots", 24), ("co2", 12), ("nile", 4)])
def test_series_validation_never_overlaps_training(name, length):
    task = get_task(name, length=length)
    _, raw = load_series(name)
    enc = task.encoding()
    z = (raw - enc["offset"]) / enc["scale"]
    split = len(z) - math.ceil(0.15 * len(z))
    assert abs(z[:split].mean()) < 1e-9
    assert z[:split].std() == pytest.approx(1.0)

    def positions(batch):
        """Start index of each window in the series (values can repeat, so match all)."""
        seq = np.concatenate([batch.x[:, :, 0], batch.y.T]).T  # (B, T + 1)
        all_windows = np.lib.stride_tricks.sliding_window_view(z, length + 1)
        close = np.isclose(all_windows[None], seq[:, None], atol=1e-5).all(axis=-1)
        assert close.any(axis=1).all()
        return [set(np.flatnonzero(row)) for row in close]

    train = positions(task.batch(100, np.random.default_rng(0)))
    valid = positions(task.validation(100, seed=0))
    assert all(min(s) + length < split for s in train)  # the target too is before split
    assert all(max(s) >= split for s in valid)
    assert task.n_validation == len(z) - split - length
    targets = np.arange(split + length, len(z))
    assert task.baseline_loss() == pytest.approx(np.mean((z[targets] - z[targets - 1]) ** 2))


@pytest.mark.parametrize("source", ["sonnets", "python"])
def test_text_validation_comes_from_the_held_out_tail(source):
    task = get_task("text", source=source, length=32)
    text = load_text(source)
    vocab = task.encoding()["vocab"]
    assert vocab == "".join(sorted(set(text)))
    split = len(text) - math.ceil(0.15 * len(text))

    def strings(batch):
        first = np.array(list(vocab))[batch.x.argmax(axis=-1)[0]]  # the first input char
        rest = np.array(list(vocab))[batch.y]  # (T, B): the next chars
        return ["".join([f, *col]) for f, col in zip(first, rest.T, strict=True)]

    train, valid = text[:split], text[split:]
    assert all(s in train for s in strings(task.batch(64, np.random.default_rng(0))))
    assert all(s in valid for s in strings(task.validation(64, seed=0)))
    batch = task.batch(8, np.random.default_rng(1))
    np.testing.assert_array_equal(batch.x.argmax(axis=-1)[1:], batch.y[:-1])  # y is x shifted
    # the baseline: the training text's character frequencies, scored on every held-out target character
    assert set(valid) <= set(train)  # so that score is finite
    frequency = {ch: train.count(ch) / split for ch in set(train)}
    expected = -np.mean([math.log(frequency[ch]) for ch in valid[1:]])
    assert task.baseline_loss() == pytest.approx(expected, rel=1e-12)
    assert (
        task.held_out() == f"from the last {len(valid):,} characters of the text, which training never sees"
    )


def test_loaders_read_the_shipped_files():
    dates, values = load_series("nile")
    assert (dates[0], dates[-1], len(values)) == ("1871", "1970", 100)
    assert values.dtype == np.float64
    assert values[0] == 1120
    dates, values = load_series("sunspots")
    assert dates[0] == "1749-01"
    assert len(dates) == len(values) == 3120
    assert load_text("sonnets").isascii()
    assert load_text("python").isascii()
    with pytest.raises(ValueError, match="choose one of: sunspots, co2, nile"):
        load_series("dow")
    with pytest.raises(ValueError, match="choose one of: sonnets, python"):
        load_text("bible")


def test_unknown_names_and_options_name_the_valid_choices():
    with pytest.raises(ValueError, match="unknown task 'addding'; choose one of: adding"):
        get_task("addding")
    with pytest.raises(ValueError, match="its options are: length"):
        get_task("adding", lenght=5)
    with pytest.raises(ValueError, match=r"'length' must be an integer in \[2, 10000\]"):
        get_task("adding", length=1)
    with pytest.raises(ValueError, match=r"'length' must be an integer in \[7, 10000\]"):
        get_task("copy", seq_len=3, length=6)
    with pytest.raises(ValueError, match=r"'noise' must be a number in \[0.0, 1.0\]"):
        get_task("sine", noise="lots")
    with pytest.raises(ValueError, match="'source' must be one of: sonnets, python"):
        get_task("text", source="bible")
    with pytest.raises(ValueError, match=r"'length' must be an integer in \[1, 7\]"):
        get_task("nile", length=8)
    with pytest.raises(ValueError, match="batch size must be a positive integer"):
        get_task("adding").batch(0, np.random.default_rng(0))


def test_a_validation_batch_larger_than_the_tail_covers_every_window_evenly():
    task = get_task("nile", length=5)
    batch = task.validation(25, seed=0)  # 10 distinct windows, each 2 or 3 times
    _, counts = np.unique(batch.x[0, :, 0], return_counts=True)
    assert len(counts) == task.n_validation == 10
    assert set(counts) <= {2, 3}


# ------------------------------------------------------------------------------------------
# options, declared once: what the task checks is what the Train page offers and says


@pytest.mark.parametrize("name", list(TASKS))
def test_every_option_is_declared_with_a_label_a_help_and_bounds_its_default_meets(name):
    cls = TASKS[name]
    specs = cls.option_specs()
    # one declaration per option, in field order; the user's CSV task also names its data (no widget)
    data_fields = ("data", "inputs", "target_column", "file") if name == "csv" else ()
    assert [s.name for s in specs] == [f.name for f in fields(cls) if f.name not in data_fields]
    for spec in specs:
        assert spec.label and "_" not in spec.label and len(spec.help) > 20, spec
        assert spec.check(name, spec.default) == spec.default
        if spec.choices:
            assert spec.default in dict(spec.choices)
        else:
            low, high = spec.offered
            assert low <= spec.default <= high <= spec.high
            assert isinstance(spec.default, int) == spec.integer and spec.step > 0


def test_an_option_error_names_the_option_for_code_and_its_label_for_people():
    with pytest.raises(OptionError) as caught:
        get_task("copy", seq_len=15)  # needs a length of at least 31; the default is 20
    assert str(caught.value) == "task 'copy': option 'length' must be an integer in [31, 10000], got 20"
    assert caught.value.sentence == "Sequence length must be an integer in [31, 10000], got 20"
    with pytest.raises(OptionError) as caught:
        get_task("copy", n_symbols=1.5)
    assert caught.value.sentence == "Alphabet size must be an integer in [2, 64], got 1.5"
    with pytest.raises(OptionError) as caught:
        get_task("text", source="bible")
    assert caught.value.sentence == "Text must be one of: sonnets, python, got 'bible'"


def test_options_read_by_their_labels_and_titles():
    assert options_text("text", {"source": "sonnets", "length": 64}) == (
        "text Shakespeare's Sonnets, sequence length 64"
    )
    assert get_task("copy").options_text() == "sequence length 20, alphabet size 8, symbols to remember 5"
    # a model file's task or option that this version does not know keeps its own name
    assert options_text("copy", {"n_symbols": 4, "max_delay": 9}) == "alphabet size 4, max delay 9"
    assert options_text("morse", {"dots": 3}) == "dots 3"


def test_a_link_s_text_is_a_value_within_what_the_train_page_offers():
    (length,) = TASKS["adding"].option_specs()
    assert length.offered == (2, 1000) and length.high == 10_000  # a CPU run cannot afford 10,000 steps
    assert length.parse("50") == 50 and isinstance(length.parse("50.0"), int)
    assert length.parse("2.9") == 2  # as Streamlit's integer widget reads it
    for text in ("5000", "1", "1.9", "nan", "inf", "fifty", ""):
        with pytest.raises(ValueError):
            length.parse(text)
    noise = TASKS["sine"].option_specs()[1]
    assert noise.parse("0.25") == 0.25
    with pytest.raises(ValueError):
        noise.parse("1.5")
    source = TASKS["text"].option_specs()[0]
    assert source.parse("python") == "python" and source.title("python") == "Python standard library source"
    with pytest.raises(ValueError):
        source.parse("Python standard library source")  # a link names the text, not its title
