"""userdata: typed numbers and CSV columns are read as people write them; each bad input is named."""

import numpy as np
import pytest

from lstm_vault.tasks import ASSETS
from lstm_vault.userdata import parse_csv_column, parse_numbers


def test_parse_numbers_accepts_common_separators_and_unicode():
    np.testing.assert_array_equal(parse_numbers("1, 2;3\n4\t5"), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(parse_numbers(" -1.5e2 , +.5 "), [-150, 0.5])
    # full-width digits and comma, Unicode minus sign, zero-width space
    np.testing.assert_array_equal(parse_numbers("１，２， \u22123\u200b"), [1, 2, -3])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no numbers found: enter numbers separated by commas"),
        (" ;, \n", "no numbers found"),
        ("1, two, 3", "item 2: 'two' is not a number; enter numbers separated by"),
        ("1 nan", "item 2: 'nan' is not a finite number"),
        ("-inf", "item 1: '-inf' is not a finite number"),
        ("1e999", "item 1: '1e999' is too large"),
        ("0x10", "'0x10' is not a number"),
        ("1 " * 11, "too many numbers \\(11\\): at most 10 are allowed"),
        ("1" * 500, "the text is too long: at most 10 numbers are allowed"),
    ],
)
def test_parse_numbers_errors_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_numbers(text, max_count=10)


def test_parse_csv_column_finds_the_value_column():
    values, name = parse_csv_column(b"date,value\n2020-01,1\n2020-02,2.5\n")
    assert name == "value"
    assert values.tolist() == [1, 2.5]
    assert values.dtype == np.float64
    # semicolons with decimal commas, a UTF-8 byte-order mark, and a Windows line end
    values, name = parse_csv_column("\ufeffJahr;Wert\r\n1871;1,5\r\n1872;2\r\n".encode())
    assert name == "Wert"
    assert values.tolist() == [1.5, 2]
    values, name = parse_csv_column(b"1\n2\n3\n")  # no header
    assert name == "column 1"
    assert values.tolist() == [1, 2, 3]
    values, name = parse_csv_column(b"a,b\n1,2\n3,4\n", column="a")
    assert name == "a"
    assert values.tolist() == [1, 3]
    values, name = parse_csv_column("t\tv\n1\t\u22122\n".encode("utf-16"))
    assert name == "v"
    assert values.tolist() == [-2]
    values, name = parse_csv_column((ASSETS / "nile.csv").read_bytes())
    assert name == "volume"
    assert len(values) == 100


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (b"", {}, "the file is empty: expected a CSV with a header row"),
        (b"date,value\n", {}, "the file has a header but no data rows"),
        (b"\x00\x01binary", {}, "the file is not text"),
        (b"a,b\nx,y\n", {}, "no column holds numbers \\(columns: a, b\\)"),
        (
            b"year,volume\n1871,1120\n1872,nan\n",
            {},
            "row 3, column 'volume': 'nan' is not a finite number; expected a number",
        ),
        (b"year,v\n1,2\n2,abc\n3,4\n", {}, "row 3, column 'v': 'abc' is not a number"),
        (b"a,b\n1,\n2,3\n", {}, "row 2, column 'b': the cell is empty"),
        (b"a\n" + b"1\n" * 11, {"max_rows": 10}, "more than 10 data rows"),
        (b"a\n" + b"1\n" * 600, {"max_bytes": 1000}, "at most 1,000 bytes is allowed"),
        (b"a,b\n1,2\n", {"column": "c"}, "no column 'c'; columns: a, b"),
        (b"a,b\n1,2\n", {"column": 5}, "out of range: the file has 2 columns"),
    ],
)
def test_parse_csv_column_errors_say_what_is_wrong(data, options, message):
    with pytest.raises(ValueError, match=message):
        parse_csv_column(data, **options)


def test_a_single_line_of_numbers_is_read_along_the_row():
    x, name = parse_csv_column(b"1,2,3.5,-4,5\n")
    np.testing.assert_array_equal(x, [1, 2, 3.5, -4, 5])
    assert name == "row 1"
    x, _ = parse_csv_column(b"0.5 0.25 0.125")
    np.testing.assert_array_equal(x, [0.5, 0.25, 0.125])
    with pytest.raises(ValueError, match="not a finite number"):
        parse_csv_column(b"1,nan,3\n")
    x, name = parse_csv_column(b"a,b\n1,2\n")  # one data row under a header: still a column
    assert name == "b" and x.tolist() == [2.0]


@pytest.mark.parametrize("text", ["1,5 2,5 3,5", "0,25\t1,75", "3 1,5"])
def test_typed_decimal_commas_mixed_with_spaces_are_refused_not_misread(text):
    with pytest.raises(ValueError, match="could be one number with a decimal comma or two numbers"):
        parse_numbers(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [("1,2,3\n4,5,6", [1, 2, 3, 4, 5, 6]), ("1, 5 2, 5", [1, 5, 2, 5]), ("1,2,3", [1, 2, 3])],
)
def test_commas_without_spaces_between_numbers_still_separate(text, values):
    assert parse_numbers(text).tolist() == values
