"""The relevance benchmark on a tiny synthetic judgment file: metric, halves, missing data."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from bench import relevance
from bench.relevance_data import half_of

# Five products; the queries are picked so that both halves have one (crc32 parity below).
PRODUCTS = {
    100001: "Simpson Strong-Tie 12-Gauge Angle Bracket",
    100002: "BEHR Premium DeckOver Wood Coating",
    100003: "Toilet Seat in White",
    100004: "Galvanized Steel Angle Bracket 2 in.",
    100005: "Deck Screws 3 in.",
}
JUDGMENTS = [
    ("angle bracket", 100001, 3.0),
    ("angle bracket", 100004, 2.0),
    ("angle bracket", 100005, 1.0),
    ("toilet seat", 100003, 2.67),
    ("toilet seat", 100002, 1.0),
]


def write_data(path: Path) -> None:
    """Write the judgments in the Kaggle train.csv layout (latin-1)."""
    with path.open("w", encoding="latin-1", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["id", "product_uid", "product_title", "search_term", "relevance"])
        for number, (query, uid, score) in enumerate(JUDGMENTS, 1):
            writer.writerow([number, uid, PRODUCTS[uid], query, score])


def test_ndcg_of_a_hand_checked_ranking() -> None:
    judged = {1: 3.0, 2: 2.0, 3: 1.0, 4: 2.5}
    # Condensed list: 99 is unjudged and dropped, leaving 2, 1, 3 with gains 1, 2, 0.
    # DCG = 1/log2(2) + 2/log2(3) + 0 = 1 + 1.26186 = 2.26186.
    # Ideal gains 2, 1.5, 1, 0: 2 + 1.5/log2(3) + 1/log2(4) = 2 + 0.94640 + 0.5 = 3.44640.
    # nDCG = 2.26186 / 3.44640 = 0.65630.
    assert relevance.ndcg_at_10([99, 2, 1, 3], judged) == pytest.approx(0.65630, abs=1e-5)
    assert relevance.ndcg_at_10([4, 1, 2], judged) == pytest.approx(
        (1.5 + 2 / math.log2(3) + 1 / 2) / 3.44640, abs=1e-5
    )
    assert relevance.ndcg_at_10([], judged) == 0
    assert relevance.ndcg_at_10([1], {1: 1.0}) is None


def test_main_prints_both_halves_scored_on_the_catalog_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {half_of("angle bracket"), half_of("toilet seat")} == {"tune", "check"}
    for name in ("CATALOG_DATABASE_URL", "CATALOG_RELEVANCE_DATA"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "train.csv"
    write_data(data)
    per_query = tmp_path / "per-query.jsonl"
    argv = ["--data", str(data), "--workdir", str(tmp_path / "work"), "--per-query", str(per_query)]

    assert relevance.main(argv) == 0

    printed = capsys.readouterr().out
    assert "## Tuning half" in printed
    assert "## Check half" in printed
    assert "| catalog search on sqlite | 1 |" in printed
    assert "| bm25s stemmed | 1 |" in printed
    records = {row["query"]: row for row in map(json.loads, per_query.read_text().splitlines())}
    angle = records["angle bracket"]
    # The catalog finds both products with every word; its ranking decides the score.
    assert sorted(item["id"] for item in angle["top10"]) == [100001, 100004]
    expected = relevance.ndcg_at_10([item["id"] for item in angle["top10"]], {
        100001: 3.0, 100004: 2.0, 100005: 1.0
    })  # fmt: skip
    assert angle["ndcg"] == pytest.approx(expected)
    # Best order, gains 2 then 1: 1.0; the other order: (1 + 2/log2(3)) / (2 + 1/log2(3)).
    assert angle["ndcg"] in (pytest.approx(1.0), pytest.approx(2.26186 / 2.63093, abs=1e-5))
    assert records["toilet seat"]["ndcg"] == pytest.approx(1.0)
    assert records["toilet seat"]["half"] == half_of("toilet seat")

    assert relevance.main([*argv, "--half", "tune"]) == 0
    again = capsys.readouterr().out
    assert "## Tuning half" in again
    assert "## Check half" not in again
    assert "catalog kept" in again


def test_missing_data_exits_2_saying_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "train.csv.zip"

    assert relevance.main(["--data", str(missing)]) == 2

    message = capsys.readouterr().err
    assert str(missing) in message
    assert "MohammedFCIS/Home-Depot-Product-Search-Relevance" in message
    assert "CATALOG_RELEVANCE_DATA" in message


def test_interpret_searches_as_the_api_does_with_interpret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CATALOG_DATABASE_URL", "CATALOG_RELEVANCE_DATA"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "train.csv"
    write_data(data)
    argv = ["--data", str(data), "--workdir", str(tmp_path / "work"), "--interpret"]

    assert relevance.main(argv) == 0

    printed = capsys.readouterr().out
    assert "| catalog search on sqlite, interpret=true | 1 |" in printed
    assert "interpret=true: filters read from 0 of 2 queries" in printed
