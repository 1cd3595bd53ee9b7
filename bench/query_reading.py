"""Precision and recall of the filters read from natural-language queries over the demo catalog.

python -m bench.query_reading [--cases FILE] [--replies FILE] [--show-misses]
python -m bench.query_reading --time-terms DATABASE_URL  (reads only)

Each case of tests/data/query_reading_cases.jsonl is a query and the filters it should give
(parameter -> value). Read offline, or from the model replies of --replies (each validated as
a model's reply is), the filters read are compared pair by pair.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TextIO, cast

from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.importer import Importer, parse_jsonl
from catalog_api.migrate import prepare_schema
from catalog_api.query_reading import Context, Reading, read_offline
from catalog_api.query_reading.model import InvalidReplyError, parse_reply
from catalog_api.query_reading.terms import load_terms
from catalog_api.search.vocabulary import load_vocabulary

log = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "query_reading_cases.jsonl"
REPLIES = ROOT / "tests" / "data" / "query_reading_model_replies.jsonl"


@dataclass(frozen=True)
class Case:
    """A query and the filters it should be read as."""

    query: str
    expected: dict[str, str]


@dataclass
class Score:
    """Filter pairs read right, read wrongly and missed, with the cases that differ."""

    right: int = 0
    read: int = 0
    expected: int = 0
    misses: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of the pairs read that were expected (1.0 when none was read)."""
        return self.right / self.read if self.read else 1.0

    @property
    def recall(self) -> float:
        """Share of the expected pairs that were read (1.0 when none was expected)."""
        return self.right / self.expected if self.expected else 1.0


def load_cases(path: Path = CASES) -> list[Case]:
    """Read the cases file."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            cases.append(Case(raw["q"], {str(k): str(v) for k, v in raw["expect"].items()}))
    return cases


def load_replies(path: Path = REPLIES) -> dict[str, str]:
    """Read model replies by query: the raw text a model sent for it."""
    replies = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            replies[raw["q"]] = raw["reply"]
    return replies


def as_pairs(reading: Reading) -> dict[str, str]:
    """Return a reading's filters as parameter -> value."""
    return {item.parameter: item.value for item in reading.filters}


def score(cases: Sequence[Case], read: Callable[[str], Mapping[str, str]]) -> Score:
    """Compare what read() gives for each case's query with what the case expects."""
    result = Score()
    for case in cases:
        got = dict(read(case.query))
        result.read += len(got)
        result.expected += len(case.expected)
        result.right += sum(1 for k, v in got.items() if case.expected.get(k) == v)
        if got != case.expected:
            result.misses.append((case.query, case.expected, got))
    return result


async def demo_context(directory: Path) -> Context:
    """Seed the demo catalog into a new SQLite file there; return the reader's context over it."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{directory / 'demo.db'}")
    engine = create_engine(settings)
    try:
        await prepare_schema(engine, auto_migrate=True)
        demo = files("catalog_api") / "data" / "demo_products.jsonl"
        with demo.open(encoding="utf-8") as stream:
            await Importer(create_session_factory(engine)).run(parse_jsonl(cast(TextIO, stream)))
        async with engine.connect() as connection:
            terms = await load_terms(connection)
            vocabulary = await load_vocabulary(connection)
    finally:
        await engine.dispose()
    return Context(terms, vocabulary.frequency, vocabulary.loaded)


def model_reader(context: Context, replies: Mapping[str, str]) -> Callable[[str], dict[str, str]]:
    """Return a read() validating the recorded reply, falling back to offline as the API does."""

    def read(query: str) -> dict[str, str]:
        reply = replies.get(query)
        if reply is not None:
            try:
                return as_pairs(parse_reply(reply, query, context, "model:fixture"))
            except InvalidReplyError:
                pass
        return as_pairs(read_offline(query, context))

    return read


def report(name: str, result: Score, cases: int, *, show_misses: bool, out: TextIO) -> None:
    """Write one reader's figures (and, if asked, the cases it got wrong)."""
    out.write(
        f"{name}: {cases} queries, precision {result.precision:.3f} "
        f"({result.right}/{result.read}), recall {result.recall:.3f} "
        f"({result.right}/{result.expected}), {len(result.misses)} queries not exactly right\n"
    )
    if show_misses:
        for query, expected, got in result.misses:
            out.write(f"  {query!r}\n    expected {expected}\n    read     {got}\n")


async def time_terms(database_url: str, runs: int = 3) -> None:
    """Time reading the catalog's filter values from a database, as the API does in background."""
    engine = create_engine(Settings(database_url=database_url))
    try:
        for run in range(1, runs + 1):
            started = time.perf_counter()
            async with engine.connect() as connection:
                terms = await load_terms(connection)
            seconds = time.perf_counter() - started
            values = sum(len(values) for values in terms.options.values())
            sys.stdout.write(
                f"run {run}: {seconds:.2f} s for {terms.products:,} products: "
                f"{len(terms.brands):,} brands, {len(terms.categories):,} categories, "
                f"{values:,} option values, {len(terms.currencies)} currencies\n"
            )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Print precision and recall of the offline reader and of the recorded model replies."""
    parser = argparse.ArgumentParser(prog="python -m bench.query_reading", description=__doc__)
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--replies", type=Path, default=REPLIES)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--time-terms", metavar="DATABASE_URL", help="time load_terms there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.time_terms:
        asyncio.run(time_terms(args.time_terms))
        return 0
    cases = load_cases(args.cases)
    with tempfile.TemporaryDirectory() as directory:
        context = asyncio.run(demo_context(Path(directory)))
    offline = score(cases, lambda query: as_pairs(read_offline(query, context)))
    report("offline", offline, len(cases), show_misses=args.show_misses, out=sys.stdout)
    if args.replies.exists():
        replies = load_replies(args.replies)
        chosen = [case for case in cases if case.query in replies]
        model = score(chosen, model_reader(context, replies))
        report("model replies", model, len(chosen), show_misses=args.show_misses, out=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
