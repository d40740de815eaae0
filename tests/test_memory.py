"""lstm_vault.memory and lstm_vault.saturation: text and series features by their written definitions,
rank_units finds a planted quote unit and agrees with np.corrcoef, saturation on hand-built traces and
the sentences that read it."""

import time

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, RNN
from lstm_vault.memory import (
    FOUND_R,
    TEXT_FEATURES,
    UnitMatch,
    best_by_feature,
    found,
    rank_units,
    saturation,
    saturation_classes,
    saturation_sentences,
    series_features,
    text_features,
    unit_values,
)
from lstm_vault.trace import LayerTrace


def _bits(values) -> str:
    return "".join(str(int(v)) for v in values)


# ----------------------------------------------------------------------------- text features


def test_every_feature_has_one_value_per_character():
    text = 'def f(x):\n    return "a(b)"\n'
    feats = text_features(text)
    assert list(feats) == list(TEXT_FEATURES)
    assert all(v.shape == (len(text),) and v.dtype == np.float64 for v in feats.values())
    assert text_features("")["in_quotes"].shape == (0,)


@pytest.mark.parametrize(
    "text,want",
    [
        ('a "bc" d', "00011000"),
        ("x 'it' y", "00011000"),
        ('"it\'s"', "0111100"[:6]),  # a ' inside "..." is a character, not a quote
        ('"a\\"b" c', "01111000"),  # \" is escaped: the string goes on
        ('"a\\\\" b', "0111000"),  # \\" : the backslash is escaped, the quote closes
        ('"""a"b"""c', "0001110000"),  # a triple quote is one quote; a lone " inside does not close it
        ("'''\n'''x", "00010000"),
        ('a "open', "0001111"),  # never closed: runs to the end
        ('\\"a"b', "00001"[:5]),  # an escaped quote outside does not open; the next one does
    ],
)
def test_in_quotes_follows_the_written_definition(text, want):
    assert _bits(text_features(text)["in_quotes"]) == want


def test_quote_chars_lets_prose_ignore_apostrophes():
    text = "don't \"say\" it's"
    assert _bits(text_features(text)["in_quotes"]) == "0000111111111100"  # the apostrophe opened a quote
    assert _bits(text_features(text, quote_chars='"')["in_quotes"]) == "0000000111000000"


def test_brackets_nest_and_close_by_kind():
    text = "f(a[b{c}d]e)g"
    f = text_features(text)
    np.testing.assert_array_equal(f["bracket_depth"], [0, 0, 1, 1, 2, 2, 3, 2, 2, 1, 1, 0, 0])
    assert _bits(f["in_brackets"]) == "0011111111100"
    # a closing bracket of the wrong kind is ignored; an unmatched one too; brackets in quotes do not count
    np.testing.assert_array_equal(text_features("(a]b)")["bracket_depth"], [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(text_features(")a")["bracket_depth"], [0, 0])
    np.testing.assert_array_equal(text_features('("(")x')["bracket_depth"], [0, 1, 1, 1, 0, 0])


def test_comments_hide_quotes_and_brackets_when_asked():
    text = "# it's (\nx = 'a'"
    plain, code = text_features(text), text_features(text, comments="#")
    assert plain["in_quotes"][6:].any()  # without comments the apostrophe opens a quote
    assert _bits(code["in_quotes"]) == "0000000000000010"
    assert _bits(code["in_comment"]) == "1111111100000000"
    assert not code["bracket_depth"].any()
    assert "in_comment" not in plain
    with pytest.raises(ValueError, match="one-line marker"):
        text_features(text, comments="")


def test_lines_words_and_indentation():
    text = "ab c\n  if x:\n\n\ty"
    f = text_features(text)
    np.testing.assert_array_equal(f["line_position"], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 1])
    assert _bits(f["after_newline"]) == "0000010000000110"
    assert _bits(f["word_start"]) == "1001000100100001"
    # counted as read: 1, 2 through the leading spaces, then the line's 2 to its end (line break included)
    np.testing.assert_array_equal(f["indent"], [0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 0, 1, 1])
    assert _bits(f["vowel"]) == "1000000100000000"
    assert _bits(f["punctuation"]) == "0000000000010000"
    assert _bits(text_features("a.b,-+!")["punctuation"]) == "0101101"  # + is a symbol, not punctuation


def test_text_must_be_a_string():
    with pytest.raises(ValueError, match="text must be a string, got bytes"):
        text_features(b"abc")


# ----------------------------------------------------------------------------- series features


def test_series_features_by_hand():
    f = series_features(np.array([0.0, 1.0, 3.0, 2.0, 2.0, 5.0, 4.0]))
    np.testing.assert_array_equal(f["level"], [0, 1, 3, 2, 2, 5, 4])
    np.testing.assert_array_equal(f["rise_fall"], [0, 1, 1, -1, 0, 1, -1])
    # peaks at 2 and 5, each seen one step later; before the first: steps since a virtual peak at -1
    np.testing.assert_array_equal(f["since_peak"], [1, 2, 3, 1, 2, 3, 1])
    flat_top = series_features([0.0, 2.0, 2.0, 1.0, 0.0])["since_peak"]  # the top counts once, at t = 1
    np.testing.assert_array_equal(flat_top, [1, 2, 1, 2, 3])
    wide_x = [0.0, 3.0, 1.0, 2.0, 0.0, -1.0]
    wide = series_features(wide_x, peak_window=2)["since_peak"]
    # with a window of 1 the series peaks at t = 1 and t = 3; with 2, t = 1 is too near the start and
    # t = 3 is lower than the 3 two steps before it: no peak at all
    np.testing.assert_array_equal(series_features(wide_x)["since_peak"], [1, 2, 1, 2, 1, 2])
    np.testing.assert_array_equal(wide, [1, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match=r"\(T,\) or \(T, 1\)"):
        series_features(np.zeros((4, 2)))


# ----------------------------------------------------------------------------- rank_units


def _synthetic_code(n_lines: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    words = ["x", "value", "f(a, b)", "'text'", '"more words"', "[1, 2]", "{k: v}", "'it'"]
    lines = []
    for _ in range(n_lines):
        indent = " " * int(rng.choice([0, 4, 8]))
        lines.append(indent + " = ".join(rng.choice(words, size=int(rng.integers(1, 4)))))
    return "\n".join(lines)


def test_rank_units_finds_a_planted_quote_unit_and_ranks_noise_low():
    text = _synthetic_code(400, seed=1)
    feats = text_features(text)
    rng = np.random.default_rng(2)
    T, H, planted = len(text), 16, 11
    values = rng.standard_normal((T, H))
    values[:, planted] = 0.3 + 0.5 * feats["in_quotes"]  # tracks quotes exactly (an affine copy)
    matches = rank_units(values, feats)
    assert len(matches) == H * len(feats)
    assert matches[0] == UnitMatch(planted, "in_quotes", matches[0].r) and matches[0].r == pytest.approx(1.0)
    best = best_by_feature(matches)
    assert best["in_quotes"].unit == planted and found(best["in_quotes"])
    noise = [m for m in matches if m.unit != planted]
    assert max(abs(m.r) for m in noise) < 0.1 < FOUND_R  # T is in the thousands: noise stays near 0
    assert not found(best_by_feature(noise)["vowel"])
    assert all(abs(a.r) >= abs(b.r) for a, b in zip(matches, matches[1:]))


def test_r_is_pearsons_correlation_and_0_when_constant():
    rng = np.random.default_rng(3)
    T = 500
    values = rng.standard_normal((T, 4)) * [1.0, 1e-3, 50.0, 1.0] + [0.0, 1e6, -3.0, 0.0]
    values[:, 3] = 2.5  # a constant unit
    feats = {
        "a": rng.standard_normal(T),
        "b": values[:, 1] * 2 + rng.standard_normal(T) * 1e-3,
        "c": np.ones(T),
    }
    got = {(m.unit, m.feature): m.r for m in rank_units(values, feats)}
    for u in range(3):
        for name in ("a", "b"):
            assert got[(u, name)] == pytest.approx(np.corrcoef(values[:, u], feats[name])[0, 1], abs=1e-9)
        assert got[(u, "c")] == 0.0
    assert all(got[(3, name)] == 0.0 for name in feats)


def test_ties_are_ordered_by_unit_then_feature():
    x = np.arange(10.0)
    values = np.stack([x, x, -x], axis=1)
    matches = rank_units(values, {"up": x, "down": -x})
    assert [(m.unit, m.feature) for m in matches] == [
        (0, "up"),
        (0, "down"),
        (1, "up"),
        (1, "down"),
        (2, "up"),
        (2, "down"),
    ]


def test_rank_units_names_bad_shapes():
    with pytest.raises(ValueError, match=r"feature 'a' has shape \(4,\), the values have 5 steps"):
        rank_units(np.zeros((5, 2)), {"a": np.zeros(4)})
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        rank_units(np.zeros(5), {"a": np.zeros(5)})
    with pytest.raises(ValueError, match="finite"):
        rank_units(np.full((3, 1), np.nan), {"a": np.arange(3.0)})


def test_rank_units_is_vectorised():
    """T = 100,000 steps, H = 256 units, 10 features: well under a second (2 s allowed on a busy machine)."""
    rng = np.random.default_rng(4)
    values = rng.standard_normal((100_000, 256))
    feats = {f"f{k}": rng.standard_normal(100_000) for k in range(10)}
    best = np.inf
    for _ in range(2):
        start = time.perf_counter()
        matches = rank_units(values, feats)
        best = min(best, time.perf_counter() - start)
    assert len(matches) == 2560 and best < 2.0


def test_unit_values_reads_any_quantity_of_one_sequence():
    _, _, trace = LSTM(1, 3, seed=0).forward(np.random.default_rng(5).standard_normal((6, 2, 1)))
    lt = trace.layers[0][0]
    np.testing.assert_array_equal(unit_values(lt, "c", batch=1), lt.c[:, 1])
    np.testing.assert_array_equal(unit_values(lt, "a_f"), lt.a_f[:, 0])
    with pytest.raises(ValueError, match=r"not 'z'"):
        unit_values(lt, "z")
    gru = GRU(1, 3).forward(np.zeros((4, 1)))[2].layers[0][0]
    with pytest.raises(ValueError, match="a gru has no cell state c"):
        unit_values(gru, "c")


# ----------------------------------------------------------------------------- saturation


def _biased_lstm(b_f, b_i, b_o, w_f=None):
    """An LSTM whose gates see only their biases (and, for f, optionally the input through w_f)."""
    H = len(b_f)
    model = LSTM(1, H, seed=0)
    p = {name: np.zeros_like(v) for name, v in model.params.items()}
    for gate, b in (("f", b_f), ("i", b_i), ("o", b_o)):
        p["bias_ih_l0"][model.gate_slice(gate)] = b
    if w_f is not None:
        p["weight_ih_l0"][model.gate_slice("f"), 0] = w_f
    return model.load_params(p)


def test_saturation_counts_steps_past_each_threshold():
    # unit 0 always open (σ(5) ≈ 0.993), unit 1 always shut, unit 2 half-open; unit 3's f follows the input
    model = _biased_lstm(
        [5.0, -5.0, 0.0, 0.0], [-5.0, 5.0, 0.0, 0.0], [0.0, 0.0, 5.0, -5.0], w_f=[0, 0, 0, 10.0]
    )
    x = np.tile([1.0, -1.0, 1.0, 0.0], 25)[:, None, None] * np.ones((1, 3, 1))  # 100 steps, batch 3
    lt = model.forward(x)[2].layers[0][0]
    sat = saturation(lt)
    assert list(sat) == ["i", "f", "o"]  # the sigmoid gates; the tanh candidate g is left out
    left, right = sat["f"]
    np.testing.assert_array_equal(right, [1.0, 0.0, 0.0, 0.5])
    np.testing.assert_array_equal(left, [0.0, 1.0, 0.0, 0.25])
    np.testing.assert_array_equal(sat["i"][0], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(sat["o"][1], [0.0, 0.0, 1.0, 0.0])
    # with other thresholds σ(5) = 0.9933 is no longer right-saturated
    assert saturation(lt, high=0.995)["f"][1][0] == 0.0


def test_saturation_on_a_hand_built_trace_and_other_architectures():
    T, B, H = 4, 1, 2
    act = np.zeros((T, B, 4 * H))
    act[..., 2:4] = [[0.95, 0.05]]  # f: unit 0 open, unit 1 shut at every step
    act[:2, :, 4:6] = -0.99  # g (tanh) near -1: would be "left-saturated" if g were counted
    z = np.zeros((T, B, H))
    lt = LayerTrace("lstm", False, z[..., :1], z[0], z[0], act, act, z, c=z)
    sat = saturation(lt)
    assert "g" not in sat
    np.testing.assert_array_equal(sat["f"][1], [1.0, 0.0])
    np.testing.assert_array_equal(sat["f"][0], [0.0, 1.0])
    gru = GRU(1, 3).forward(np.zeros((5, 1)))[2].layers[0][0]
    assert list(saturation(gru)) == ["r", "z"]
    assert saturation(RNN(1, 3).forward(np.zeros((5, 1)))[2].layers[0][0]) == {}
    with pytest.raises(ValueError, match="0 <= low < high <= 1"):
        saturation(lt, low=0.9, high=0.1)


def test_saturation_sentences_count_the_units_and_name_only_what_the_paper_named():
    model = _biased_lstm([5.0, 5.0, -5.0, 0.0], [0.0] * 4, [0.0] * 4)
    lt = model.forward(np.zeros((50, 1, 1)))[2].layers[0][0]
    sat = saturation(lt)
    classes = {(c.gate, c.side): c for c in saturation_classes(sat)}
    f_right, f_left = classes[("f", "right")], classes[("f", "left")]
    assert f_right.units == (0, 1) and f_left.units == (2,)
    want_right = sum(sat["f"][1] > 0.9)
    assert f"{want_right} of 4 units have f > 0.9 on more than 90% of steps" in f_right.sentence
    assert "nearly perfect integrators" in f_right.sentence and "Karpathy" in f_right.sentence
    assert "feed-forward" in f_left.sentence
    # the paper found no such cells, nor output gates always open or always shut: the sentences say so
    assert "found none in their models" in f_left.sentence
    model_o = _biased_lstm([0.0] * 4, [0.0] * 4, [5.0, -5.0, 0.0, 0.0])
    o_classes = {
        c.side: c
        for c in saturation_classes(saturation(model_o.forward(np.zeros((50, 1, 1)))[2].layers[0][0]))
        if c.gate == "o"
    }
    assert o_classes["right"].units == (0,) and "always revealed" in o_classes["right"].sentence
    assert o_classes["left"].units == (1,) and "always blocked" in o_classes["left"].sentence
    assert all("found none in their models" in c.sentence for c in o_classes.values())
    assert classes[("i", "right")].units == () and classes[("i", "right")].paper is None
    assert classes[("i", "right")].sentence == "Input gate: no unit has i > 0.9 on more than 90% of steps."
    # the thresholds in the words come from the arguments
    loose = saturation_sentences(saturation(lt, low=0.2, high=0.8), low=0.2, high=0.8, most=0.75)
    assert any("f > 0.8 on more than 75% of steps" in s and "more than 80%" in s for s in loose)
    gru = GRU(1, 2).forward(np.zeros((5, 1)))[2].layers[0][0]
    assert all("Karpathy" not in s for s in saturation_sentences(saturation(gru)))
