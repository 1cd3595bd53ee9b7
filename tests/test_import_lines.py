"""Every physical line of an import file is accounted for: imported, skipped or rejected."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.import_sources import ImportSource
from catalog_api.services import ListQuery, ProductService

HEADER = "title,category,price,currency,description\n"
SUMMARY = re.compile(r"^read (\S+) lines: (.*)$", re.MULTILINE)


def _slugs(database_url: str) -> list[str]:
    async def fetch() -> list[str]:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_session_factory(engine)() as session:
                page = await ProductService(session).browse(ListQuery(limit=100))
            return sorted(p.slug for p in page.items)
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def summary_counts(err: str) -> tuple[int, dict[str, int]]:
    """Return the lines read and the line count of each kind from the summary line."""
    found = SUMMARY.search(err)
    assert found, err
    kinds: dict[str, int] = {}
    for part in found.group(2).split(", "):
        number, kind = part.split(" ", 1)
        kinds[re.sub(r" \(.*\)$", "", kind)] = int(number.replace(",", ""))
    return int(found.group(1).replace(",", "")), kinds


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database."""
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    return database_url


def test_an_unclosed_quote_rejects_its_line_and_the_swallowed_rows_are_imported(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"Lamp {n},home,{n}.00,USD,plain\n" for n in range(1, 11)]
    rows[2] = 'Broken,home,"3.00,USD,the quote never closes\n'  # line 4
    rows[8] = 'Quoted,home,9.00,USD,"a ""quoted"" word"\n'  # line 10: the next quote
    path = tmp_path / "products.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    rejected = [line for line in err.splitlines() if ": rejected: " in line]
    assert len(rejected) == 1, err
    assert rejected[0].startswith(f"{path}:4: rejected: unclosed quote"), err
    assert "runs on to line 10" in rejected[0]
    read, kinds = summary_counts(err)
    assert read == 11
    assert kinds == {"header": 1, "imported": 9, "rejected": 1}
    slugs = _slugs(use_database)
    assert len(slugs) == 9
    assert "broken" not in slugs
    assert {"lamp-4", "lamp-8", "quoted"} <= set(slugs)


def test_a_quote_open_until_the_end_of_the_file_costs_one_line(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = 'Desk,office,1.00,USD,"multi\nline"\nOpen,office,2.00,USD,"never closed\n'
    body += "Chair,office,3.00,USD,fine\nStool,office,4.00,USD\n\n"
    path = tmp_path / "products.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4: rejected: unclosed quote" in err
    assert f"{path}:6: rejected: the row has 4 values, the header has 5 columns" in err
    read, kinds = summary_counts(err)
    assert (read, kinds) == (7, {"header": 1, "blank": 1, "imported": 3, "rejected": 2})
    assert _slugs(use_database) == ["chair", "desk"]


def test_a_line_break_where_none_may_be_is_a_swallowed_row(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The quote opens in the title and closes cleanly two lines on, with the right number
    # of values: only the line break inside the title gives it away.
    body = '"Lamp,home,1.00,USD,a\nShade,home,2.00,USD,b\nx",home,3.00,USD,c\n'
    path = tmp_path / "products.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: rejected: unclosed quote" in err
    assert "a line break inside 'title'" in err
    assert f"{path}:3: rejected:" not in err
    # Line 4 is read on its own: a quote inside an unquoted value is a plain character.
    assert summary_counts(err) == (4, {"header": 1, "imported": 2, "rejected": 1})
    assert _slugs(use_database) == ["shade", "x"]


def test_a_line_that_is_not_utf8_is_rejected_by_number(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"title": "Lamp", "category": "home", "price_minor": 100, "currency": "USD"}
    path = tmp_path / "products.jsonl"
    path.write_bytes(
        json.dumps(good).encode()
        + b"\n"
        + b'{"title": "Caf\xe9", "category": "home", "price_minor": 1, "currency": "USD"}\n'
    )
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: rejected: line 2 is not UTF-8 (byte 0xe9 at column 15)" in err
    assert summary_counts(err) == (2, {"imported": 1, "rejected": 1})


_CSV_PIECES = st.sampled_from(['"', ",", "\n", "\r\n", "a", "b c", '""', "é", "\t", "1.5"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_CSV_PIECES, max_size=60), st.booleans())
def test_records_cover_every_line_once(pieces: list[str], crlf_header: bool) -> None:
    data = ("a,b,description\r\n" if crlf_header else HEADER) + "".join(pieces)
    raw = data.encode("utf-8")
    source = ImportSource(Path("rows.csv"))
    covered: list[int] = []
    try:
        for record in source.records(io.BytesIO(raw)):
            covered.extend(range(record.first_line, record.last_line + 1))
    except ValueError:
        return  # an unreadable header: the command refuses the whole file
    physical = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    assert source.lines_read == physical
    assert covered == sorted(set(covered)), "a line belongs to two records"
    assert len(covered) + source.header_lines + source.blank_lines == physical


def test_jsonl_lines_add_up(tmp_path: Path) -> None:
    text = '{"a": 1}\n\n  \n[1]\n{bad\n{"b": 2}'
    source = ImportSource(tmp_path / "x.ndjson")
    records: list[Any] = list(source.records(io.BytesIO(text.encode())))
    assert [r.first_line for r in records] == [1, 4, 5, 6]
    assert source.blank_lines == 2
    assert source.lines_read == 6


def _json_typed(value: Any) -> Any:
    """Return value with each number tagged by its type (json.loads equality ignores 1 vs 1.0)."""
    if isinstance(value, dict):
        return {key: _json_typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_typed(item) for item in value]
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


@pytest.mark.parametrize(
    "line",
    [
        '{"price_minor": 123456789012345678901234, "title": "x"}',
        '{"price_minor": -123456789012345678901234}',
        '{"stock_quantity": 18446744073709551615, "n": 9223372036854775808}',
        '{"nested": {"ids": [1, 12345678901234567890123]}}',
        '{"sku": "12345678901234567890123", "x": 1.0, "y": 1, "z": true}',
        '{"ok": 1e400}',
        '{"no": NaN, "inf": -Infinity}',
        '{"a": 1, "a": 2}',
        '{"word": "caf\\u00e9 \\ud83d\\ude00", "digits": "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠"}',
    ],
)
def test_a_jsonl_line_reads_as_the_standard_library_reads_it(line: str) -> None:
    from catalog_api.import_sources import json_record

    record = json_record(1, line)
    assert record.error is None
    assert _json_typed(record.fields) == _json_typed(json.loads(line))
