"""Settings of a service process, and how ``oms-plan serve`` hands them to uvicorn workers."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from oms_plan.errors import PlanningError

#: Environment variable carrying :class:`ServiceConfig` to uvicorn worker processes.
CONFIG_ENV = "OMS_PLAN_SERVICE_CONFIG"
#: Name of the default SQLite ledger, in the folder that holds the dataset folder.
DEFAULT_LEDGER_NAME = "oms_plan_ledger.sqlite"
#: Largest request body accepted (bytes); larger ones get 413.
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What a service process needs to start.

    Attributes
    ----------
    dataset
        The dataset folder (absolute).
    ledger
        Ledger URL (``sqlite:///PATH`` or ``postgresql://…``); see :func:`default_ledger`.
    token
        The bearer token mutating calls must present; ``None``: no authentication.
    poll_seconds
        How often a process looks for reservations other processes sharing the ledger
        made (quotes may be this much behind them; reservations never are).
    max_body_bytes
        Request bodies above this size get 413.

    """

    dataset: str
    ledger: str
    token: str | None = None
    poll_seconds: float = 0.05
    max_body_bytes: int = MAX_BODY_BYTES

    def to_env(self) -> str:
        """The settings as JSON, for :data:`CONFIG_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServiceConfig:
        """The settings ``oms-plan serve`` left in :data:`CONFIG_ENV`."""
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            raise PlanningError(f"{CONFIG_ENV} is not set: start the service with oms-plan serve")
        return cls(**json.loads(raw))


def default_ledger(dataset: str | Path) -> str:
    """SCHEMA.md's default ledger: ``oms_plan_ledger.sqlite`` beside the dataset folder.

    Beside (in the parent folder), not inside: tomorrow's dataset folder next to today's
    finds the same ledger.
    """
    folder = Path(dataset).resolve()
    return f"sqlite:///{folder.parent / DEFAULT_LEDGER_NAME}"


def read_token(path: str | Path) -> str:
    """The token of a token file (surrounding whitespace stripped).

    Raises
    ------
    PlanningError
        The file cannot be read, or holds no token.

    """
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanningError(f"cannot read the token file {str(path)!r}: {exc}") from None
    if not token:
        raise PlanningError(f"the token file {str(path)!r} is empty")
    if any(c.isspace() for c in token):
        raise PlanningError(f"the token in {str(path)!r} contains whitespace")
    return token
