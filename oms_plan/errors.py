"""Problems found in a dataset, and the one exception that reports them all at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem (or warning) in a dataset.

    Attributes
    ----------
    table
        Table name as in docs/dataset.md (``"orders"``), or ``"dataset.toml"``.
    row
        1-based data row (1 = first row after the header); ``None`` for a table-level issue.
    column
        Column concerned, or ``None`` when the issue is about the row or the table.
    message
        Human-readable text naming the business key (``"order 'SO-1' line '2': ..."``).
    severity
        ``"error"`` (the dataset is rejected) or ``"warning"`` (loaded, but worth a look).

    """

    table: str
    row: int | None
    column: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" [{self.column}]"
        return f"{self.severity}: {where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """Return the issue as a plain dict (for JSON output)."""
        return {
            "severity": self.severity,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class DatasetError(ValueError):
    """A dataset cannot be used; ``issues`` lists every problem found, not just the first.

    Parameters
    ----------
    issues
        The problems (severity ``"error"``); warnings found alongside may be included.

    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        shown = "\n".join(f"  - {i}" for i in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"invalid dataset: {len(errors)} problem(s)\n{shown}{more}")

    @property
    def errors(self) -> Sequence[Issue]:
        """The issues of severity ``"error"``."""
        return [i for i in self.issues if i.severity == "error"]


class PlanningError(ValueError):
    """A request to an engine is invalid (unknown item, non-positive quantity, ...)."""


class VerificationError(RuntimeError):
    """An engine's answer failed its independent check (``verify=True``): a bug in oms_plan."""
