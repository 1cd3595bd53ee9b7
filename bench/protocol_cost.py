"""CPU cost of the bounded-head protocol alone: uvicorn's httptools protocol with and without it.

python -m bench.protocol_cost --requests 20000 --rounds 7

No sockets and no app work: each request (a GET with wrk-like headers) is fed to the
protocol over an in-memory transport and answered by a tiny ASGI app, so the difference
between the two is what catalog_api.serving adds per request. Rounds alternate between
the two classes; the figure is CPU time per request (time.process_time), median of rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bench.util import median, setup_logging
from catalog_api.serving import HeadLimitedProtocol

log = logging.getLogger("bench")

REQUEST = b"GET /api/products/12345 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
BODY = b'{"id": 12345}'


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": BODY})


class _MemoryTransport(asyncio.Transport):
    """Accept writes and count them; nothing leaves the process."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _cost(protocol_class: type[HttpToolsProtocol], requests: int) -> float:
    """Return CPU microseconds per request for protocol_class on one keep-alive connection."""
    config = Config(app=_app, lifespan="off", log_level="warning", access_log=False)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = _MemoryTransport()
    protocol.connection_made(transport)
    started = time.process_time()
    for _ in range(requests):
        protocol.data_received(REQUEST)
        # The protocol exposes no event for "response sent"; yield until the cycle says so.
        while protocol.cycle is not None and not protocol.cycle.response_complete:  # noqa: ASYNC110
            await asyncio.sleep(0)
    elapsed = time.process_time() - started
    answered = protocol.server_state.total_requests
    closed = transport.closed
    protocol.connection_lost(None)
    if closed or answered != requests:
        raise RuntimeError(f"{protocol_class.__name__} answered {answered} of {requests}")
    return elapsed / requests * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both classes in alternating rounds and print medians on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.protocol_cost", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per class")
    args = parser.parse_args(argv)
    setup_logging()
    classes: dict[str, type[HttpToolsProtocol]] = {
        "uvicorn HttpToolsProtocol": HttpToolsProtocol,
        "HeadLimitedProtocol": HeadLimitedProtocol,
    }
    costs: dict[str, list[float]] = {name: [] for name in classes}
    for round_number in range(args.rounds):
        order = list(classes.items())
        if round_number % 2:
            order.reverse()
        for name, protocol_class in order:
            cost = asyncio.run(_cost(protocol_class, args.requests))
            log.info("round %d %s: %.2f us/request", round_number + 1, name, cost)
            costs[name].append(cost)
    plain = costs["uvicorn HttpToolsProtocol"]
    bounded = costs["HeadLimitedProtocol"]
    added = median(bounded) - median(plain)
    added_best = min(bounded) - min(plain)
    sys.stdout.write(
        f"{args.requests} keep-alive GETs per round, {args.rounds} rounds each, alternating\n"
        f"uvicorn HttpToolsProtocol: median {median(plain):.2f}, best {min(plain):.2f} "
        "us CPU/request\n"
        f"HeadLimitedProtocol: median {median(bounded):.2f}, best {min(bounded):.2f} "
        "us CPU/request\n"
        f"added per request: {added:+.2f} us by medians, {added_best:+.2f} us by bests\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
