"""Keep the start-up's long-lived objects out of Python's full garbage collections.

A serving process holds a few hundred thousand container objects that live as long as it does
(the imported libraries, the search vocabulary's speller). Python's full collection walks all of
them: 45 ms on an idle machine, 100-190 ms on a loaded one, every few seconds under search
traffic at 1M products, and the request that triggers it waits. Freezing moves the objects alive
at that moment into a generation the collector skips; they are still freed by reference counting.
Only serving processes freeze (tests build many apps in one process and must stay collectable).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

_enabled = False


def enable_freezing() -> None:
    """Let freeze_long_lived act in this process: called by the serving commands."""
    global _enabled
    _enabled = True


def freeze_long_lived() -> None:
    """Collect what is garbage now, then exempt every surviving object from full collections."""
    if not _enabled:
        return
    gc.collect()
    gc.freeze()
    logger.debug("%d objects exempt from full garbage collections", gc.get_freeze_count())


@contextmanager
def frozen_meanwhile() -> Iterator[None]:
    """Exempt the objects alive now from full collections until the block ends.

    For a long command (an import) in a process that did not freeze: its full collections
    then walk only what the command itself keeps, not every imported library. Unfrozen at
    the end, so a process that runs it (a test) stays collectable.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def paused() -> Iterator[None]:
    """Run the block without the cyclic garbage collector (unless someone else turned it off).

    An import batch allocates some 100 objects per row that live until it is written, so
    the collector kept traversing them and the rest of the heap: 30% of an import's CPU on
    PostgreSQL (bench/RESULTS.md). Its transactions are short (max_seconds), so what one
    leaves behind is collected right after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
