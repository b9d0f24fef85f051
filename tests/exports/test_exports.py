"""The one export policy: numbers as numbers with the shown decimals, local date-times, Turkish
headers, formulas neutralised in XLSX and CSV, the panel's CSV shape."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from osos.errors import InvalidInput
from osos.exports import Column, Rows, Table, When, neutralise, safe_name, spool, write
from osos.timeutil import UTC

AT = dt.datetime(2026, 10, 31, 21, 0, 59, 900_000, tzinfo=UTC)  # 1 Nov 00:00:59.9 local
ATTACKS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx")


def _xlsx(table: Table) -> openpyxl.worksheet.worksheet.Worksheet:
    out = io.BytesIO()
    write(table, "xlsx", out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet is not None
    return sheet


def _csv(table: Table) -> str:
    out = io.BytesIO()
    write(table, "csv", out)
    data = out.getvalue()
    assert data.startswith("\ufeff".encode())
    return data.decode("utf-8-sig")


def test_numbers_are_exact_numbers_with_the_shown_decimals() -> None:
    values = [Decimal("1.250"), Decimal("119200.831"), Decimal("0.1"), Decimal("-12.5")]
    table = Table(
        "t",
        [Column("Çekiş (kWh)", 3), Column("Endeks"), Column("Oran %", 2), Column("Fark %", 1)],
        [values, [Decimal("123456789012.345"), 7, None, Decimal("0.05")]],
    )
    sheet = _xlsx(table)
    first = [sheet.cell(row=5, column=c) for c in range(1, 5)]
    assert [c.data_type for c in first] == ["n"] * 4  # never a text number
    assert [Decimal(str(c.value)) for c in first] == values
    assert [c.number_format for c in first] == ["#,##0.000", "#,##0.000", "#,##0.00", "#,##0.0"]
    second = sheet.cell(row=6, column=1)
    assert Decimal(str(second.value)) == Decimal("123456789012.345")  # 15 digits: exact
    assert sheet.cell(row=6, column=2).value == 7 and sheet.cell(row=6, column=2).data_type == "n"
    assert sheet.cell(row=6, column=3).value is None
    # the CSV shows what the screen shows: the column's decimals, a decimal comma, no grouping
    lines = _csv(table).splitlines()
    assert lines[0] == "Çekiş (kWh);Endeks;Oran %;Fark %"
    assert lines[1] == "1,250;119200,831;0,10;-12,5"
    assert lines[2] == "123456789012,345;7;;0,1"  # 0.05 shown with one decimal, half up


def test_a_number_a_double_cannot_hold_stays_exact_text() -> None:
    huge = Decimal("6001700220099999999999999999999")
    sheet = _xlsx(Table("t", ["Değer"], [[huge]]))
    cell = sheet.cell(row=5, column=1)
    assert cell.data_type == "s" and cell.value == "6001700220099999999999999999999"


def test_times_are_local_date_times_and_csv_keeps_the_screen_text() -> None:
    table = Table(
        "t",
        ["Zaman", "Okuma", "Gün", "Boş"],
        [[When(AT, "01.11.2026 00:00", seconds=False), When(AT), dt.date(2026, 10, 5), None]],
    )
    sheet = _xlsx(table)
    minute = sheet.cell(row=5, column=1)
    assert minute.value == dt.datetime(2026, 11, 1, 0, 0)
    assert minute.number_format == "dd.mm.yyyy hh:mm"
    seconds = sheet.cell(row=5, column=2)
    assert seconds.value == dt.datetime(2026, 11, 1, 0, 0, 59)  # not rounded up to 00:01
    assert seconds.number_format == "dd.mm.yyyy hh:mm:ss"
    day = sheet.cell(row=5, column=3)
    assert day.value == dt.datetime(2026, 10, 5) and day.number_format == "dd.mm.yyyy"
    assert _csv(table).splitlines()[1] == "01.11.2026 00:00;01.11.2026 00:00:59;05.10.2026;"


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_like_text_is_neutralised_in_both_formats(attack: str) -> None:
    table = Table("=title", ["Tanım", "Birim"], [[attack, "kWh"]], note=attack)
    sheet = _xlsx(table)
    cell = sheet.cell(row=5, column=1)
    assert cell.data_type == "s"  # text, kept as it was (openpyxl leaves a CR escaped)…
    assert str(cell.value).replace("_x000D_", "\r") == attack
    assert cell.quotePrefix  # …and Excel keeps it text even when the cell is edited
    assert not sheet.cell(row=5, column=2).quotePrefix
    assert sheet.cell(row=2, column=1).quotePrefix and sheet.cell(row=1, column=1).quotePrefix
    text = _csv(table)
    assert text.startswith("Tanım;Birim\r\n")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1] == [neutralise(attack), "kWh"] and rows[1][0] == "'" + attack


def test_the_panel_csv_shape() -> None:
    table = Table("t", ["Zaman", "Çekiş (kWh)"], [["01.10.2026 00:00", Decimal("1.500")]])
    out = io.BytesIO()
    assert write(table, "csv", out) == 1
    assert out.getvalue().decode("utf-8") == "\ufeffZaman;Çekiş (kWh)\r\n01.10.2026 00:00;1,500\r\n"


def test_templates_start_with_the_headers_and_panel_files_with_a_banner() -> None:
    plain = _xlsx(Table("Veri", ["A"], [["x"]], banner=False))
    assert plain.title == "Veri" and plain.cell(row=1, column=1).value == "A"
    assert plain.cell(row=2, column=1).value == "x"
    banner = _xlsx(Table("YKP: [1/2]", ["A"], [["x"]], note="2000104137"))
    assert banner.title == "YKP- -1-2-"  # what Excel allows in a sheet name
    assert [banner.cell(row=r, column=1).value for r in (1, 2, 4, 5)] == [
        "YKP: [1/2]",
        "2000104137",
        "A",
        "x",
    ]


def test_spooled_files_stream_in_chunks_and_lazy_rows_are_built_per_file() -> None:
    built: list[int] = []

    def make() -> list[list[object]]:
        built.append(1)
        return [[Decimal(k)] for k in range(5000)]

    table = Table("t", ["n"], Rows(make))  # type: ignore[arg-type]
    assert built == []
    spooled = spool(table, "csv")
    assert spooled.rows == 5000 and built == [1]
    data = b"".join(spooled.chunks())
    assert len(data) == spooled.size and data.decode("utf-8-sig").splitlines()[-1] == "4999"
    assert spooled.file.closed
    xlsx = spool(table, "xlsx")
    assert built == [1, 1] and xlsx.rows == 5000
    assert b"".join(xlsx.chunks()).startswith(b"PK")
    with pytest.raises(InvalidInput):
        spool(table, "pdf")


def test_file_names_say_what_is_inside() -> None:
    assert safe_name("YKP", "2000104137", "2026-10-01_2026-10-31_15dk") == (
        "YKP_2000104137_2026-10-01_2026-10-31_15dk"
    )
    assert safe_name("Yük Profili", "İğdır/ş") == "Yuk-Profili_Igdir-s"
