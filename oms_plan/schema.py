"""The dataset contract of SCHEMA.md as data: tables, columns, types, defaults and keys.

Everything that reads, checks, builds or writes a dataset takes its column list from here,
so that the contract lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "text", "number", "int", "bool", "date", "time", "clock", "choice"]

#: Largest magnitude of any number: beyond it floats stop counting whole units exactly.
MAX_MAGNITUDE = 1e15
#: Largest number of days in a day-count column (lead, transit, lateness): 100 years.
MAX_DAYS = 36_600
#: Dates and times outside this range are rejected (a typo such as 2999 is not a plan date).
EARLIEST_DATE = "1900-01-01"
LATEST_DATE = "2199-12-31"
#: Most identical parallel units one workstation may have (the scheduler models each one).
MAX_UNITS = 1_000
#: Sentinel default meaning "the plan start date" (supply.release_date).
PLAN_START = "__plan_start__"
#: Sentinel default meaning "copy another column of the same row" (orders.customer_group).
SAME_AS = "__same_as__:"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    name
        Column name.
    kind
        ``id`` (identifier string), ``text``, ``number`` (float), ``int``, ``bool``,
        ``date`` (``YYYY-MM-DD``), ``time`` (``YYYY-MM-DDTHH:MM``), ``clock`` (``HH:MM``),
        ``choice`` (one of ``choices``).
    required
        Whether the column must be present.
    default
        Value for a missing optional column or empty cell; ``None`` keeps it missing.
    minimum
        Smallest allowed value for numeric kinds (``None``: no bound).
    choices
        Allowed values for ``choice`` columns.
    maximum
        Largest allowed value for numeric kinds (``None``: only the general limit
        :data:`MAX_MAGNITUDE`).

    """

    name: str
    kind: ColumnKind
    required: bool = True
    default: object = None
    minimum: float | None = 0.0
    choices: tuple[str, ...] = ()
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table of the dataset: its columns and its business key.

    Attributes
    ----------
    name
        Table name (file stem).
    columns
        The contract columns, in contract order.
    key
        Columns whose values identify a row (the business key; empty: no key).
    required
        Whether the table must be present.

    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the contract columns, in contract order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _req(name: str, kind: ColumnKind, **kw: object) -> Column:
    return Column(name, kind, True, **kw)  # type: ignore[arg-type]


def _opt(name: str, kind: ColumnKind, default: object = None, **kw: object) -> Column:
    return Column(name, kind, False, default, **kw)  # type: ignore[arg-type]


LOT_RULES = ("lot_for_lot", "fixed", "poq", "eoq")
LOCATION_KINDS = ("plant", "warehouse")
SOURCING_METHODS = ("buy", "make", "transfer")
SUPPLY_KINDS = ("purchase", "production", "transfer")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "items",
            (
                _req("item", "id"),
                _opt("name", "text"),
                _opt("unit_cost", "number", 0.0),
                _opt("price", "number", 0.0),
                _opt("integral", "bool", True),
                _opt("safety_stock", "number", 0.0),
                _opt("lot_rule", "choice", "lot_for_lot", choices=LOT_RULES),
                _opt("lot_size", "number", 0.0),
                _opt("lot_min", "number", 0.0),
                _opt("lot_max", "number", None),
                _opt("lot_multiple", "number", 0.0),
                _opt("lot_days", "int", 1, minimum=1, maximum=MAX_DAYS),
                _opt("order_cost", "number", 0.0),
                _opt("holding_rate", "number", 0.25),
            ),
            ("item",),
            required=True,
        ),
        TableSpec(
            "locations",
            (
                _req("location", "id"),
                _req("kind", "choice", choices=LOCATION_KINDS),
                _opt("calendar", "id"),
            ),
            ("location",),
            required=True,
        ),
        TableSpec("regions", (_req("region", "id"), _opt("name", "text")), ("region",)),
        TableSpec(
            "sourcing",
            (
                _req("item", "id"),
                _req("location", "id"),
                _req("method", "choice", choices=SOURCING_METHODS),
                _req("lead_days", "int", maximum=MAX_DAYS),
                _opt("from_location", "id"),
                _opt("cost_per_unit", "number", 0.0),
                _opt("priority", "int", 1, minimum=None),
            ),
            ("item", "location", "method", "from_location"),
            required=True,
        ),
        TableSpec(
            "bom",
            (
                _req("parent", "id"),
                _req("component", "id"),
                _req("quantity_per", "number"),
                _opt("scrap_rate", "number", 0.0),
                _opt("location", "id"),
            ),
            ("parent", "component", "location"),
        ),
        TableSpec(
            "routing",
            (
                _req("item", "id"),
                _req("step", "int"),
                _req("workstation", "id"),
                _req("run_minutes", "number"),
                _opt("setup_minutes", "number", 0.0),
                _opt("setup_family", "id"),
                _opt("location", "id"),
            ),
            ("item", "step", "workstation", "location"),
        ),
        TableSpec(
            "workstations",
            (
                _req("workstation", "id"),
                _req("location", "id"),
                _opt("calendar", "id"),
                _opt("units", "int", 1, minimum=1, maximum=MAX_UNITS),
                _opt("pausable", "bool", True),
            ),
            ("workstation",),
        ),
        TableSpec(
            "calendars",
            (
                _req("calendar", "id"),
                _req("weekday", "int", maximum=6),
                _req("start", "clock"),
                _req("end", "clock"),
            ),
            ("calendar", "weekday", "start"),
        ),
        TableSpec(
            "downtime",
            (_req("workstation", "id"), _req("start", "time"), _req("end", "time")),
            (),
        ),
        TableSpec(
            "setups",
            (
                _req("from_family", "id"),
                _req("to_family", "id"),
                _req("minutes", "number"),
                _opt("workstation", "id"),
            ),
            ("from_family", "to_family", "workstation"),
        ),
        TableSpec(
            "lanes",
            (
                _req("from_location", "id"),
                _req("to", "id"),
                _req("transit_days", "int", maximum=MAX_DAYS),
                _opt("cost_per_unit", "number", 0.0),
            ),
            ("from_location", "to"),
        ),
        TableSpec(
            "inventory",
            (_req("item", "id"), _req("location", "id"), _req("on_hand", "number")),
            ("item", "location"),
        ),
        TableSpec(
            "supply",
            (
                _req("supply", "id"),
                _req("kind", "choice", choices=SUPPLY_KINDS),
                _req("item", "id"),
                _req("location", "id"),
                _req("quantity", "number"),
                _req("due_date", "date"),
                _opt("from_location", "id"),
                _opt("release_date", "date", PLAN_START),
                _opt("priority", "int", 3, minimum=None),
            ),
            ("supply",),
        ),
        TableSpec(
            "orders",
            (
                _req("order", "id"),
                _req("line", "id"),
                _req("item", "id"),
                _req("quantity", "number"),
                _req("requested_date", "date"),
                _req("ship_to", "id"),
                _opt("location", "id"),
                _opt("customer", "id"),
                _opt("customer_group", "id", SAME_AS + "customer"),
                _opt("priority", "int", 3, minimum=None),
                _opt("partial_ok", "bool", True),
                _opt("ship_complete", "bool", False),
                _opt("min_shipment", "number", 0.0),
                _opt("max_shipments", "int", None, minimum=1),
                _opt("max_days_late", "int", None, maximum=MAX_DAYS),
                _opt("promised_date", "date"),
                _opt("price", "number", None),
            ),
            ("order", "line"),
        ),
    )
}

#: Tables in the order they are read, checked and written.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)
