"""The input presets: shapes, determinism by seed, known values, a clear ValueError for every bad request."""

import numpy as np
import pytest

from lstm_vault.sequences import MAX_LENGTH, PRESETS, make_sequence, preset_names


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
