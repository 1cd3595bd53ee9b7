"""Start-up checks: a bad setting, database or port is one or two lines on stderr, no traceback."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import re
import socket
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

from catalog_api import __version__

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from catalog_api.config import Settings

logger = logging.getLogger(__name__)

EXIT_STARTUP_FAILURE = 2
DISTRIBUTION = "catalog-mcp"
URL_SETTING = "CATALOG_DATABASE_URL"
URL_EXAMPLES = "sqlite+aiosqlite:///path/catalog.db or postgresql+asyncpg://user:password@host/db"
SUPPORTED_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
SQLITE_HEADER = b"SQLite format 3\x00"
CONNECT_TIMEOUT_SECONDS = 10.0
SECRET_WORDS = ("key", "token", "secret", "password")

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class StartupError(Exception):
    """A reason the program cannot start: what is wrong (naming the setting), then the fix."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def installed_version() -> str:
    """Return the installed package's version (the source's when not installed)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return __version__


def port_number(text: str) -> int:
    """Parse a --port argument: a TCP port, 0-65535 (0: any free port)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port; choose 1-65535")
    return port


def exit_code_of(program: str, run: Callable[[], int]) -> int:
    """Run a command line; report a StartupError as its lines on stderr and exit code 2."""
    try:
        return run()
    except StartupError as error:
        for line in error.lines:
            sys.stderr.write(f"{program}: {line}\n")
        sys.stderr.flush()
        return EXIT_STARTUP_FAILURE


def hide_password(url: str) -> str:
    """Return url with the password of its user:password@ part replaced by ***."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Read settings from the environment; raise StartupError with one line per bad variable."""
    try:
        return model()
    except ValidationError as error:
        prefix = str(model.model_config.get("env_prefix") or "")
        lines = [_setting_problem(model, prefix, detail) for detail in error.errors()]
        raise StartupError(*lines) from None


def _setting_problem(model: type[BaseSettings], prefix: str, detail: Any) -> str:
    location = [str(part) for part in detail["loc"]]
    field = model.model_fields.get(location[0]) if location else None
    if not location:
        name = "settings"
    elif field is not None and field.validation_alias is None:
        name = prefix + location[0].upper()
    else:
        name = location[0].upper()
    message = str(detail["msg"]).removeprefix("Value error, ")
    value = detail.get("input")
    if not isinstance(value, str) or (field is not None and field.annotation is SecretStr):
        return f"{name}: {message}"
    if any(word in name.lower() for word in SECRET_WORDS):
        return f"{name}: {message}"
    return f"{name}={hide_password(value)!r}: {message}"


def database_display(database_url: str) -> str:
    """Return how a user recognises the database: the SQLite file's path, else the URL."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not url.database.startswith(":"):
        return str(Path(url.database).expanduser().resolve())
    return url.render_as_string(hide_password=True)


def check_port(host: str, port: int, *, host_setting: str, port_setting: str) -> None:
    """Check that host:port can be listened on now; raise StartupError naming the setting."""
    if port == 0:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise StartupError(
            f"cannot listen on host {host!r} ({host_setting}): {error.strerror}",
            f"use an address of this machine, e.g. 127.0.0.1, in {host_setting}",
        ) from None
    with socket.socket(family, kind, proto) as probe:
        # uvicorn sets SO_REUSEADDR too, so a port left in TIME_WAIT is not reported as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise _port_problem(error, host, port, host_setting, port_setting) from None


def _port_problem(
    error: OSError, host: str, port: int, host_setting: str, port_setting: str
) -> StartupError:
    where = f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return StartupError(
            f"port {port} on {host} ({port_setting}) is already in use by another program",
            f"stop that program, or choose another port with {port_setting}",
        )
    if error.errno == errno.EACCES:
        return StartupError(
            f"no permission to listen on {where} ({port_setting}): ports below 1024 need root",
            f"choose a port above 1023 with {port_setting}",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return StartupError(
            f"cannot listen on {host} ({host_setting}): not an address of this machine",
            f"use an address of this machine, e.g. 127.0.0.1, in {host_setting}",
        )
    return StartupError(f"cannot listen on {where} ({host_setting}, {port_setting}): {error}")


class _DropCancelledCloses(logging.Filter):
    """Drop the pool's traceback for a connection close cut short by Ctrl-C."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, asyncio.CancelledError)


def check_database(settings: Settings, *, check_schema: bool = True) -> None:
    """Open the database once, upgrade or check its schema; raise StartupError if that fails."""
    url = _supported_url(settings.database_url)
    database = url.database or ""
    is_file = url.get_backend_name() == "sqlite" and database not in {"", ":memory:"}
    if is_file and not database.startswith("file:"):  # a file: URI is left to SQLite
        check_sqlite_file(Path(database).expanduser())
    asyncio.run(_open_database(settings, url, check_schema=check_schema))


_DROP_CANCELLED_CLOSES = _DropCancelledCloses()


def _supported_url(database_url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise StartupError(
            f"{URL_SETTING}={hide_password(database_url)!r} is not a database URL",
            f"write e.g. {URL_EXAMPLES}",
        ) from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if SUPPORTED_DRIVERS.get(backend) != driver:
        raise StartupError(
            f"{URL_SETTING} uses {backend}+{driver}, which this server does not support",
            f"write e.g. {URL_EXAMPLES}",
        )
    return url


def check_sqlite_file(path: Path) -> None:
    """Check that the SQLite file and its directory can be written; create the directory."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StartupError(
            f"cannot create the directory {directory} for the SQLite database {path} "
            f"({URL_SETTING}): {error.strerror}",
            f"create it, or set {URL_SETTING}=sqlite+aiosqlite:///<a writable directory>/"
            f"{path.name}",
        ) from None
    if path.is_dir():
        raise StartupError(
            f"{URL_SETTING} points at the directory {path}, not at a SQLite file",
            f"add a file name, e.g. {URL_SETTING}=sqlite+aiosqlite:///{path / 'catalog.db'}",
        )
    if path.exists():
        _check_existing_sqlite_file(path)
    if not _writable_directory(directory) and not all(
        os.access(side, os.R_OK | os.W_OK) for side in _sqlite_side_files(path)
    ):
        raise StartupError(
            f"the directory {directory} is not writable, and SQLite must create "
            f"{path.name}-wal and {path.name}-shm there beside {path} ({URL_SETTING})",
            f"make {directory} writable for this user, or move {path.name} to a writable "
            f"directory and point {URL_SETTING} at it",
        )


def _check_existing_sqlite_file(path: Path) -> None:
    try:
        with path.open("rb") as stream:
            header = stream.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StartupError(
            f"cannot read the SQLite database {path} ({URL_SETTING}): {error.strerror}",
            f"make {path} readable and writable for this user (chmod u+rw)",
        ) from None
    if header and header != SQLITE_HEADER:
        raise StartupError(
            f"{path} ({URL_SETTING}) is not a SQLite database",
            f"point {URL_SETTING} at a SQLite file or a new path, or move {path} away",
        )
    if not os.access(path, os.W_OK):
        raise StartupError(
            f"the SQLite database {path} ({URL_SETTING}) is read-only for this user",
            f"make it writable (chmod u+w {path}), or point {URL_SETTING} at a writable copy",
        )


def _writable_directory(directory: Path) -> bool:
    return os.access(directory, os.W_OK | os.X_OK)


def _sqlite_side_files(path: Path) -> list[Path]:
    return [path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")]


async def _open_database(settings: Settings, url: URL, *, check_schema: bool) -> None:
    from catalog_api.db import create_engine
    from catalog_api.migrate import SchemaOutOfDateError, prepare_schema

    where = database_display(settings.database_url)
    engine = create_engine(settings)
    pool_class = type(engine.pool)
    logging.getLogger(f"{pool_class.__module__}.{pool_class.__name__}").addFilter(
        _DROP_CANCELLED_CLOSES
    )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS), engine.connect():
            pass
        if check_schema:
            await prepare_schema(engine, auto_migrate=settings.should_auto_migrate)
    except SchemaOutOfDateError as error:
        raise StartupError(
            f"the database {where} ({URL_SETTING}) is at schema revision "
            f"{error.current or 'none (empty)'}; this version needs {error.head}",
            "run `catalog-api migrate` with the same settings, or set CATALOG_AUTO_MIGRATE=true",
        ) from None
    except TimeoutError:
        raise StartupError(
            f"no answer from the database {where} ({URL_SETTING}) "
            f"within {CONNECT_TIMEOUT_SECONDS:g} s",
            "check that the host and port are right and that a firewall lets the connection in",
        ) from None
    except Exception as error:
        # The start-up boundary: any failure to open the database becomes a readable line.
        logger.debug("cannot open the database", exc_info=True)
        raise explain_database_error(error, url, where) from None
    finally:
        await engine.dispose()


def explain_database_error(error: BaseException, url: URL, where: str) -> StartupError:
    """Turn an error from opening the database into what happened and what to do."""
    import asyncpg  # type: ignore[import-untyped]

    cause = _innermost(error)
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(cause, asyncpg.InvalidPasswordError):
        return StartupError(
            f"PostgreSQL at {server} refused the password of user {url.username!r} ({URL_SETTING})",
            f"correct the user or password in {URL_SETTING}",
        )
    if isinstance(cause, asyncpg.InvalidCatalogNameError):
        return StartupError(
            f"PostgreSQL at {server} has no database {url.database!r} ({URL_SETTING})",
            f"create it (createdb -h {url.host or 'localhost'} {url.database}), "
            f"or correct the database name in {URL_SETTING}",
        )
    if isinstance(cause, asyncpg.PostgresError):
        return StartupError(
            f"PostgreSQL at {server} refused the connection ({URL_SETTING}): {cause}",
            f"correct {URL_SETTING} or the server's configuration",
        )
    if isinstance(cause, socket.gaierror):
        return StartupError(
            f"cannot find the database host {url.host!r} ({URL_SETTING}): {cause.strerror}",
            f"correct the host name in {URL_SETTING}",
        )
    if isinstance(cause, ConnectionRefusedError):
        return StartupError(
            f"cannot connect to PostgreSQL at {server} ({URL_SETTING}): connection refused",
            f"start PostgreSQL there, or correct the host and port in {URL_SETTING}",
        )
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return StartupError(
        f"cannot open the database {where} ({URL_SETTING}): {type(cause).__name__}: {first_line}",
        "run with CATALOG_LOG_LEVEL=DEBUG to see the whole error",
    )


def _innermost(error: BaseException) -> BaseException:
    """Return the driver's own exception under SQLAlchemy's wrappers."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "orig", None) or error.__cause__
        if inner is None:
            break
        error = inner
    return error
