"""The immutable :class:`Dataset` every engine reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.errors import Issue
from oms_plan.schema import TABLE_ORDER, TABLES
from oms_plan.settings import PlanSettings
from oms_plan.validation import CheckedTables, check_source
from oms_plan.writing import TableFormat, frame_to_records, write_tables


@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated, immutable planning dataset (docs/dataset.md), with defaults applied.

    Build one with :func:`oms_plan.load` or :class:`oms_plan.Model`; never construct it
    directly from unchecked frames. Tables are typed DataFrames in contract column order
    (extra user columns follow); every table of the contract is present, empty when the
    dataset had none. Accessors return shallow copies, so editing one never changes the
    dataset: use :meth:`replace` to derive a modified dataset.

    Attributes
    ----------
    settings
        The plan horizon and any other ``dataset.toml`` sections.
    warnings
        Non-blocking issues found while loading (dates outside the horizon, ...).

    """

    settings: PlanSettings
    _tables: Mapping[str, pd.DataFrame] = field(repr=False)
    _shipping: pd.DataFrame = field(repr=False)
    warnings: tuple[Issue, ...] = ()

    def __post_init__(self) -> None:
        # A private copy of the mapping: later changes to the caller's dict cannot leak in.
        object.__setattr__(self, "_tables", dict(self._tables))

    # -- tables ---------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """Return table ``name`` (a shallow copy; the dataset itself never changes)."""
        if name not in self._tables:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLE_ORDER)}")
        return self._tables[name].copy(deep=False)

    @property
    def items(self) -> pd.DataFrame:
        """The items table."""
        return self.table("items")

    @property
    def locations(self) -> pd.DataFrame:
        """The locations table."""
        return self.table("locations")

    @property
    def regions(self) -> pd.DataFrame:
        """Regions: the regions table plus every region named only by ``lanes.to``."""
        regions = self.table("regions")
        extra = sorted(set(self._tables["lanes"]["to"]) - set(regions["region"]))
        if not extra:
            return regions
        added = pd.DataFrame({"region": extra, "name": [None] * len(extra)})
        return pd.concat([regions, added], ignore_index=True)

    @property
    def sourcing(self) -> pd.DataFrame:
        """The sourcing table."""
        return self.table("sourcing")

    @property
    def bom(self) -> pd.DataFrame:
        """The bom table."""
        return self.table("bom")

    @property
    def routing(self) -> pd.DataFrame:
        """The routing table."""
        return self.table("routing")

    @property
    def workstations(self) -> pd.DataFrame:
        """The workstations table."""
        return self.table("workstations")

    @property
    def calendars(self) -> pd.DataFrame:
        """The calendars table (shift rows)."""
        return self.table("calendars")

    @property
    def downtime(self) -> pd.DataFrame:
        """The downtime table."""
        return self.table("downtime")

    @property
    def setups(self) -> pd.DataFrame:
        """The setups table (sequence-dependent changeovers)."""
        return self.table("setups")

    @property
    def lanes(self) -> pd.DataFrame:
        """The lanes table (shipping to regions)."""
        return self.table("lanes")

    @property
    def inventory(self) -> pd.DataFrame:
        """The inventory table (on hand at plan start)."""
        return self.table("inventory")

    @property
    def supply(self) -> pd.DataFrame:
        """The supply table (scheduled receipts)."""
        return self.table("supply")

    @property
    def orders(self) -> pd.DataFrame:
        """The orders table (open customer order lines)."""
        return self.table("orders")

    @property
    def shipping(self) -> pd.DataFrame:
        """Per order line (index aligned with :attr:`orders`): where and when it ships.

        Columns ``ship_location``, ``transit_days``, ``lane_cost``, ``due_day`` (day index of
        the promised, else requested, delivery date; may lie outside the horizon) and
        ``ship_day`` (``due_day - transit_days``, at least 0).
        """
        return self._shipping.copy(deep=False)

    # -- horizon --------------------------------------------------------------------------
    @property
    def start(self) -> dt.date:
        """First day of the horizon."""
        return self.settings.start

    @property
    def horizon_days(self) -> int:
        """Number of day buckets."""
        return self.settings.horizon_days

    @property
    def end(self) -> dt.date:
        """Last plannable day."""
        return self.settings.end

    @cached_property
    def dates(self) -> pd.DatetimeIndex:
        """The horizon's days, one per bucket."""
        return pd.date_range(self.start, periods=self.horizon_days, freq="D")

    def day(self, value: dt.date | str | pd.Timestamp) -> int:
        """Day index of a date (0 = plan start; negative or ≥ horizon_days outside it)."""
        return int((pd.Timestamp(value).normalize() - pd.Timestamp(self.start)).days)

    def date(self, day: int) -> dt.date:
        """The date of day index ``day``."""
        return self.start + dt.timedelta(days=int(day))

    # -- index maps -----------------------------------------------------------------------
    @cached_property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in table order; an item's index is its position here."""
        return tuple(self._tables["items"]["item"])

    @cached_property
    def item_index(self) -> Mapping[str, int]:
        """Item id → index."""
        return {k: i for i, k in enumerate(self.item_ids)}

    @cached_property
    def location_ids(self) -> tuple[str, ...]:
        """Location ids in table order."""
        return tuple(self._tables["locations"]["location"])

    @cached_property
    def location_index(self) -> Mapping[str, int]:
        """Location id → index."""
        return {k: i for i, k in enumerate(self.location_ids)}

    @cached_property
    def region_ids(self) -> tuple[str, ...]:
        """Region ids: the regions table, then regions named only by lanes (sorted)."""
        return tuple(self.regions["region"])

    @cached_property
    def region_index(self) -> Mapping[str, int]:
        """Region id → index."""
        return {k: i for i, k in enumerate(self.region_ids)}

    @cached_property
    def workstation_ids(self) -> tuple[str, ...]:
        """Workstation ids in table order."""
        return tuple(self._tables["workstations"]["workstation"])

    @cached_property
    def workstation_index(self) -> Mapping[str, int]:
        """Workstation id → index."""
        return {k: i for i, k in enumerate(self.workstation_ids)}

    def num_rows(self) -> dict[str, int]:
        """Row count of every table."""
        return {name: len(self._tables[name]) for name in TABLE_ORDER}

    # -- round trips ----------------------------------------------------------------------
    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table as a DataFrame (copies), keyed by table name."""
        return {name: self._tables[name].copy() for name in TABLE_ORDER}

    def write(self, path: str | Path, *, format: TableFormat = "csv") -> Path:
        """Write the dataset as a folder (``dataset.toml`` plus one file per non-empty table)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dataset.toml").write_text(self.settings.to_toml(), encoding="utf-8")
        frames = {n: f for n, f in self.to_frames().items() if not f.empty or TABLES[n].required}
        write_tables(frames, folder, format=format, specs=TABLES)
        return folder

    def to_json(self) -> str:
        """Serialize to JSON: settings plus every table as a list of records."""
        payload: dict[str, Any] = {"settings": self.settings.to_dict(), "tables": {}}
        for name in TABLE_ORDER:
            payload["tables"][name] = frame_to_records(self._tables[name], TABLES.get(name))
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Dataset:
        """Rebuild a dataset written by :meth:`to_json` (validated again)."""
        payload = json.loads(text)
        frames = {
            name: pd.DataFrame.from_records(rows) if rows else _empty(name)
            for name, rows in payload["tables"].items()
        }
        return cls.from_checked(check_source(frames, settings=payload["settings"]))

    def replace(self, *, settings: PlanSettings | None = None, **tables: pd.DataFrame) -> Dataset:
        """Return a validated copy with some tables (or the settings) replaced.

        Examples
        --------
        >>> rush = ds.replace(orders=pd.concat([ds.orders, new_line]))  # doctest: +SKIP

        """
        unknown = set(tables) - set(TABLE_ORDER)
        if unknown:
            raise KeyError(f"unknown table(s) {', '.join(sorted(unknown))}")
        frames = {name: self._tables[name] for name in TABLE_ORDER}
        frames.update(tables)
        return Dataset.from_checked(check_source(frames, settings=settings or self.settings))

    @classmethod
    def from_checked(cls, checked: CheckedTables) -> Dataset:
        """The dataset of a checked source (what :func:`oms_plan.load` returns).

        Parameters
        ----------
        checked
            The answer of :func:`oms_plan.validation.check_source`.

        Returns
        -------
        Dataset
            The typed tables, the ship-from rule and the warnings.

        Raises
        ------
        DatasetError
            When ``checked`` has errors or no settings, listing every problem.

        """
        checked.raise_for_errors()
        assert checked.settings is not None  # raise_for_errors: ok means settings are set
        return cls(checked.settings, checked.tables, checked.shipping, checked.warnings)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={c}" for n, c in self.num_rows().items() if c)
        return f"Dataset(start={self.start}, horizon_days={self.horizon_days}, {counts})"


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name].column_names})
