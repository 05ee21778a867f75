"""Read, type and check a dataset source: the pipeline behind ``load`` and ``Dataset.replace``.

It returns the typed tables, the ship-from rule's table and every issue, and never builds a
:class:`~oms_plan.dataset.Dataset` itself: ``dataset.py`` wraps its answer, and ``loading.py``
wraps both in the public ``load`` / ``validate``, so that neither imports the other's caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.checks import check_tables
from oms_plan.errors import DatasetError, Issue
from oms_plan.fields import coerce_table
from oms_plan.reading import read_folder
from oms_plan.schema import REQUIRED_TABLES, TABLE_ORDER, TABLES
from oms_plan.settings import PlanSettings, parse_settings
from oms_plan.shipping import resolve_shipping

#: What ``load`` and ``validate`` read: a dataset folder or a mapping of table → DataFrame.
DatasetSource = str | Path | Mapping[str, pd.DataFrame]
#: Plan settings: a :class:`PlanSettings` or the parsed ``dataset.toml`` mapping.
SettingsLike = PlanSettings | Mapping[str, Any]


@dataclass(frozen=True)
class CheckedTables:
    """What :func:`check_source` found.

    Attributes
    ----------
    issues
        Errors and warnings, in table order.
    settings
        The parsed plan settings (``None`` when they are missing or invalid).
    tables
        Typed tables with every default applied (empty when there were errors).
    shipping
        The ship-from rule per order line (empty when there were errors).

    """

    issues: tuple[Issue, ...]
    settings: PlanSettings | None
    tables: dict[str, pd.DataFrame]
    shipping: pd.DataFrame

    @property
    def ok(self) -> bool:
        """Whether a dataset can be built: settings present and no errors."""
        return self.settings is not None and not _has_errors(self.issues)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues that do not block loading."""
        return tuple(i for i in self.issues if i.severity == "warning")

    def raise_for_errors(self) -> None:
        """Raise the :class:`DatasetError` listing every problem, unless :attr:`ok`.

        Raises
        ------
        DatasetError
            Every error (and warning) found; "plan settings are missing" when the source
            had no settings and nothing else was wrong.

        """
        if self.ok:
            return
        if _has_errors(self.issues):
            raise DatasetError(self.issues)
        raise DatasetError(
            (*self.issues, Issue("dataset.toml", None, None, "plan settings are missing"))
        )


def check_source(source: DatasetSource, *, settings: SettingsLike | None = None) -> CheckedTables:
    """Read, type and check ``source`` and report every problem at once.

    Parameters
    ----------
    source
        A dataset folder, or a mapping of table name → DataFrame (optionally with a
        ``"dataset"`` entry holding the settings).
    settings
        Plan settings; they replace a folder's ``dataset.toml``.

    Returns
    -------
    CheckedTables
        The issues and, when there were no errors, the typed tables.

    Raises
    ------
    TypeError
        When ``source`` is neither a path nor a mapping.

    """
    issues: list[Issue] = []
    raw_settings: Mapping[str, Any] | None = None
    if isinstance(source, str | Path):
        raw_settings, raw_tables, read_issues = read_folder(Path(source))
        if settings is not None:
            # Given settings replace dataset.toml: its absence or defects do not matter.
            read_issues = [i for i in read_issues if i.table != "dataset.toml"]
        issues.extend(read_issues)
    elif isinstance(source, Mapping):
        raw_tables, given, frame_issues = _gather_frames(source)
        issues.extend(frame_issues)
        if given is not None:
            raw_settings = given
    else:
        raise TypeError(
            f"load/validate take a folder path or a mapping of DataFrames, not "
            f"{type(source).__name__}"
        )
    if settings is not None:
        raw_settings = _settings_mapping(settings)
    plan_settings: PlanSettings | None = None
    from_folder = isinstance(source, str | Path)
    toml_reported = any(i.table == "dataset.toml" for i in issues)
    if raw_settings or (from_folder and not toml_reported):
        plan_settings, setting_issues = parse_settings(raw_settings or {})
        issues.extend(setting_issues)
    elif not from_folder:
        issues.append(
            Issue(
                "dataset.toml",
                None,
                None,
                "no settings given: pass settings={'start': ..., 'horizon_days': ...}",
            )
        )
    start: dt.date | None = plan_settings.start if plan_settings else None

    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        spec = TABLES[name]
        raw = raw_tables.get(name)
        if raw is None:
            if name in REQUIRED_TABLES and not any(i.table == name for i in issues):
                issues.append(Issue(name, None, None, f"required table {name!r} is missing"))
            raw = pd.DataFrame({c: pd.Series(dtype=object) for c in spec.column_names})
        typed, field_issues = coerce_table(spec, raw, start)
        tables[name] = typed
        issues.extend(field_issues)
    # A table with a table-level problem (unreadable, a required column missing) is not
    # used to check other tables: every reference to it would be a false alarm.
    broken = {
        i.table for i in issues if i.severity == "error" and i.row is None and i.table in TABLES
    }
    usable = {n: t for n, t in tables.items() if n not in broken}
    issues.extend(check_tables(usable, plan_settings))
    shipping = pd.DataFrame()
    if plan_settings is not None and not broken & _SHIPPING_TABLES:
        shipping, ship_issues = resolve_shipping(usable, plan_settings.start)
        issues.extend(ship_issues)
    ordered = _sort_issues(issues)
    if _has_errors(ordered) or plan_settings is None:
        return CheckedTables(ordered, None, {}, pd.DataFrame())
    _finalize_types(tables)
    return CheckedTables(ordered, plan_settings, tables, shipping)


#: Tables the ship-from rule reads.
_SHIPPING_TABLES = frozenset(
    {"orders", "lanes", "items", "locations", "regions", "inventory", "supply", "sourcing"}
)


def _gather_frames(
    source: Mapping[str, Any],
) -> tuple[dict[str, pd.DataFrame], Mapping[str, Any] | None, list[Issue]]:
    """Split an in-memory source into tables, settings and problems."""
    issues: list[Issue] = []
    tables: dict[str, pd.DataFrame] = {}
    for key, frame in source.items():
        name = str(key)
        if name in TABLES:
            if isinstance(frame, pd.DataFrame):
                tables[name] = frame
            else:
                issues.append(
                    Issue(
                        name,
                        None,
                        None,
                        f"table {name!r} is a {type(frame).__name__}, not a DataFrame",
                    )
                )
        elif name not in ("dataset", "settings"):
            issues.append(Issue(name, None, None, f"unknown table {name!r} (ignored)", "warning"))
    given = source.get("dataset", source.get("settings"))
    if given is None:
        return tables, None, issues
    if isinstance(given, PlanSettings | Mapping):
        return tables, _settings_mapping(given), issues
    issues.append(
        Issue("dataset.toml", None, None, f"settings are a {type(given).__name__}, not a mapping")
    )
    return tables, None, issues


def _settings_mapping(settings: SettingsLike) -> Mapping[str, Any]:
    """Settings as the parsed ``dataset.toml``; a :class:`PlanSettings` is checked again."""
    if isinstance(settings, PlanSettings):
        return {
            **{k: v for k, v in settings.extra.items()},
            "plan": {"start": settings.start, "horizon_days": settings.horizon_days},
        }
    return settings


def _has_errors(issues: list[Issue] | tuple[Issue, ...]) -> bool:
    return any(i.severity == "error" for i in issues)


def _sort_issues(issues: list[Issue]) -> tuple[Issue, ...]:
    order = {name: k for k, name in enumerate(("dataset", "dataset.toml", *TABLE_ORDER))}
    return tuple(sorted(issues, key=lambda i: (order.get(i.table, 99), i.row or 0)))


def _finalize_types(tables: dict[str, pd.DataFrame]) -> None:
    """Apply the defaults that depend on other tables, and engine-friendly dtypes."""
    orders, items = tables["orders"], tables["items"]
    if not orders.empty:
        # An order line without its own price sells at the item's list price.
        item_price = orders["item"].map(dict(zip(items["item"], items["price"], strict=True)))
        orders["price"] = orders["price"].fillna(item_price).astype("float64")
    workstations, locations = tables["workstations"], tables["locations"]
    if not workstations.empty:
        # A workstation without its own calendar follows its location's (else always open).
        at = workstations["location"].map(
            dict(zip(locations["location"], locations["calendar"], strict=True))
        )
        calendar = workstations["calendar"].to_numpy(dtype=object, copy=True)
        inherited = at.to_numpy(dtype=object)
        missing = workstations["calendar"].isna().to_numpy(dtype=bool)
        calendar[missing] = [None if pd.isna(c) else c for c in inherited[missing]]
        workstations["calendar"] = pd.Series(calendar, dtype=object, index=workstations.index)
    # Whole-number columns that cannot be missing become plain int64 for the engines.
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if (
                col.kind == "int"
                and (col.required or col.default is not None)
                and frame[col.name].notna().all()
            ):
                frame[col.name] = frame[col.name].astype("int64")
