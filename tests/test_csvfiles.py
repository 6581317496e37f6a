"""The CSV reader: malformed rows are refused with their row numbers, never a traceback and
never a row silently merged into another."""

import io

import pytest

from invsync.csvfiles import MAX_VALUE_CHARS, FileRejected, numbered_rows

pytestmark = pytest.mark.usefixtures("english")

REQUIRED = ("sku", "name", "ean")


def read(text: str) -> list:
    return list(numbered_rows(io.StringIO(text), REQUIRED))


def refusal(text: str) -> list[str]:
    with pytest.raises(FileRejected) as refused:
        read(text)
    return refused.value.errors


def test_good_rows_come_with_the_line_they_start_on_and_lower_case_columns():
    rows = read(' SKU ,Name,EAN\nA,"Kubek ""biały""",\n\nB,"Talerz\nduży",59012341\n')

    assert rows == [
        (2, {"sku": "A", "name": 'Kubek "biały"', "ean": ""}),
        (4, {"sku": "B", "name": "Talerz\nduży", "ean": "59012341"}),
    ]


def test_an_unclosed_quote_is_refused_instead_of_swallowing_the_next_rows():
    text = 'sku,name,ean\nA,"Kubek,5901234123457\nB,Talerz,59012341\nC,Miska,\n'

    assert refusal(text) == [
        "Row 2: too few values (2, the header has 3 columns). A quotation mark opened on this "
        "row is not closed: the row runs on to line 4."
    ]


def test_short_and_long_rows_are_refused_with_their_rows():
    text = "sku,name,ean\nA,Kubek\nB,Talerz,,extra\nC,Miska,\n"

    assert refusal(text) == [
        "Row 2: too few values (2, the header has 3 columns).",
        "Row 3: more values than columns.",
    ]


def test_a_nul_character_is_refused_with_its_row():
    assert refusal("sku,name,ean\nA,Kubek,\nB,Tal\x00erz,\n") == [
        "Row 3: contains a NUL character; is this a CSV text file?"
    ]


@pytest.mark.parametrize("length", [MAX_VALUE_CHARS + 1, 200_000])
def test_an_oversized_value_is_refused_with_its_row_and_later_rows_are_still_checked(length):
    text = f"sku,name,ean\nA,{'x' * length},\nB,Talerz\n"

    assert refusal(text) == [
        f"Row 2: a value is longer than {MAX_VALUE_CHARS} characters.",
        "Row 3: too few values (2, the header has 3 columns).",
    ]


def test_a_header_without_the_required_columns_comes_first():
    assert refusal("sku,title\nA,Kubek\n") == [
        "The file has no column(s): name, ean.",
    ]


def test_an_empty_file_names_every_required_column():
    assert refusal("") == ["The file has no column(s): sku, name, ean."]
