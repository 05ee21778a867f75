"""Request and answer bodies of the promise service (pydantic; they make the OpenAPI schema).

Requests are strict: unknown members are rejected (a misspelt option must not be silently
ignored), numbers must be JSON numbers and flags JSON booleans. Answers are declared for
the documentation; the service builds them from the promiser's own ``to_dict``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from oms_plan.schema import EARLIEST_DATE, LATEST_DATE, MAX_DAYS, MAX_MAGNITUDE

_Id = Annotated[str, Field(strict=True, min_length=1, max_length=500)]
_Label = (
    Annotated[str, Field(strict=True, min_length=1, max_length=500)]
    | Annotated[int, Field(strict=True, ge=0)]
)
_Quantity = Annotated[float, Field(gt=0, le=MAX_MAGNITUDE, allow_inf_nan=False, strict=True)]
_NonNegative = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE, allow_inf_nan=False, strict=True)]


class PromiseRequest(BaseModel):
    """``POST /v1/promise``: one line to quote."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"item": "BK-CITY", "quantity": 20, "ship_to": "FR", "requested_date": "2027-01-20"}
            ]
        },
    )

    item: _Id = Field(description="Item id.")
    quantity: _Quantity = Field(description="Quantity wanted (> 0).")
    ship_to: _Id = Field(description="Region id.")
    requested_date: str = Field(
        description="Requested delivery date, YYYY-MM-DD.", examples=["2026-12-20"]
    )
    partial_ok: StrictBool | None = Field(None, description="Accept several shipments.")
    max_shipments: Annotated[int, Field(strict=True, ge=1, le=10_000)] | None = Field(
        None, description="At most this many shipments."
    )
    min_shipment: _NonNegative | None = Field(None, description="No shipment smaller than this.")
    max_days_late: Annotated[int, Field(strict=True, ge=0, le=MAX_DAYS)] | None = Field(
        None, description="Nothing arrives later than requested + this many days."
    )
    location: _Id | None = Field(None, description="Ship from this location only.")
    ctp: StrictBool | None = Field(
        None, description="Capable-to-promise (new production or purchase) when available."
    )

    @field_validator("requested_date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            date = dt.date.fromisoformat(value)
        except ValueError:
            date = None
        if date is None or date.isoformat() != value:
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(f"{value} is outside {EARLIEST_DATE} … {LATEST_DATE}")
        return value


class ReservationRequest(PromiseRequest):
    """``POST /v1/reservations``: a line to promise and hold, optionally for an order line."""

    order: _Label | None = Field(None, description="Order id the reservation is for.")
    line: _Label | None = Field(None, description="Line of that order.")

    @model_validator(mode="after")
    def _order_and_line(self) -> ReservationRequest:
        if (self.order is None) != (self.line is None):
            raise ValueError("give both order and line, or neither")
        return self

    def body(self) -> dict[str, Any]:
        """The request as plain data (order and line as strings, as in the dataset)."""
        data = self.model_dump()
        for key in ("order", "line"):
            if data[key] is not None:
                data[key] = str(data[key])
        return data


class ReloadRequest(BaseModel):
    """``POST /v1/reload``: the dataset to promise from next."""

    model_config = ConfigDict(extra="forbid")

    dataset: Annotated[str, Field(strict=True, min_length=1, max_length=4096)] | None = Field(
        None, description="Dataset folder on the server; default: the current one, read again."
    )


class ShipmentAnswer(BaseModel):
    """One shipment of a promise (``promise --json``)."""

    model_config = ConfigDict(extra="allow")

    location: str
    quantity: float
    ship_date: str
    delivery_date: str


class PromiseAnswer(BaseModel):
    """The ``oms-plan promise --json`` object."""

    model_config = ConfigDict(extra="allow")

    item: str
    quantity: float
    shipments: list[ShipmentAnswer]
    short: float
    binding: str


class ReservationAnswer(BaseModel):
    """A reservation made (201) or found again by its idempotency key (200)."""

    reservation: str
    promise: PromiseAnswer


class ReservationInfo(BaseModel):
    """``GET /v1/reservations/{id}``."""

    reservation: str
    promise: PromiseAnswer
    created: str = Field(description="When it was made (ISO 8601, UTC).")
    status: str = Field(
        description="held; conflict (no longer fits after a reload); committed (the dataset "
        "now holds its order line)."
    )


class ReleaseAnswer(BaseModel):
    """``DELETE /v1/reservations/{id}``."""

    reservation: str
    released: bool


class FieldErrorAnswer(BaseModel):
    """What is wrong with one field."""

    field: str
    message: str


class ErrorAnswer(BaseModel):
    """Every error answer (401, 404, 413, 422, 503)."""

    errors: list[FieldErrorAnswer]


class ShortAnswer(BaseModel):
    """409: nothing can be promised, nothing is reserved."""

    promise: PromiseAnswer
    errors: list[FieldErrorAnswer]


class AtpRow(BaseModel):
    """One day of ``GET /v1/atp``."""

    date: str
    on_hand: float
    atp: float


class HealthAnswer(BaseModel):
    """``GET /health``."""

    status: str
    reservations: int
    error: str | None = None


class ReloadAnswer(BaseModel):
    """``POST /v1/reload``."""

    reservations: int
    conflicts: int


class ConflictAnswer(BaseModel):
    """A reservation that no longer fits."""

    reservation: str
    reason: str
