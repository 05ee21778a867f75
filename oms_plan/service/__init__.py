"""The HTTP promise service: quotes and durable reservations (``oms-plan serve``).

See ``docs/service.md``. :class:`PromiseService` is the service without HTTP (a dataset,
a :class:`~oms_plan.Promiser` and a durable ledger); :func:`create_app` puts FastAPI in
front of it. Needs the ``service`` extra: ``pip install "oms-plan[service]"``.
"""

from oms_plan.service.config import ServiceConfig, default_ledger, read_token
from oms_plan.service.core import PromiseService, ServiceError
from oms_plan.service.ledger import Event, Ledger, LedgerError
from oms_plan.service.ledger_url import open_ledger

__all__ = [
    "Event",
    "Ledger",
    "LedgerError",
    "PromiseService",
    "ServiceConfig",
    "ServiceError",
    "create_app",
    "default_ledger",
    "open_ledger",
    "read_token",
]


def __getattr__(name: str) -> object:
    # FastAPI is imported only when the application is asked for.
    if name == "create_app":
        from oms_plan.service.app import create_app

        return create_app
    raise AttributeError(name)
