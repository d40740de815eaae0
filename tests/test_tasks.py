"""The task generators give the documented shapes, are deterministic by seed, and know their answers and baselines."""

import numpy as np
import pytest

from lstm_vault.tasks import get_task, task_names


def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = get_task("adding", length=20)
    batch = task.batch(256, np.random.default_rng(0))
    assert batch.x.shape == (20, 256, 2) and batch.x.dtype == np.float32
    assert batch.y.shape == (256, 1) and batch.y.dtype == np.float32
    markers = batch.x[:, :, 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:10].sum(axis=0) == 1).all() and (
        markers[10:].sum(axis=0) == 1
    ).all()
    np.testing.assert_array_equal(
        batch.y[:, 0], (batch.x[:, :, 0] * markers).sum(axis=0)
    )


def test_adding_baseline_is_one_sixth_and_matches_a_large_sample():
    task = get_task("adding", length=10)
    assert task.baseline_loss() == pytest.approx(1 / 6)
    y = task.batch(200_000, np.random.default_rng(1)).y
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=3e-3)


def test_unknown_names_and_options_name_the_valid_choices():
    with pytest.raises(ValueError, match="choose one of: .*adding"):
        get_task("addding")
    with pytest.raises(ValueError, match="its options are: length"):
        get_task("adding", lenght=5)
    with pytest.raises(ValueError, match=r"integer in \[2, 10000\]"):
        get_task("adding", length=1)
    assert "adding" in task_names()
