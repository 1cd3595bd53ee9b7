"""A loopback TCP proxy that hangs up instead of delivering chosen responses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class DropState:
    """How many POST responses are still to be lost, and how many were."""

    drops_left: int
    port: int = 0
    dropped: int = 0
    posts: int = 0


@asynccontextmanager
async def dropping_proxy(upstream_port: int, *, drop_posts: int) -> AsyncIterator[DropState]:
    """Proxy 127.0.0.1 to the upstream port; lose the responses of the first drop_posts POSTs.

    The request reaches the upstream whole, so it does its work; only the answer is lost,
    the way a network cut after the server committed looks to a client.
    """
    state = DropState(drops_left=drop_posts)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        drop_next = False

        async def client_to_upstream() -> None:
            nonlocal drop_next
            while data := await reader.read(65536):
                if data.startswith(b"POST "):
                    state.posts += 1
                    if state.drops_left > 0:
                        state.drops_left -= 1
                        drop_next = True
                up_writer.write(data)
                await up_writer.drain()

        async def upstream_to_client() -> None:
            while data := await up_reader.read(65536):
                if drop_next:
                    state.dropped += 1
                    writer.transport.abort()
                    return
                writer.write(data)
                await writer.drain()

        pumps = [
            asyncio.create_task(client_to_upstream()),
            asyncio.create_task(upstream_to_client()),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await pump
            up_writer.close()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
