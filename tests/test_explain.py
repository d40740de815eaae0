"""explain: equations use the code's symbols; every number in a reading is the trace's, in matching words."""

import math

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, RNN
from lstm_vault.cells import GATES
from lstm_vault.explain import (
    EQUATIONS,
    fmt,
    fmt_gate,
    fmt_half_life,
    half_life,
    keep_gate_stats,
    latex_block,
    pct,
    readings,
    step_values,
    summary,
)


def logit(p):
    return math.log(p / (1 - p))


def constant_gates_lstm(f=0.93, i=0.41, g=-0.55, o=0.12, H=2):
    """An LSTM with zero weights, so every step has exactly these gate values (the biases give them)."""
    model = LSTM(1, H, seed=0)
    model = model.load_params({k: np.zeros_like(v) for k, v in model.params.items()})
    return model.with_gate_biases({"i": logit(i), "f": logit(f), "g": math.atanh(g), "o": logit(o)})


def test_equations_name_the_code_symbols():
    for arch, equations in EQUATIONS.items():
        symbols = [eq.symbol for eq in equations]
        assert set(GATES[arch]) <= set(symbols) and symbols[-1] == "h"
        block = latex_block(arch)
        assert block.startswith(r"\begin{aligned}") and block.count("&=") == len(equations)
        for eq in equations:
            assert eq.latex.startswith(f"{eq.symbol}_t = ") and eq.meaning and eq.name
    assert [eq.symbol for eq in EQUATIONS["lstm"]] == ["f", "i", "g", "o", "c", "h"]
    assert r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t" in latex_block("lstm")
    with pytest.raises(ValueError, match="unknown arch"):
        latex_block("transformer")


def test_step_values_are_the_trace_values():
    x = np.random.default_rng(0).standard_normal((12, 1, 1))
    lt = LSTM(1, 5, seed=3).forward(x)[2].layers[0][0]
    t, u = 7, 2
    v = step_values(lt, t, u)
    for name in ("f", "i", "g", "o", "c", "h"):
        assert v[name] == getattr(lt, name)[t, 0, u]
    assert v["c_prev"] == lt.c[t - 1, 0, u] and v["h_prev"] == lt.h[t - 1, 0, u] and v["x"] == x[t, 0, 0]
    assert v["kept"] == pytest.approx(v["f"] * v["c_prev"]) and v["written"] == pytest.approx(v["i"] * v["g"])
    assert v["c"] == pytest.approx(v["kept"] + v["written"]) and v["h"] == pytest.approx(
        v["o"] * math.tanh(v["c"])
    )
    assert step_values(lt, 0, u)["c_prev"] == 0.0  # c_{-1} is the zero initial state


def test_readings_say_what_each_gate_did_with_the_trace_numbers():
    lt = constant_gates_lstm().forward(np.zeros((3, 1, 1)))[2].layers[0][0]
    c0 = 0.41 * -0.55  # step 0 starts from c = 0
    c1 = 0.93 * c0 + 0.41 * -0.55
    forget, write, cell, output = readings(lt, 1, unit=1)
    assert "kept 93% of unit 1's memory" in forget
    # the forget gate's product f·c_{t-1}, named as such; c_t itself is the cell-state line's
    assert f"f \u00d7 c\u209c\u208b\u2081 = 0.93 \u00d7 ({fmt(c0)}) = {fmt(0.93 * c0)};" in forget
    assert fmt(c1) not in forget and "c went" not in forget
    assert f"would halve in {half_life(0.93):.1f} steps" in forget
    assert (
        "wrote 41% of the candidate \u22120.55 into unit 1" in write
        and f"adding {fmt(0.41 * -0.55)}" in write
    )
    assert f"**{fmt(c1)}**" in cell and "step 2" in cell
    assert "showed 12% of tanh(c)" in output and f"h = **{fmt(0.12 * math.tanh(c1))}**" in output


def test_readings_of_a_random_lstm_quote_its_values():
    lt = LSTM(1, 3, seed=1).forward(np.linspace(-1, 1, 9).reshape(9, 1, 1))[2].layers[0][0]
    v = step_values(lt, 4, 2)
    text = " ".join(readings(lt, 4, 2))
    for key in ("c_prev", "kept", "g", "written", "c", "tanh_c", "h"):
        assert fmt(v[key]) in text, key
    for gate in "fio":
        assert pct(v[gate]) in text


def test_gru_and_rnn_readings():
    x = np.linspace(0, 1, 6).reshape(6, 1, 1)
    gru = GRU(1, 2, seed=0).forward(x)[2].layers[0][0]
    v = step_values(gru, 3, 1)
    text = " ".join(readings(gru, 3, 1))
    assert "Reset gate" in text and "Update gate" in text and fmt(v["h"]) in text and fmt(v["n"]) in text
    assert v["h"] == pytest.approx(v["kept"] + v["written"])
    rnn = RNN(1, 2, seed=0).forward(x)[2].layers[0][0]
    text = " ".join(readings(rnn, 3, 0))
    assert "No gates" in text and fmt(rnn.h[3, 0, 0]) in text
    z = gru.z[:, 0, 0]
    geometric = float(np.prod(z) ** (1 / len(z)))
    assert f"update gate ran from {fmt_gate(z.min())} to {fmt_gate(z.max())}" in summary(gru, 0)
    assert f"geometric mean of z, {fmt_gate(geometric)}" in summary(gru, 0)
    assert f"the old state halves {fmt_half_life(half_life(geometric))}" in summary(gru, 0)
    h = rnn.h[:, 0, 1]
    assert f"ranged from {fmt(h.min())} to {fmt(h.max())}" in summary(rnn, 1)
    assert readings(rnn, 3, 0)[1].endswith("not chosen at each step by a gate.")


def test_every_number_in_the_gru_and_rnn_readings_is_the_traces():
    x = np.linspace(-1, 1, 7).reshape(7, 1, 1)
    gru = GRU(1, 3, seed=2).forward(x)[2].layers[0][0]
    v = step_values(gru, 4, 2)
    reset, update, hidden = readings(gru, 4, 2)
    assert reset.startswith(f"**Reset gate** {fmt_gate(v['r'])}: the candidate saw {pct(v['r'])} of the old")
    assert f"came out as n = {fmt(v['n'])}." in reset
    assert update == (
        f"**Update gate** {fmt_gate(v['z'])}: kept {pct(v['z'])} of the old h = {fmt(gru.h[3, 0, 2])} "
        f"({fmt(v['z'] * gru.h[3, 0, 2])}) and took {pct(1 - v['z'])} of the candidate "
        f"({fmt((1 - v['z']) * v['n'])})."
    )
    assert f"**{fmt(gru.h[4, 0, 2])}**" in hidden
    rnn = RNN(1, 3, seed=2).forward(x)[2].layers[0][0]
    first, second = readings(rnn, 4, 1)
    assert (
        first
        == f"**No gates**: a vanilla RNN rewrites unit 1 at every step, h = tanh({fmt(rnn.a[4, 0, 1])}) = "
        + (f"**{fmt(np.tanh(rnn.a[4, 0, 1]))}**.")
    )
    assert f"the old h = {fmt(rnn.h[3, 0, 1])} only enters" in second


def test_the_last_steps_cell_state_is_carried_to_the_end_of_the_sequence_not_a_step_that_is_not_there():
    lt = constant_gates_lstm().forward(np.zeros((3, 1, 1)))[2].layers[0][0]
    assert readings(lt, 1, 0)[2].endswith("the memory carried to step 2.")
    assert readings(lt, 2, 0)[2].endswith("the memory carried to the end of the sequence.")
    assert "step 3" not in " ".join(readings(lt, 2, 0))


def test_a_forget_gate_of_0_wipes_the_memory_and_the_candidate_stays_within_minus_1_and_1():
    """The equations' meanings: f = 0 leaves only what is written (c = i·g); g = tanh(...) is in [-1, 1]."""
    lt = forget_gates_lstm([0.9, 0.0, 0.9])
    assert lt.f[1, 0, 0] == 0.0 and lt.c[1, 0, 0] == lt.i[1, 0, 0] * lt.g[1, 0, 0]
    assert "0 = wipe it, 1 = keep all of it" in EQUATIONS["lstm"][0].meaning
    big = (
        LSTM(1, 8, seed=0).forward(50 * np.random.default_rng(1).standard_normal((30, 1, 1)))[2].layers[0][0]
    )
    assert np.abs(big.g).max() <= 1.0 and "between -1 and 1" in EQUATIONS["lstm"][2].meaning


def forget_gates_lstm(f) -> object:
    """The trace of an LSTM whose unit 0 has the forget gate f_t = σ(x_t) at step t: W_if = 1 and every other
    weight and bias 0, fed x_t = logit(f_t) (-800 for f = 0: σ underflows to exactly 0)."""
    f = np.asarray(f, dtype=np.float64)
    model = LSTM(1, 1, seed=0)
    params = {k: np.zeros_like(v) for k, v in model.params.items()}
    params["weight_ih_l0"][1, 0] = 1.0  # torch order i, f, g, o: row 1 is the forget gate
    with np.errstate(divide="ignore"):
        x = np.where(f > 0, np.log(f) - np.log1p(-np.minimum(f, 1 - 1e-16)), -800.0)
    return model.load_params(params).forward(x.reshape(-1, 1, 1))[2].layers[0][0]


def longest_run_above(values, level):
    """(start, length) of the longest run of values > level, by grouping: another way than the library's."""
    from itertools import groupby

    best, t = (-1, 0), 0
    for above, run in groupby(values > level):
        n = len(list(run))
        if above and n > best[1]:
            best = (t, n)
        t += n
    return best


def test_summary_uses_the_geometric_mean_of_f_and_the_shipped_copy_model_is_the_example():
    """A memory decays by the product of f: the rate is its geometric mean, not the larger plain mean."""
    from pathlib import Path

    from lstm_vault import modelfile

    saved = modelfile.load(Path(__file__).resolve().parents[1] / "assets" / "models" / "copy_lstm.npz")
    x, _caption = saved.example(0)  # the input the Step through page shows with this model
    lt = saved.rnn.forward(x)[2].layers[0][0]
    for unit in range(lt.hidden_size):
        f = lt.f[:, 0, unit]
        text = summary(lt, unit)
        stats = keep_gate_stats(f)
        geometric = stats.geometric_mean  # 20 steps: the plain product does not underflow, so check it
        assert geometric == pytest.approx(float(np.prod(f) ** (1 / len(f))), rel=1e-12)
        assert f"geometric mean of f, {fmt_gate(geometric)}: at that rate a memory halves" in text
        assert f"halves {fmt_half_life(half_life(geometric))}." in text
        assert f"ran from {fmt_gate(f.min())} to {fmt_gate(f.max())}" in text
        assert geometric <= f.mean()  # AM-GM: the arithmetic mean would overstate the memory
        start, n = longest_run_above(f, 0.9)
        assert (stats.hold_start, stats.hold_steps) == (start, n)
        if 1 < n < len(f):
            assert stats.hold_kept == pytest.approx(float(np.prod(f[start : start + n])), rel=1e-12)
            kept = stats.hold_kept
            assert (
                f"above 0.9 for {n} steps in a row (t = {start} to {start + n - 1}), keeping {pct(kept)}"
                in text
            )
        resets = [t for t in range(len(f)) if f[t] < 0.1]
        assert ("It fell below 0.1" in text) == bool(resets)
        for t in resets:
            assert str(t) in text.split("It fell below 0.1")[1]
    # the example: unit 0 holds its memory for most steps, then wipes it; the arithmetic mean hid that
    f = lt.f[:, 0, 0]
    assert half_life(float(np.prod(f) ** (1 / len(f)))) < 0.5 * half_life(float(f.mean()))
    assert "It fell below 0.1" in summary(lt, 0) and "steps in a row" in summary(lt, 0)


def test_summary_is_log_safe_for_gates_that_underflow_or_whose_product_does():
    half = forget_gates_lstm(np.full(2000, 0.5))  # 0.5 ** 2000 underflows to 0; the geometric mean is 0.5
    f = half.f[:, 0, 0]
    assert np.prod(f) == 0.0 and keep_gate_stats(f).geometric_mean == pytest.approx(0.5, rel=1e-12)
    life = fmt_half_life(half_life(keep_gate_stats(f).geometric_mean))  # 1.0 or just under: not pinned
    assert f"geometric mean of f, 0.50: at that rate a memory halves {life}." in summary(half, 0)
    assert summary(half, 0).startswith("Over all 2,000 steps")
    wiped = forget_gates_lstm([0.99, 0.0, 0.99, 0.99])  # one gate at exactly 0: nothing survives the product
    assert wiped.f[1, 0, 0] == 0.0 and keep_gate_stats(wiped.f[:, 0, 0]).geometric_mean == 0.0
    text = summary(wiped, 0)
    assert "geometric mean of f, 0.00: at that rate a memory halves within one step" in text
    assert "It fell below 0.1 at t = 1, keeping less than 10% of a memory: a reset." in text
    kept = float(np.prod(wiped.f[2:, 0, 0]))
    assert f"above 0.9 for 2 steps in a row (t = 2 to 3), keeping {pct(kept)} of a memory" in text
    held = forget_gates_lstm([1.0, 0.97, 1.0])  # σ(36.7) rounds to 1 exactly
    assert "f stayed above 0.9 at every step." in summary(held, 0)


def test_summary_of_a_constant_gate_and_of_one_step():
    lt = constant_gates_lstm(f=0.5).forward(np.zeros((4, 1, 1)))[2].layers[0][0]
    life = fmt_half_life(half_life(keep_gate_stats(lt.f[:, 0, 0]).geometric_mean))
    assert "forget gate stayed at 0.50." in summary(lt, 0) and f"halves {life}." in summary(lt, 0)
    assert summary(lt, 0).startswith("Over all 4 steps") and "above 0.9" not in summary(lt, 0)
    one = constant_gates_lstm(f=0.5).forward(np.zeros((1, 1, 1)))[2].layers[0][0]
    assert summary(one, 0).startswith("Over the one step")
    spikes = forget_gates_lstm([0.5, 0.95, 0.5, 0.05, 0.05, 0.2, 0.01, 0.01, 0.01])
    text = summary(spikes, 0)
    assert f"It was above 0.9 at t = 1, keeping {pct(spikes.f[1, 0, 0])} of a memory over that step." in text
    assert "It fell below 0.1 at 5 steps, from t = 3 to t = 8, keeping less than 10%" in text


def test_gates_near_0_or_1_get_the_decimals_that_matter_and_half_lives_are_rounded():
    from lstm_vault.explain import fmt_gate, fmt_half_life

    assert [fmt_gate(v) for v in (0.5, 0.934, 0.99, 0.9987, 0.0042)] == [
        "0.50",
        "0.93",
        "0.99",
        "0.9987",
        "0.0042",
    ]
    assert fmt_gate(1 - 2e-6) == "> 0.9999" and fmt_gate(3e-7) == "< 0.0001" and fmt_gate(1.0) == "1.00"
    assert fmt_half_life(half_life(0.9)) == "in 6.6 steps" and fmt_half_life(0.4) == "within one step"
    assert fmt_half_life(half_life(0.999)) == "in about 693 steps"
    assert fmt_half_life(3360.6) == "in about 3,400 steps" and fmt_half_life(math.inf) == "never"
    assert fmt_half_life(2.08e15) == "only after more than 100,000 steps"


def test_number_words():
    assert fmt(-0.001) == "0.00" and fmt(-0.5) == "\u22120.50" and fmt(1.23456, 3) == "1.235"
    assert pct(0.934) == "93%" and pct(0.999) == ">99%" and pct(0.001) == "<1%" and pct(1.0) == "100%"
    assert half_life(0.5) == pytest.approx(1.0) and half_life(1.0) == math.inf and half_life(0.0) == 0.0


@pytest.mark.parametrize(("t", "unit"), [(-1, 0), (3, 0), (0, 2)])
def test_out_of_range_step_or_unit(t, unit):
    lt = LSTM(1, 2).forward(np.zeros((3, 1, 1)))[2].layers[0][0]
    with pytest.raises(ValueError, match="must be in"):
        step_values(lt, t, unit)


def test_fmt_keeps_huge_numbers_short_and_uses_a_real_minus():
    from lstm_vault.explain import fmt

    assert fmt(1e300) == "1.00e+300" and fmt(-123456.7) == "\u22121.23e+05"
    assert fmt(99999.994) == "99999.99" and fmt(-0.001) == "0.00" and fmt(-2.5) == "\u22122.50"
    assert fmt(float("-inf")) == "\u2212inf"


def test_describe_input_names_one_hot_characters_and_symbols():
    from lstm_vault.explain import describe_input

    one_hot = np.eye(5)
    chars = {"type": "chars", "vocab": "ab \n<"}
    assert [describe_input(v, chars) for v in one_hot] == ["'a'", "'b'", "'\u2423'", "'\u21b5'", "'<'"]
    symbols = {"type": "symbols", "channels": ["symbol 0", "symbol 1", "symbol 2", "blank", "cue"]}
    assert describe_input(one_hot[4], symbols) == "cue"
    assert describe_input([0.25, 0.5], {"type": "real"}) == "[0.25, 0.50]"  # numbers stay numbers
    assert describe_input(0.5 * one_hot[1], chars) == "[5 values]"  # not one-hot: no character
    assert describe_input(one_hot[4], {"type": "chars", "vocab": "ab"}) == "[5 values]"  # a short vocab
    assert describe_input(one_hot[0], {"type": "chars", "vocab": 42}) == "[5 values]"  # a broken file


def test_input_labels_name_each_step_of_a_one_hot_input():
    from lstm_vault.explain import input_labels

    x = np.eye(5)[[0, 2, 3, 4, 3]]
    symbols = {"type": "symbols", "channels": ["symbol 0", "symbol 1", "symbol 2", "blank", "cue"]}
    assert input_labels(x, symbols) == ["0", "2", "\u00b7", "\u25b6", "\u00b7"]
    assert input_labels(x, {"type": "chars", "vocab": "ab \nq"}) == ["a", "\u2423", "\u21b5", "q", "\u21b5"]
    assert input_labels(x, None) is None and input_labels(np.ones((3, 1)), {"type": "real"}) is None


def test_a_sum_of_rounded_parts_says_approximately_when_it_does_not_add_up():
    lt = constant_gates_lstm(f=0.5).forward(np.zeros((3, 1, 1)))[2].layers[0][0]
    v = step_values(lt, 2, 0)
    from lstm_vault.explain import _eq

    assert _eq(0.355, 0.054, 0.409) == "\u2248"  # shown 0.35 or 0.36, 0.05, 0.41
    assert _eq(0.36, 0.05, 0.41) == "=" and _eq(-0.5, 0.25, -0.25) == "="
    line = next(r for r in readings(lt, 2, 0) if r.startswith("**Cell state**"))
    assert f"{_eq(v['kept'], v['written'], v['c'])} **{fmt(v['c'])}**" in line
    for t in range(3):  # every sentence: the shown parts add up, or it says ≈
        v = step_values(lt, t, 0)
        line = next(r for r in readings(lt, t, 0) if r.startswith("**Cell state**"))
        parts = [float(fmt(x).replace("\u2212", "-")) for x in (v["kept"], v["written"], v["c"])]
        assert ("\u2248" in line) == (abs(parts[0] + parts[1] - parts[2]) > 0.005)
