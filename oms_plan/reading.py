"""Read a dataset folder (CSV and/or Parquet tables, ``dataset.toml``) into raw DataFrames."""

from __future__ import annotations

import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.errors import Issue
from oms_plan.schema import TABLE_ORDER, TABLES

#: File suffixes that hold a table.
TABLE_SUFFIXES = (".csv", ".parquet")


def read_folder(path: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame], list[Issue]]:
    """Read ``path`` without interpreting values.

    Parameters
    ----------
    path
        The dataset folder.

    Returns
    -------
    tuple[dict, dict[str, pandas.DataFrame], list[Issue]]
        The parsed ``dataset.toml`` (empty when missing or unreadable), one DataFrame per
        table found (CSV cells as strings, Parquet columns as stored) and the problems met
        while reading: a missing folder or ``dataset.toml``, a file that cannot be read
        (error, table-level), a table given both as CSV and Parquet (error), and files that
        look like tables but are not part of the contract (warning: a misspelt table name
        would otherwise be silently ignored).

    """
    issues: list[Issue] = []
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        return {}, {}, [Issue("dataset", None, None, f"dataset folder {str(path)!r} {what}")]
    settings = _read_settings(path, issues)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        csv, parquet = path / f"{name}.csv", path / f"{name}.parquet"
        if csv.is_file() and parquet.is_file():
            issues.append(
                Issue(name, None, None, f"both {name}.csv and {name}.parquet exist; keep one")
            )
            continue
        file = csv if csv.is_file() else parquet if parquet.is_file() else None
        if file is None:
            continue
        try:
            tables[name] = read_csv_table(file) if file is csv else pd.read_parquet(file)
        except Exception as exc:  # any reader failure is a problem of this file
            issues.append(Issue(name, None, None, f"cannot read {file.name}: {_reason(exc)}"))
            continue
        if file is csv:
            issues.extend(line_break_issues(name, tables[name], file.name))
    try:
        files = sorted(path.iterdir())
    except OSError:
        files = []  # an unlistable folder: its tables were reported unreadable above
    for file in files:
        if file.suffix in TABLE_SUFFIXES and file.stem not in TABLES and file.is_file():
            issues.append(
                Issue(
                    "dataset",
                    None,
                    None,
                    f"{file.name} is not a table of the dataset (ignored); tables are "
                    + ", ".join(TABLE_ORDER),
                    "warning",
                )
            )
    return settings, tables, issues


def _read_settings(path: Path, issues: list[Issue]) -> dict[str, Any]:
    toml_path = path / "dataset.toml"
    if not toml_path.is_file():
        issues.append(Issue("dataset.toml", None, None, f"missing dataset.toml in {str(path)!r}"))
        return {}
    try:
        return tomllib.loads(toml_path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        issues.append(Issue("dataset.toml", None, None, f"cannot read dataset.toml: {exc}"))
        return {}


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    ragged = _RAGGED.search(text)
    if ragged:
        expected, line, saw = (int(g) for g in ragged.groups())
        # Line 1 is the header, so file line N is data row N - 1.
        return f"row {line - 1} has {saw} cells but the header has {expected} columns"
    if isinstance(exc, pd.errors.ParserWarning):
        return "the rows have more cells than the header has columns"
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}".rstrip(": ")


def read_csv_table(path: Path) -> pd.DataFrame:
    """Read one CSV table with every cell as a string.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without a byte-order mark; header row first).

    Returns
    -------
    pandas.DataFrame
        Cells as strings (empty cells ``""``, cells missing from short rows NaN), column
        names stripped.

    Raises
    ------
    Exception
        Whatever the CSV reader raises for a file it cannot parse; :func:`read_folder`
        turns it into an issue.

    """
    with warnings.catch_warnings():
        # Rows longer than the header would silently lose cells: make that an error.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            skipinitialspace=True,
            encoding="utf-8-sig",
            index_col=False,
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def line_break_issues(table: str, frame: pd.DataFrame, file_name: str) -> list[Issue]:
    """Cells of a CSV table that span lines: a stray quote swallowed the lines after it.

    A ``"`` opening a cell makes the CSV reader read on, across line ends, to the next
    ``"``: the lines in between become part of one cell instead of rows of their own (a
    customer name swallowing two order lines, for example). No contract value spans lines,
    so every such cell is an error naming table, row and column.

    Parameters
    ----------
    table
        The table name (for the issues).
    frame
        The table as read by :func:`read_csv_table` (cells as strings).
    file_name
        The file it came from (for the message).

    Returns
    -------
    list[Issue]
        One error per cell holding a line break.

    """
    from oms_plan.labels import KeyLabels

    spec = TABLES.get(table)
    labels = KeyLabels(spec, frame) if spec is not None else None
    issues: list[Issue] = []
    for column in frame.columns:
        values = frame[column]
        if isinstance(values, pd.DataFrame):  # a duplicated column name: reported elsewhere
            continue
        if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        spans = values.astype(str).str.contains("[\r\n]", regex=True, na=False)
        for pos in spans.to_numpy(dtype=bool).nonzero()[0]:
            cell = str(values.iat[pos])
            shown = cell if len(cell) <= 60 else cell[:57] + "..."
            who = f"{labels(int(pos))}: " if labels is not None else ""
            lines = cell.count("\n") + 1
            issues.append(
                Issue(
                    table,
                    int(pos) + 1,
                    str(column),
                    f"{who}{column} {shown!r} spans {lines} lines of {file_name}: a stray "
                    'quote (") probably swallowed the lines after it into this cell',
                )
            )
    return issues
