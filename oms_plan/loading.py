"""``load`` and ``validate``: from a folder or DataFrames to a checked :class:`Dataset`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.checks import check_tables
from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue
from oms_plan.fields import coerce_table
from oms_plan.reading import read_folder
from oms_plan.schema import REQUIRED_TABLES, TABLE_ORDER, TABLES
from oms_plan.settings import PlanSettings, parse_settings
from oms_plan.shipping import resolve_shipping

DatasetSource = str | Path | Mapping[str, pd.DataFrame]
SettingsLike = PlanSettings | Mapping[str, Any]


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate` found.

    Attributes
    ----------
    issues
        Errors and warnings, in table order.
    dataset
        The loaded dataset when there were no errors, else ``None``.

    """

    issues: tuple[Issue, ...]
    dataset: Dataset | None

    @property
    def errors(self) -> list[Issue]:
        """Issues that make the dataset unusable."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues worth a look that do not block loading."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def validate(source: DatasetSource, *, settings: SettingsLike | None = None) -> ValidationReport:
    """Check a dataset and report every problem at once, without raising for bad data.

    Parameters
    ----------
    source
        A dataset folder, or a mapping of table name → DataFrame.
    settings
        Plan settings; required for in-memory frames unless ``source`` has a ``"dataset"``
        entry; for a folder, overrides ``dataset.toml``.

    """
    issues: list[Issue] = []
    raw_settings: Mapping[str, Any] = {}
    if isinstance(source, str | Path):
        raw_settings, raw_tables, read_issues = read_folder(Path(source))
        issues.extend(read_issues)
    else:
        raw_tables = {}
        for name, frame in source.items():
            if name in TABLES:
                if not isinstance(frame, pd.DataFrame):
                    issues.append(Issue(name, None, None, f"table {name!r} is not a DataFrame"))
                    continue
                raw_tables[name] = frame
            elif name not in ("dataset", "settings"):
                issues.append(
                    Issue(name, None, None, f"unknown table {name!r} (ignored)", "warning")
                )
        given = source.get("dataset", source.get("settings"))
        if isinstance(given, Mapping):
            raw_settings = given
    plan_settings: PlanSettings | None
    if isinstance(settings, PlanSettings):
        plan_settings = settings
    else:
        if settings is not None:
            raw_settings = settings
        if not raw_settings and not isinstance(source, str | Path):
            issues.append(
                Issue(
                    "dataset.toml",
                    None,
                    None,
                    "no settings given: pass settings={'start': ..., 'horizon_days': ...}",
                )
            )
            plan_settings = None
        elif not raw_settings:
            plan_settings = None
        else:
            plan_settings, setting_issues = parse_settings(raw_settings)
            issues.extend(setting_issues)
    start: dt.date | None = plan_settings.start if plan_settings else None

    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        spec = TABLES[name]
        raw = raw_tables.get(name)
        if raw is None:
            if name in REQUIRED_TABLES and not (
                isinstance(source, str | Path) and any(i.table == name for i in issues)
            ):
                issues.append(Issue(name, None, None, f"required table {name!r} is missing"))
            raw = pd.DataFrame({c: pd.Series(dtype=object) for c in spec.column_names})
        typed, field_issues = coerce_table(spec, raw, start)
        tables[name] = typed
        issues.extend(field_issues)
    broken = {
        i.table for i in issues if i.severity == "error" and i.row is None and i.table in TABLES
    }
    issues.extend(check_tables({n: t for n, t in tables.items() if n not in broken}, plan_settings))
    shipping = pd.DataFrame()
    if plan_settings is not None and not _has_errors(issues):
        shipping, ship_issues = resolve_shipping(tables, plan_settings.start)
        issues.extend(ship_issues)
    ordered = _sort_issues(issues)
    if _has_errors(ordered) or plan_settings is None:
        return ValidationReport(ordered, None)
    _finalize_types(tables)
    warnings = tuple(i for i in ordered if i.severity == "warning")
    dataset = Dataset(plan_settings, tables, shipping, warnings)
    return ValidationReport(ordered, dataset)


def load(source: DatasetSource, *, settings: SettingsLike | None = None) -> Dataset:
    """Load and validate a dataset.

    Parameters
    ----------
    source
        A dataset folder (``dataset.toml`` plus CSV/Parquet tables), or a mapping of table
        name → DataFrame (then pass ``settings``, or include a ``"dataset"`` entry).
    settings
        Plan settings (a :class:`PlanSettings` or ``{"start": ..., "horizon_days": ...}``).

    Returns
    -------
    Dataset
        The immutable, typed dataset with defaults applied.

    Raises
    ------
    DatasetError
        Listing every problem found (table, row, column, message).

    """
    report = validate(source, settings=settings)
    if report.dataset is None:
        issues = (
            report.issues
            if report.errors
            else (*report.issues, Issue("dataset.toml", None, None, "plan settings are missing"))
        )
        raise DatasetError(issues)
    return report.dataset


def _has_errors(issues: list[Issue] | tuple[Issue, ...]) -> bool:
    return any(i.severity == "error" for i in issues)


def _sort_issues(issues: list[Issue]) -> tuple[Issue, ...]:
    order = {name: k for k, name in enumerate(("dataset", "dataset.toml", *TABLE_ORDER))}
    return tuple(sorted(issues, key=lambda i: (order.get(i.table, 99), i.row or 0)))


def _finalize_types(tables: dict[str, pd.DataFrame]) -> None:
    orders, items = tables["orders"], tables["items"]
    if not orders.empty:
        # An order line without its own price sells at the item's list price.
        item_price = orders["item"].map(dict(zip(items["item"], items["price"], strict=True)))
        orders["price"] = orders["price"].fillna(item_price)
    # Whole-number columns that can no longer be missing become plain int64 for the engines.
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if col.kind == "int" and col.default is not None and frame[col.name].notna().all():
                frame[col.name] = frame[col.name].astype("int64")
