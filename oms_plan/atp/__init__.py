"""Order promising: time-phased available-to-promise, promises, reservations.

See ``docs/promising.md``. :func:`projection_frame` gives the ``projection`` table of a dataset;
:class:`Promiser` answers *when and from where can this line be delivered?* and keeps
reservations.
"""

from oms_plan.atp.ledger import AtpLedger
from oms_plan.atp.projection import atp_exceptions, ledger_projection, projection_frame
from oms_plan.atp.promiser import Promiser
from oms_plan.atp.request import LinesError
from oms_plan.atp.reservations import Reservation
from oms_plan.atp.types import (
    DuplicateReservationError,
    Promise,
    QuoteExpiredError,
    Shipment,
    UnknownReservationError,
    promises_frame,
)

__all__ = [
    "AtpLedger",
    "DuplicateReservationError",
    "LinesError",
    "Promise",
    "Promiser",
    "QuoteExpiredError",
    "Reservation",
    "Shipment",
    "UnknownReservationError",
    "atp_exceptions",
    "ledger_projection",
    "projection_frame",
    "promises_frame",
]
