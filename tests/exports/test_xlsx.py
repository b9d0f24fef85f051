"""The direct XLSX writer: every cell as the XlsxWriter writer before it wrote it (the oracle,
kept in ``bench/xlsxwriter_baseline.py``), texts escaped as Excel escapes them, numbers from
their exact digits, times from exact day fractions, and the file made chunk by chunk."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal

import openpyxl
import pytest
from bench.xlsxwriter_baseline import fits_a_double
from bench.xlsxwriter_baseline import write_xlsx as xlsxwriter_write
from hypothesis import given, settings
from hypothesis import strategies as st

from osos.exports import Cell, Column, Table, When, Workbook, write
from osos.exports.xlsx_cells import Cells, day_fraction, xml_text
from osos.timeutil import LOCAL_TZ, UTC

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")
TURKISH = "ÇçĞğİıÖöŞşÜü"


def _shown(xml: str) -> str:
    """What Excel shows for an inline-string cell's XML: the XML text, then ``_xHHHH_`` read
    as the character it stands for (``_x005F_`` first: it keeps a literal one literal)."""
    text = "".join(ET.fromstring(xml).itertext())
    return ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _value(value: object) -> object:
    """A number as the number it is (openpyxl reads '1E+23' as a float, '100…0' as an int:
    Excel reads both as the same double)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _cells(content: bytes, read_only: bool = False) -> list[list[tuple[object, ...]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=read_only).active
    assert sheet is not None
    return [
        [
            (_value(c.value), c.data_type, c.number_format, getattr(c, "quotePrefix", None))
            for c in row
        ]
        for row in sheet.iter_rows()
    ]


def _both(table: Table) -> tuple[bytes, bytes]:
    ours, theirs = io.BytesIO(), io.BytesIO()
    assert write(table, "xlsx", ours) == xlsxwriter_write(table, theirs)
    return ours.getvalue(), theirs.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "Çekiş (kWh)",
        "Trakya Çelik Haddehanesi & Oğulları <A.Ş.>",
        "İğdır/Şırnak \"ölçüm\" 'yük'",
        "_x0041_ kalır",  # a literal escape stays literal
        "satır\r\nsonu\tsekme",
        "  baştaki ve sondaki boşluk  ",
        "\x00\x01\x1f kontrol",
        '=HYPERLINK("http://x")',
    ],
)
def test_turkish_and_special_text_is_shown_as_written(text: str) -> None:
    xml = Cells().text("A1", text)
    assert _shown(xml) == text
    assert TURKISH[0] not in text or TURKISH[0] in xml  # written as UTF-8, not escaped away


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
def test_any_text_is_shown_as_written(text: str) -> None:
    assert _shown(f"<t>{xml_text(text)}</t>") == text


finite = st.decimals(allow_nan=False, allow_infinity=False) | st.builds(
    lambda digits, exponent: Decimal(f"{digits}E{exponent}"),
    st.integers(-(10**40), 10**40),
    st.integers(-400, 400),
)


@settings(max_examples=500, deadline=None)
@given(finite, st.sampled_from([None, 0, 3]))
def test_a_decimal_is_a_number_with_its_exact_digits_or_its_exact_text(
    value: Decimal, places: int | None
) -> None:
    xml = Cells().cell("B7", value, places)
    number = fits_a_double(value) and -300 < value.adjusted() < 300
    if number:
        found = re.fullmatch(r'<c r="B7" s="\d+"><v>(-?\d+(\.\d+)?)</v></c>', xml)
        assert found, xml
        assert Decimal(found.group(1)) == value  # the same number, digit for digit
        assert found.group(1) == format(value, "f")
    else:
        assert 't="inlineStr"' in xml and _shown(xml) == format(value, "f")


@pytest.mark.parametrize(
    ("value", "xml_value"),
    [
        (Decimal("119200.831"), "119200.831"),
        (Decimal("123456789012.345"), "123456789012.345"),  # 15 digits: a number
        (Decimal("-0.000"), "-0.000"),
        (Decimal("1.2E+5"), "120000"),  # plain digits, never an exponent
        (Decimal("6001700220099999999999999999999"), None),  # 31 digits: exact text
        (Decimal("1E+400"), None),  # beyond a double
    ],
)
def test_big_and_small_decimals(value: Decimal, xml_value: str | None) -> None:
    xml = Cells().cell("C3", value, 3)
    if xml_value is None:
        assert _shown(xml) == format(value, "f")
    else:
        assert f"<v>{xml_value}</v>" in xml


def test_day_fractions_are_exact_to_the_second() -> None:
    for seconds in range(0, 86400, 7):
        fraction = Decimal("0" + day_fraction(seconds)) if seconds else Decimal(0)
        assert (fraction * 86400).quantize(Decimal(1)) == seconds
        assert abs(fraction * 86400 - seconds) < Decimal("1e-14")


MONTH_END = dt.datetime(2026, 10, 31, 20, 45, tzinfo=UTC)  # 31.10.2026 23:45 in Istanbul


def test_a_month_end_quarter_is_23_45_local() -> None:
    table = Table(
        "YKP", ["Başlangıç", "Bitiş"], [[When(MONTH_END), When(MONTH_END, seconds=False)]]
    )
    ours, theirs = _both(table)
    assert _cells(ours) == _cells(theirs)
    row = _cells(ours)[4]
    assert row[0][0] == dt.datetime(2026, 10, 31, 23, 45)
    assert MONTH_END.astimezone(LOCAL_TZ).hour == 23


def _rows(n: int) -> Iterator[Sequence[Cell]]:
    start = dt.datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    for k in range(n):
        at = start + dt.timedelta(minutes=15 * k)
        kwh = Decimal(k % 997).scaleb(-3)
        yield [When(at), When(at, seconds=False), kwh, Decimal("119200.831") + kwh, 80, None,
               "okunan" if k % 3 else "eksik", dt.date(2026, 10, 1 + k % 30),
               Decimal(10**20 + k), -(2**60), Decimal("0.5"), "=1+1", at]  # fmt: skip


HEADERS = [
    Column("Başlangıç"), Column("Bitiş"), Column("Çekiş (kWh)", 3), Column("Endeks 1.8.0", 3),
    Column("Çarpan"), Column("Boş"), Column("Kaynak"), Column("Gün"), Column("Büyük"),
    Column("Tam sayı"), Column("Oran"), Column("Formül"), Column("Okuma"),
]  # fmt: skip


def test_every_cell_is_what_xlsxwriter_wrote() -> None:
    table = Table("YKP: [Ekim]", HEADERS, list(_rows(500)), note="2000104137 · İğdır")
    ours, theirs = _both(table)
    assert _cells(ours) == _cells(theirs)
    assert _cells(ours, read_only=True) == _cells(theirs, read_only=True)
    mine = openpyxl.load_workbook(io.BytesIO(ours)).active
    old = openpyxl.load_workbook(io.BytesIO(theirs)).active
    assert mine is not None and old is not None
    assert (mine.title, mine.freeze_panes) == (old.title, old.freeze_panes)
    widths = [mine.column_dimensions[x].width for x in "AC"]
    assert widths == [old.column_dimensions[x].width for x in "AC"]
    assert mine["A4"].font.b and mine["A4"].fill.fgColor.rgb == old["A4"].fill.fgColor.rgb


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(
            st.none()
            | st.text(max_size=8)
            | finite.filter(lambda d: -300 < d.adjusted() < 300)  # XlsxWriter refuses the rest
            | st.integers(-(2**62), 2**62)
            | st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31))
            | st.builds(
                When,
                st.datetimes(
                    dt.datetime(1901, 1, 1), dt.datetime(2099, 1, 1), timezones=st.just(UTC)
                ),
                seconds=st.booleans(),
            ),
            min_size=3,
            max_size=3,
        ),
        max_size=6,
    )
)
def test_any_small_table_is_what_xlsxwriter_wrote(rows: list[list[Cell]]) -> None:
    table = Table("t", [Column("a"), Column("b", 2), Column("c")], rows, note="n")
    ours, theirs = _both(table)
    assert _cells(ours) == _cells(theirs)


def test_the_file_is_made_chunk_by_chunk_and_the_same_however_its_rows_come() -> None:
    consumed: list[int] = []

    def rows() -> Iterator[Sequence[Cell]]:
        for k, row in enumerate(_rows(3000)):
            consumed.append(k)
            yield row

    listed = Workbook(Table("YKP", HEADERS, list(_rows(3000))), chunk=4096)
    parts = iter(listed)
    first = next(parts)
    assert first.startswith(b"PK") and listed.rows < 3000  # sent before the rows are all made
    whole = first + b"".join(parts)
    assert listed.rows == 3000
    streamed = b"".join(Workbook(Table("YKP", HEADERS, rows()), chunk=4096))
    assert consumed == list(range(3000))
    members = []
    for content in (whole, streamed):
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            assert book.testzip() is None
            members.append({name: book.read(name) for name in book.namelist()})
    assert members[0] == members[1]  # the same parts, byte for byte (the same dimension)
    assert b'<dimension ref="A1:M3004"/>' in members[0]["xl/worksheets/sheet1.xml"]
