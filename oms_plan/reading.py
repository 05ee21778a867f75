"""Read a dataset folder (CSV and/or Parquet tables, ``dataset.toml``) into raw DataFrames."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.errors import Issue
from oms_plan.schema import TABLE_ORDER


def read_folder(path: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame], list[Issue]]:
    """Read ``path`` without interpreting values.

    Returns the parsed ``dataset.toml`` (empty when missing), one DataFrame per table found
    (CSV cells as strings, Parquet columns as stored) and the problems met while reading.
    """
    issues: list[Issue] = []
    if not path.is_dir():
        return (
            {},
            {},
            [Issue("dataset", None, None, f"dataset folder {str(path)!r} does not exist")],
        )
    toml_path = path / "dataset.toml"
    settings: dict[str, Any] = {}
    if toml_path.is_file():
        try:
            settings = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            issues.append(Issue("dataset.toml", None, None, f"cannot parse dataset.toml: {exc}"))
    else:
        issues.append(Issue("dataset.toml", None, None, f"missing dataset.toml in {str(path)!r}"))
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        csv, parquet = path / f"{name}.csv", path / f"{name}.parquet"
        if csv.is_file() and parquet.is_file():
            issues.append(
                Issue(name, None, None, f"both {name}.csv and {name}.parquet exist; keep one")
            )
            continue
        try:
            if csv.is_file():
                tables[name] = read_csv_table(csv)
            elif parquet.is_file():
                tables[name] = pd.read_parquet(parquet)
        except Exception as exc:
            issues.append(Issue(name, None, None, f"cannot read {name} table: {exc}"))
    return settings, tables, issues


def read_csv_table(path: Path) -> pd.DataFrame:
    """Read one CSV table with every cell as a string; empty cells become ``""``."""
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[],
        skipinitialspace=True,
        encoding="utf-8",
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
