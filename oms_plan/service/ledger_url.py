"""Opening a ledger from its URL (``sqlite:///PATH`` or ``postgresql://…``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from oms_plan.service.ledger import Ledger, LedgerError, redact


def open_ledger(url: str) -> Ledger:
    """Open (and on first use create) the ledger at ``url``.

    Parameters
    ----------
    url
        ``sqlite:///PATH`` (a file; relative paths are relative to the working folder,
        ``sqlite:////abs/path`` for an absolute one) or ``postgresql://…`` (a libpq URI;
        ``?options=-csearch_path%3DNAME`` selects a schema).

    Returns
    -------
    Ledger
        The open ledger, its table created if missing.

    Raises
    ------
    LedgerError
        An unknown scheme, a path that cannot be opened, an unreachable database.

    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from oms_plan.service.ledger_sqlite import SqliteLedger

        return SqliteLedger(sqlite_path(url))
    if scheme in ("postgresql", "postgres"):
        from oms_plan.service.ledger_postgres import PostgresLedger

        return PostgresLedger(url)
    raise LedgerError(
        f"ledger URL {redact(url)!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///PATH`` URL (as SQLAlchemy writes them)."""
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix) or len(url) == len(prefix):
        raise LedgerError(f"ledger URL {url!r}: expected sqlite:///PATH")
    return url[len(prefix) :]
