"""The input presets: shapes, determinism by seed, known values, a clear ValueError for every bad request."""

import numpy as np
import pytest

from lstm_vault.sequences import (
    MAX_LENGTH,
    MAX_SEED,
    PRESETS,
    check_seed,
    make_sequence,
    parse_whole,
    preset_label,
    preset_names,
)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_has_its_default_length_and_is_finite(name):
    x = make_sequence(name)
    assert x.shape == (PRESETS[name].default_length,)
    assert x.dtype == np.float64 and np.all(np.isfinite(x))
    assert PRESETS[name].title and PRESETS[name].description


@pytest.mark.parametrize("name", preset_names())
@pytest.mark.parametrize("length", [1, 2, 500, MAX_LENGTH])
def test_every_preset_makes_any_length_up_to_the_cap(name, length):
    assert make_sequence(name, length).shape == (length,)


@pytest.mark.parametrize("name", preset_names())
def test_same_seed_same_sequence_and_only_random_presets_depend_on_it(name):
    a, b, c = (
        make_sequence(name, 50, seed=1),
        make_sequence(name, 50, seed=1),
        make_sequence(name, 50, seed=2),
    )
    np.testing.assert_array_equal(a, b)
    assert (not np.array_equal(a, c)) == PRESETS[name].random


def test_known_values():
    np.testing.assert_array_equal(make_sequence("counting"), np.arange(1, 11))  # the classic 1..10
    np.testing.assert_allclose(make_sequence("counting", 4, scale=0.1), [0.1, 0.2, 0.3, 0.4])
    impulse = make_sequence("impulse", 50, at=7)
    assert impulse[7] == 1.0 and impulse.sum() == 1.0
    step = make_sequence("step", 20, at=5)
    assert step[:5].sum() == 0 and np.all(step[5:] == 1)
    sine = make_sequence("sine", 100, period=20)
    np.testing.assert_allclose(sine[[0, 5, 10, 15]], [0, 1, 0, -1], atol=1e-12)
    square = make_sequence("square", 20, period=10)
    np.testing.assert_array_equal(square[:10], [1] * 5 + [-1] * 5)
    noise = make_sequence("noise", 2000, seed=0)
    assert abs(noise.mean()) < 0.1 and 0.9 < noise.std() < 1.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "nope"}, "unknown preset 'nope'"),
        ({"name": "sine", "length": 0}, "from 1 to 2000"),
        ({"name": "sine", "length": MAX_LENGTH + 1}, "from 1 to 2000"),
        ({"name": "sine", "length": 3.5}, "whole number"),
        ({"name": "sine", "length": True}, "whole number"),
        ({"name": "sine", "amplitud": 2}, "has no option 'amplitud'"),
        ({"name": "sine", "period": 0}, "period must be positive"),
        ({"name": "sine", "amplitude": float("nan")}, "finite number"),
    ],
)
def test_bad_requests_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_sequence(**kwargs)


@pytest.mark.parametrize("length", [1, 10, 60, MAX_LENGTH])
def test_a_presets_label_says_what_the_made_sequence_is(length):
    """The caption is read from the values: a preset stretched to 2,000 steps is not called '1 to 10'."""
    x = make_sequence("counting", length)
    counted = f"{int(x[0]):,}" if length == 1 else f"{int(x[0]):,} to {int(x[-1]):,}"
    assert preset_label("counting", x) == f"Counting {counted}, T = {length}"
    assert "10" not in PRESETS["counting"].title  # the title names no end: the length sets it
    impulse = make_sequence("impulse", length)
    spike = int(np.flatnonzero(impulse)[0])
    assert preset_label("impulse", impulse) == f"Impulse: 1 at t = {spike}, 0 elsewhere, T = {length}"
    step = make_sequence("step", length)
    on = int(np.flatnonzero(step)[0])
    expected = "1 at every step" if on == 0 else f"0, then 1 from t = {on} on"
    assert preset_label("step", step) == f"Step: {expected}, T = {length}"
    noisy = make_sequence("noisy_sine", length, seed=7)
    options = PRESETS["noisy_sine"].params
    assert preset_label("noisy_sine", noisy, seed=7) == (
        f"Noisy sine wave: period {options['period']:g}, amplitude {options['amplitude']:g}, "
        f"noise sd {options['noise']:g}, seed 7, T = {length}"
    )
    assert preset_label("counting", make_sequence("counting", 3, start=-2)) == "Counting \u22122 to 0, T = 3"


def test_preset_descriptions_quote_their_own_options():
    period = PRESETS["sine"].params["period"]
    assert f"a period of {period:g} steps" in PRESETS["sine"].description
    sine = make_sequence("sine", 200)
    np.testing.assert_allclose(sine[: int(2 * period)], sine[int(period) : int(3 * period)], atol=1e-12)
    half = PRESETS["square"].params["period"] / 2
    assert f"every {half:g} steps" in PRESETS["square"].description
    square = make_sequence("square", 100)
    assert np.flatnonzero(np.diff(square))[0] + 1 == int(np.ceil(half))  # the first jump
    assert (
        f"standard deviation {PRESETS['noisy_sine'].params['noise']:g}" in PRESETS["noisy_sine"].description
    )
    assert f"standard deviation {PRESETS['noise'].params['sd']:g}" in PRESETS["noise"].description


def test_a_link_s_whole_numbers_and_seeds_are_read_or_refused_with_the_text_quoted():
    assert parse_whole(" 60 ") == 60 and parse_whole("-3") == -3
    for text in ("abc", "2.5", "", "1e3"):
        with pytest.raises(ValueError, match=f"{text!r} is not a whole number"):
            parse_whole(text)
    assert check_seed(0) == 0 and check_seed(MAX_SEED) == MAX_SEED == 2**31 - 1
    for seed in (-1, MAX_SEED + 1, 2.0, True):
        with pytest.raises(ValueError, match=f"the seed must be from 0 to {MAX_SEED}, got"):
            check_seed(seed)
    np.testing.assert_array_equal(
        make_sequence("noise", 5, seed=MAX_SEED), make_sequence("noise", 5, seed=MAX_SEED)
    )
