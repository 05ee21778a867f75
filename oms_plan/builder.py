"""``Model``: build a dataset in code, row by row, with the same checks as :func:`load`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.loading import load
from oms_plan.schema import TABLE_ORDER, TABLES
from oms_plan.settings import PlanSettings


class Model:
    """Collects rows of each table and turns them into a validated :class:`Dataset`.

    Every ``add_*`` method takes the columns of its table (SCHEMA.md) as keyword arguments,
    appends one row and returns that row as a dict. Omitted optional columns get their
    defaults when :meth:`dataset` validates the rows.

    Parameters
    ----------
    start
        First day of the horizon.
    horizon_days
        Number of day buckets.

    Examples
    --------
    >>> m = Model(start="2026-11-23", horizon_days=30)
    >>> _ = m.add_item(item="BIKE")
    >>> _ = m.add_location(location="DC1", kind="warehouse")
    >>> _ = m.add_sourcing(item="BIKE", location="DC1", method="buy", lead_days=5)
    >>> m.dataset().num_rows()["items"]
    1

    """

    def __init__(self, start: dt.date | str, horizon_days: int = 180) -> None:
        self.settings = PlanSettings(
            dt.date.fromisoformat(start) if isinstance(start, str) else start, horizon_days
        )
        self._rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_ORDER}

    def _add(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(TABLES[table].column_names)
        if unknown:
            raise TypeError(f"add to {table}: unknown column(s) {', '.join(sorted(unknown))}")
        row = {k: v for k, v in values.items() if v is not None}
        self._rows[table].append(row)
        return row

    def add_item(self, **values: Any) -> dict[str, Any]:
        """Add an items row (item, name, unit_cost, price, integral, safety_stock, lot_*...)."""
        return self._add("items", values)

    def add_location(self, **values: Any) -> dict[str, Any]:
        """Add a locations row (location, kind, calendar)."""
        return self._add("locations", values)

    def add_region(self, **values: Any) -> dict[str, Any]:
        """Add a regions row (region, name)."""
        return self._add("regions", values)

    def add_sourcing(self, **values: Any) -> dict[str, Any]:
        """Add a sourcing row (item, location, method, lead_days, from_location, ...)."""
        return self._add("sourcing", values)

    def add_bom_line(self, **values: Any) -> dict[str, Any]:
        """Add a bom row (parent, component, quantity_per, scrap_rate, location)."""
        return self._add("bom", values)

    def add_routing_step(self, **values: Any) -> dict[str, Any]:
        """Add a routing row (item, step, workstation, run_minutes, setup_minutes, ...)."""
        return self._add("routing", values)

    def add_workstation(self, **values: Any) -> dict[str, Any]:
        """Add a workstations row (workstation, location, calendar, units, pausable)."""
        return self._add("workstations", values)

    def add_shift(self, **values: Any) -> dict[str, Any]:
        """Add a calendars row (calendar, weekday, start, end)."""
        return self._add("calendars", values)

    def add_downtime(self, **values: Any) -> dict[str, Any]:
        """Add a downtime row (workstation, start, end)."""
        return self._add("downtime", values)

    def add_setup(self, **values: Any) -> dict[str, Any]:
        """Add a setups row (from_family, to_family, minutes, workstation)."""
        return self._add("setups", values)

    def add_lane(self, **values: Any) -> dict[str, Any]:
        """Add a lanes row (from_location, to, transit_days, cost_per_unit)."""
        return self._add("lanes", values)

    def add_inventory(self, **values: Any) -> dict[str, Any]:
        """Add an inventory row (item, location, on_hand)."""
        return self._add("inventory", values)

    def add_supply(self, **values: Any) -> dict[str, Any]:
        """Add a supply row (supply, kind, item, location, quantity, due_date, ...)."""
        return self._add("supply", values)

    def add_order_line(self, **values: Any) -> dict[str, Any]:
        """Add an orders row (order, line, item, quantity, requested_date, ship_to, ...)."""
        return self._add("orders", values)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The rows collected so far, one DataFrame per non-empty table."""
        out = {}
        for name, rows in self._rows.items():
            if rows or TABLES[name].required:
                # An empty required table still has the contract's columns.
                columns = list(dict.fromkeys(k for row in rows for k in row))
                out[name] = pd.DataFrame(rows, columns=columns or list(TABLES[name].column_names))
        return out

    def dataset(self) -> Dataset:
        """Validate the rows and return the :class:`Dataset` (raises ``DatasetError``)."""
        return load(self.frames(), settings=self.settings)
