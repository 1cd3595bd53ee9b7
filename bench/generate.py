"""Deterministic generator of N realistic products as JSON Lines (python -m bench.generate)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog_api.demo_data import generate_products

DEFAULT_SEED = 0
_CHUNK = 2000


def write_products(path: Path, n: int, seed: int = DEFAULT_SEED) -> int:
    """Write n products generated for (n, seed) to path as JSON Lines; return its size in bytes."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        chunk: list[str] = []
        for product in generate_products(n, seed):
            chunk.append(encode(product) + "\n")
            if len(chunk) >= _CHUNK:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    tmp.replace(path)
    return path.stat().st_size


def main(argv: Sequence[str] | None = None) -> int:
    """Write N products to --out."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("n", type=int, help="number of products")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 0)")
    args = parser.parse_args(argv)
    n: int = args.n
    if n < 1:
        parser.error("n must be at least 1")
    size = write_products(args.out, n, args.seed)
    sys.stderr.write(f"wrote {n} products ({size / 1e6:.1f} MB) to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
