"""``load`` and ``validate``: a dataset source in, a :class:`Dataset` or every problem out."""

from __future__ import annotations

from dataclasses import dataclass

from oms_plan.dataset import Dataset
from oms_plan.errors import Issue
from oms_plan.validation import DatasetSource, SettingsLike, check_source

__all__ = ["DatasetSource", "SettingsLike", "ValidationReport", "load", "validate"]


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
        A dataset folder, or a mapping of table name → DataFrame (optionally with a
        ``"dataset"`` entry holding the settings).
    settings
        Plan settings (a :class:`PlanSettings` or ``{"start": ..., "horizon_days": ...}``);
        required for in-memory frames unless ``source`` has a ``"dataset"`` entry; for a
        folder, they replace ``dataset.toml`` (which may then be absent).

    Returns
    -------
    ValidationReport
        Every error and warning (table, 1-based row, column, message naming the business
        key) and the dataset when there were no errors.

    Raises
    ------
    TypeError
        When ``source`` is neither a path nor a mapping.

    """
    checked = check_source(source, settings=settings)
    return ValidationReport(checked.issues, Dataset.from_checked(checked) if checked.ok else None)


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
    checked = check_source(source, settings=settings)
    checked.raise_for_errors()
    return Dataset.from_checked(checked)
