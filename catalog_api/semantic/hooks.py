"""Tell the running embedding workers which products a commit wrote or deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, object_session

from catalog_api.models import Product
from catalog_api.semantic.availability import RUNTIMES

_WRITTEN = "semantic_written"
_DELETED = "semantic_deleted"


def _note(key: str) -> Any:
    def note(_mapper: Mapper[Product], _connection: object, product: Product) -> None:
        session = object_session(product)
        if session is not None and RUNTIMES.running():
            session.info.setdefault(key, set()).add(product.id)

    return note


def _committed(session: Session) -> None:
    written: set[int] = session.info.pop(_WRITTEN, set())
    deleted: set[int] = session.info.pop(_DELETED, set())
    if written or deleted:
        for runtime in RUNTIMES.running():
            runtime.changed(written, deleted)


def _rolled_back(session: Session, _transaction: object) -> None:
    session.info.pop(_WRITTEN, None)
    session.info.pop(_DELETED, None)


event.listen(Product, "after_insert", _note(_WRITTEN))
event.listen(Product, "after_update", _note(_WRITTEN))
event.listen(Product, "after_delete", _note(_DELETED))
event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_soft_rollback", _rolled_back)
