"""Crash durability: SIGKILL the API mid-write again and again; no acknowledged create is lost."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.processes import clean_env, command, free_port, running, sqlite_url

logger = logging.getLogger(__name__)

CYCLES = 12
WRITERS = 16
# Seconds of load after the first acknowledgement until SIGKILL, drawn from this range.
UPTIME = (0.0, 0.8)
# A cycle ends by itself even if the kill somehow fails to stop the writers.
CYCLE_DEADLINE = 15.0


@dataclass(frozen=True)
class Ack:
    """What a 201 told the client: the stored product's id, slug and title."""

    id: int
    slug: str
    title: str


@dataclass
class Outcome:
    """What the writers of one cycle saw."""

    acks: list[Ack] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    cut: Counter[str] = field(default_factory=Counter)
    first_ack: asyncio.Event = field(default_factory=asyncio.Event)


async def _write(base: str, cycle: int, writer: int, outcome: Outcome, stop_at: float) -> None:
    """Create products one after another until the server goes away."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for n in range(1_000_000):
            if time.monotonic() > stop_at:
                return
            title = f"Durable {cycle}-{writer}-{n}"
            body = {"title": title, "category": "crash", "price_minor": 999, "currency": "USD"}
            try:
                response = await client.post("/api/products", json=body)
            except httpx.TransportError as error:
                outcome.cut[type(error).__name__] += 1
                return
            outcome.statuses[response.status_code] += 1
            if response.status_code == 201:
                data = response.json()
                outcome.acks.append(Ack(data["id"], data["slug"], data["title"]))
                outcome.first_ack.set()


async def _check_present(base: str, acks: list[Ack]) -> None:
    """Read every acknowledged product back through the API."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for ack in acks:
            response = await client.get(f"/api/products/{ack.id}")
            assert response.status_code == 200, f"acknowledged {ack} is gone: {response.text}"
            data = response.json()
            assert (data["slug"], data["title"]) == (ack.slug, ack.title)


async def test_acknowledged_creates_survive_repeated_sigkill(tmp_path: Path) -> None:
    database = tmp_path / "catalog.db"
    env = clean_env(
        tmp_path, CATALOG_DATABASE_URL=sqlite_url(database), CATALOG_WRITE_RATE_PER_MINUTE="0"
    )
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    logger.info("durability: random seed %d", seed)
    acknowledged: list[Ack] = []
    unchecked: list[Ack] = []
    lost_in_flight = 0
    for cycle in range(CYCLES):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [*command("catalog-api"), "serve", "--port", str(port)]
        log = tmp_path / f"api-{cycle}.log"
        with running(argv, env, f"{base}/api/healthz", log) as process:
            await _check_present(base, unchecked)
            outcome = Outcome()
            stop_at = time.monotonic() + CYCLE_DEADLINE
            writers = [
                asyncio.create_task(_write(base, cycle, w, outcome, stop_at))
                for w in range(WRITERS)
            ]
            with suppress(TimeoutError):
                await asyncio.wait_for(outcome.first_ack.wait(), CYCLE_DEADLINE)
            await asyncio.sleep(rng.uniform(*UPTIME))
            process.kill()
            process.wait(timeout=10)
            await asyncio.gather(*writers)
        assert set(outcome.statuses) <= {201}, f"cycle {cycle}: statuses {outcome.statuses}"
        assert outcome.acks, f"cycle {cycle}: nothing was acknowledged before the kill"
        lost_in_flight += sum(outcome.cut.values())
        logger.info(
            "durability: cycle %d acknowledged %d, cut by the kill %s",
            cycle,
            len(outcome.acks),
            dict(outcome.cut),
        )
        acknowledged += outcome.acks
        unchecked = outcome.acks
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {
            row[0]: (row[1], row[2])
            for row in connection.execute("SELECT id, slug, title FROM products")
        }
    missing = [ack for ack in acknowledged if stored.get(ack.id) != (ack.slug, ack.title)]
    assert not missing, f"{len(missing)} acknowledged creates lost, e.g. {missing[:3]}"
    assert len({ack.id for ack in acknowledged}) == len(acknowledged)
    logger.info(
        "durability: %d kill cycles, %d acknowledged creates all present, %d rows stored, "
        "%d requests cut by the kills (never acknowledged)",
        CYCLES,
        len(acknowledged),
        len(stored),
        lost_in_flight,
    )
