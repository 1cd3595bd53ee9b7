"""The semantic relevance benchmark: fusion arithmetic, nearest titles, a run on tiny data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import relevance_semantic
from bench.relevance_semantic import Fusion, parse_fusion
from bench.semantic_models import TitleVectors, unit_rows
from tests.test_bench_relevance import write_data


def test_rrf_adds_reciprocal_ranks_and_ties_keep_the_lexical_order() -> None:
    # k=60: 1 -> 1/61, 2 -> 1/62, 3 -> 1/63 + 1/61, 4 -> 1/62 (ties with 2, lexical first).
    assert Fusion(60, 1.0).fuse([1, 2, 3], [3, 4]) == [3, 1, 2, 4]
    # Weight 0.1: 3 -> 1/63 + 0.1/61 = 0.01751 still beats 1 -> 1/61 = 0.01639.
    assert Fusion(60, 0.1).fuse([1, 2, 3], [3, 4]) == [3, 1, 2, 4]
    # Weight 0.01: 3 -> 0.01604 falls below 1 (0.01639) and 2 (0.01613).
    assert Fusion(60, 0.01).fuse([1, 2, 3], [3, 4]) == [1, 2, 3, 4]
    # k=1: 1 and 3 score 1/2, 2 and 4 score 1/3; each tie keeps the lexical list's first.
    assert Fusion(1, 1.0).fuse([1, 2], [3, 4]) == [1, 3, 2, 4]
    assert parse_fusion("10:0.5:union") == Fusion(10, 0.5, union=True)


def test_nearest_titles_by_cosine() -> None:
    vectors = unit_rows(np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32))
    titles = TitleVectors([10, 20, 30, 40], vectors, seconds=2.0)
    query = unit_rows(np.array([[1, 0.2]], dtype=np.float32))

    assert titles.search(query)[0][:3] == [10, 30, 20]
    assert titles.by_cosine(query[0], [20, 30, 10]) == [10, 30, 20]
    assert titles.per_second == 2.0


def test_main_scores_wordllama_and_its_fusions_on_tiny_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wordllama", reason="the [semantic] extra is not installed")
    for name in ("CATALOG_DATABASE_URL", "CATALOG_RELEVANCE_DATA"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "train.csv"
    write_data(data)
    argv = ["--data", str(data), "--workdir", str(tmp_path / "work"), "--models", "wordllama"]

    assert relevance_semantic.main([*argv, "--half", "all", "--fusion", "60:0.5"]) == 0

    printed = capsys.readouterr().out
    assert "## Tuning half" in printed
    assert "## Check half" in printed
    assert "| wordllama, vector only | 1 |" in printed
    assert "| catalog + wordllama, RRF k=60, vector weight 0.5, vector top-100 rank | 1 |" in (
        printed
    )
    assert "| wordllama | " in printed
    assert list((tmp_path / "work").glob("vectors-wordllama-*.npy"))
