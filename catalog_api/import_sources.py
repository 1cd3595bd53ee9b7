"""Read import files into records that know their physical lines (JSON Lines and CSV)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from catalog_api import __version__

LIST_FIELDS = ("tags", "image_urls", "seo_keywords")
LIST_SEPARATOR = "|"
# The only CSV column whose values may hold a line break; a break anywhere else means a
# quote was left open and the parser swallowed the lines that follow.
MULTILINE_FIELDS = frozenset({"description"})
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Record:
    """One row of the file, its physical lines first..last, and its fields or why it failed."""

    first_line: int
    last_line: int
    fields: dict[str, Any] | None = None
    error: str | None = None
    # A grouped record spans blank lines that are counted as blank: its own lines, if set.
    count: int = 0
    # What the row says, hashed: equal digests, equal rows (product_source_digests).
    digest: bytes | None = None

    @property
    def line_count(self) -> int:
        """Return how many physical lines the record holds."""
        return self.count or self.last_line - self.first_line + 1

    @property
    def lines(self) -> str:
        """Return the line number or range, e.g. '7' or '4-9'."""
        if self.first_line == self.last_line:
            return str(self.first_line)
        return f"{self.first_line}-{self.last_line}"


class SourceError(ValueError):
    """The file cannot be imported at all (unknown type, unreadable header)."""


class _Lines:
    """The decoded physical lines of a binary stream, numbered, with push-back."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._pushed: deque[tuple[int, str]] = deque()
        self.read = 0
        self.taken: list[tuple[int, str]] = []
        self.undecodable: dict[int, str] = {}

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pushed:
            number, text = self._pushed.popleft()
        else:
            raw = self._stream.readline()
            if not raw:
                raise StopIteration
            self.read += 1
            number = self.read
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                # Refused by the record that holds it, never imported with U+FFFD in it.
                self.undecodable[number] = (
                    f"line {number} is not UTF-8 (byte 0x{raw[error.start]:02x} at column "
                    f"{error.start + 1})"
                )
                text = raw.decode("utf-8", errors="replace")
        self.taken.append((number, text))
        return text

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        """Serve these lines again before reading on."""
        self._pushed.extendleft(reversed(lines))

    def take(self) -> list[tuple[int, str]]:
        """Return and forget the lines handed out since the last take."""
        taken, self.taken = self.taken, []
        return taken

    def decoding_error(self, taken: list[tuple[int, str]]) -> str | None:
        """Return why one of these lines could not be decoded, or None."""
        if not self.undecodable:
            return None
        return next((self.undecodable[n] for n, _ in taken if n in self.undecodable), None)


class ImportSource:
    """An import file: yields its records and counts the lines that hold none."""

    def __init__(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix in {".jsonl", ".ndjson", ".json"}:
            self.kind = "jsonl"
        elif suffix == ".csv":
            self.kind = "csv"
        else:
            raise SourceError(f"unknown file type {suffix!r}: use .jsonl, .ndjson or .csv")
        self.path = path
        self.header_lines = 0
        self.blank_lines = 0
        self.grouped = False
        self._lines: _Lines | None = None
        self._grouper: Any = None

    @property
    def lines_read(self) -> int:
        """Return the physical lines read so far, less those of a group not yet handed out."""
        held = self._grouper.held_lines if self._grouper else 0
        return self._lines.read - held if self._lines else 0

    def records(self, stream: BinaryIO) -> Iterator[Record]:
        """Yield every record of the stream, in file order."""
        self._lines = _Lines(stream)
        if self.kind == "jsonl":
            return self._jsonl(self._lines)
        return self._maybe_grouped(self._csv(self._lines))

    def _maybe_grouped(self, rows: Iterator[Record]) -> Iterator[Record]:
        first = next(rows, None)  # reads the header, which tells the layout
        if first is None:
            return
        if not self.grouped:
            yield first
            yield from rows
            return
        from catalog_api.import_groups import Grouper

        self._grouper = Grouper()
        yield from self._grouper.group(itertools.chain([first], rows))

    def _jsonl(self, lines: _Lines) -> Iterator[Record]:
        for text in lines:
            taken = lines.take()
            number = taken[0][0]
            if not text.strip():
                self.blank_lines += 1
                continue
            undecodable = lines.decoding_error(taken)
            if undecodable:
                yield Record(number, number, error=undecodable)
                continue
            yield json_record(number, text)

    def _csv(self, lines: _Lines) -> Iterator[Record]:
        reader = csv.reader(lines, strict=True)
        header = self._csv_header(reader, lines)
        while True:
            try:
                values = next(reader)
                error = None
            except StopIteration:
                return
            except csv.Error as problem:
                values, error = [], f"malformed CSV: {problem}"
            taken = lines.take()
            first, last = taken[0][0], taken[-1][0]
            if error is None and len(taken) == 1 and not "".join(values).strip():
                self.blank_lines += 1
                continue
            if error is None and len(taken) > 1:
                error = _swallowed(header, values)
            if error is not None:
                if len(taken) > 1:
                    # Refuse the line where the quote opened; the lines it swallowed are
                    # read again as rows of their own.
                    lines.push_back(taken[1:])
                    error = (
                        "unclosed quote: a quoted value opens on this line and runs on to line "
                        f"{last} ({error}); the lines after it are read as rows of their own"
                    )
                yield Record(first, first, error=error)
                continue
            undecodable = lines.decoding_error(taken)
            if undecodable:
                yield Record(first, last, error=undecodable)
                continue
            if len(values) != len(header):
                message = f"the row has {len(values)} values, the header has {len(header)} columns"
                yield Record(first, last, error=message)
                continue
            yield _csv_record(first, last, dict(zip(header, values, strict=True)))

    def _csv_header(self, reader: Iterator[list[str]], lines: _Lines) -> list[str]:
        try:
            header = next(reader)
        except StopIteration:
            return []
        except csv.Error as error:
            raise SourceError(f"line 1: the header cannot be read: {error}") from error
        self.header_lines = len(lines.take())
        names = [name.strip() for name in header]
        if not any(names) or len(set(names)) != len(names):
            raise SourceError("line 1: the header needs distinct, non-empty column names")
        from catalog_api.import_groups import is_grouped_header

        self.grouped = is_grouped_header(names)
        if self.grouped and not {"slug", "handle"} & set(names):
            raise SourceError("line 1: rows with option columns need a slug or handle column")
        return names


def _swallowed(header: list[str], values: list[str]) -> str | None:
    """Return why a record spanning several lines cannot be one row, or None if it can."""
    if len(values) != len(header):
        return f"the record has {len(values)} values, the header has {len(header)} columns"
    for name, value in zip(header, values, strict=True):
        if name not in MULTILINE_FIELDS and ("\n" in value or "\r" in value):
            return f"a line break inside {name!r}"
    return None


# Every ASCII digit becomes "0" and every other byte a space: a run of 19 zeros is a number
# orjson may read differently (a bytes translate and search, ten times a regex's speed).
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19


# Bump when the import's cleaning of rows changes: digests kept before then no longer say
# what a row makes of its product (the package version is in the key too).
_DIGEST_GENERATION = 1
_DIGEST_KEY = f"catalog import row {_DIGEST_GENERATION} {__version__}".encode()


def row_digest(data: bytes) -> bytes:
    """Return the digest of a row's bytes, keyed by what this code makes of rows."""
    return hashlib.blake2b(data, digest_size=16, key=_DIGEST_KEY).digest()


def fields_digest(fields: dict[str, Any]) -> bytes | None:
    """Return the digest of a row's fields in one spelling (None if they have no JSON form)."""
    try:
        return row_digest(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))
    except orjson.JSONEncodeError:
        return None


def json_record(number: int, text: str) -> Record:
    encoded = text.encode("utf-8", "surrogatepass")
    try:
        # orjson for speed; what it refuses (and numbers past 64 bits, which it reads as
        # floats), the stdlib reads or explains as it always has.
        if _LONG_DIGIT_RUN in encoded.translate(_DIGITS_AS_ZEROS):
            raise orjson.JSONDecodeError("long number", text, 0)
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = _stdlib_json(number, text)
        if isinstance(value, Record):
            return value
    if not isinstance(value, dict):
        return Record(number, number, error="each line must be a JSON object")
    return Record(number, number, fields=value, digest=row_digest(encoded.rstrip()))


def _stdlib_json(number: int, text: str) -> Any:
    """Return the line's value as json.loads reads it, or the Record rejecting it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return Record(number, number, error=f"invalid JSON: {error.msg} at column {error.colno}")


def _csv_value(name: str, value: str) -> Any:
    if name in LIST_FIELDS:
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if name == "attributes":
        if value.lstrip().startswith("{"):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"attributes: invalid JSON: {error.msg}") from error
        pairs = [p.split("=", 1) for p in value.split(LIST_SEPARATOR) if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("attributes: use key=value|key=value or a JSON object")
        return {k.strip(): v.strip() for k, v in pairs}
    return value


def _csv_record(first: int, last: int, values: dict[str, str]) -> Record:
    try:
        fields = {k: _csv_value(k, v) for k, v in values.items() if v != ""}
    except ValueError as error:
        return Record(first, last, error=str(error))
    return Record(first, last, fields=fields, digest=fields_digest(fields))
