"""``Scenario``: a base dataset plus a log of named edits — a planner's what-if."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue
from oms_plan.fingerprint import fingerprint
from oms_plan.loading import load
from oms_plan.replan.result import Plan
from oms_plan.scenario.compare import PlanDiff, PlanLike, as_plan, compare
from oms_plan.scenario.edits import Edit, apply_edit

#: Files of a saved scenario folder.
SCENARIO_FILE = "scenario.json"
EDITS_FILE = "edits.csv"
_FORMAT = 1


class Scenario:
    """A base dataset plus named edits; every edit returns a new Scenario.

    Parameters
    ----------
    dataset
        The base dataset, or its folder (loaded, and remembered for :meth:`save`).
    name
        A name for tables and charts (default ``"scenario"``).
    base
        A plan of the base dataset (a :class:`~oms_plan.Plan` or plan folder) to replan from:
        :meth:`plan` keeps its decisions where the edits do not force a change.

    Examples
    --------
    >>> rush = oms_plan.Scenario(ds, name="rush").add_order(  # doctest: +SKIP
    ...     order="RUSH-1", line="1", item="EB-CITY", quantity=40,
    ...     requested_date="2026-12-03", ship_to="DE", priority=1)
    >>> diff = rush.compare()  # doctest: +SKIP

    """

    __slots__ = (
        "_base",
        "_base_fingerprint",
        "_base_plan",
        "_dataset",
        "_edits",
        "_name",
        "_source",
    )
    _base: Dataset
    _base_fingerprint: str | None
    _base_plan: Plan | None
    _dataset: Dataset
    _edits: tuple[Edit, ...]
    _name: str
    _source: Path | None

    def __init__(
        self,
        dataset: Dataset | str | Path,
        name: str | None = None,
        base: PlanLike | None = None,
    ) -> None:
        source: Path | None = None
        if not isinstance(dataset, Dataset):
            source = Path(dataset).resolve()
            dataset = load(source)
        self._init(
            dataset,
            name or "scenario",
            None if base is None else as_plan(base),
            (),
            dataset,
            source,
            None,
        )

    def _init(
        self,
        base: Dataset,
        name: str,
        base_plan: Plan | None,
        edits: tuple[Edit, ...],
        dataset: Dataset,
        source: Path | None,
        base_fingerprint: str | None,
    ) -> None:
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_base_plan", base_plan)
        object.__setattr__(self, "_edits", edits)
        object.__setattr__(self, "_dataset", dataset)
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_base_fingerprint", base_fingerprint)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Scenario is immutable: each edit returns a new Scenario")

    # -- what it is ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The scenario's name."""
        return self._name

    @property
    def base_dataset(self) -> Dataset:
        """The dataset before any edit."""
        return self._base

    @property
    def base(self) -> Plan | None:
        """The plan of the base dataset this scenario replans from, if one was given."""
        return self._base_plan

    @property
    def dataset(self) -> Dataset:
        """The base dataset with every edit applied (validated when each edit was made)."""
        return self._dataset

    @property
    def edit_list(self) -> tuple[Edit, ...]:
        """The edits, in the order they apply."""
        return self._edits

    @property
    def edits(self) -> pd.DataFrame:
        """The edit log: ``step`` (1, 2, …), ``edit`` (its name), ``arguments`` (as called)."""
        rows = [
            {
                "step": k,
                "edit": e.kind,
                "arguments": ", ".join(f"{a}={v!r}" for a, v in e.arguments),
            }
            for k, e in enumerate(self.edit_list, start=1)
        ]
        return pd.DataFrame(rows, columns=["step", "edit", "arguments"])

    def fingerprint(self) -> str:
        """The base dataset's fingerprint (see :func:`oms_plan.scenario.fingerprint`)."""
        if self._base_fingerprint is None:
            object.__setattr__(self, "_base_fingerprint", fingerprint(self.base_dataset))
        return str(self._base_fingerprint)

    def __iter__(self) -> Iterator[Edit]:
        return iter(self.edit_list)

    def __len__(self) -> int:
        return len(self.edit_list)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {len(self)} edit(s))"

    # -- edits ---------------------------------------------------------------------------
    def apply(self, edit: Edit) -> Scenario:
        """A new scenario with ``edit`` applied after the others.

        Raises
        ------
        DatasetError
            When the edit does not apply or leaves an invalid dataset; every issue names
            the edit and its arguments.

        """
        frames = apply_edit(edit, self.dataset.to_frames())
        try:
            dataset = load(frames, settings=self.dataset.settings)
        except DatasetError as exc:
            raise DatasetError(
                [
                    Issue(
                        i.table, i.row, i.column, f"edit {edit.describe()}: {i.message}", i.severity
                    )
                    for i in exc.issues
                ]
            ) from None
        new = object.__new__(Scenario)
        new._init(
            self.base_dataset,
            self.name,
            self.base,
            (*self.edit_list, edit),
            dataset,
            self._source,
            self._base_fingerprint,
        )
        return new

    def add_order(self, **columns: Any) -> Scenario:
        """Add an order line.

        ``orders`` columns: order, line, item, quantity, requested_date and ship_to are
        required; priority, customer, promised_date, max_days_late, … are optional.
        """
        keys = {k: str(columns[k]) for k in ("order", "line") if columns.get(k) is not None}
        return self.apply(Edit.make("add_order", **{**columns, **keys}))

    def change_order(self, order: str, line: str, **columns: Any) -> Scenario:
        """Change columns of an order line (e.g. ``quantity=60``, ``priority=1``)."""
        return self.apply(Edit.make("change_order", order=order, line=str(line), **columns))

    def cancel_order(self, order: str, line: str | None = None) -> Scenario:
        """Remove an order line, or every line of ``order`` when ``line`` is None."""
        return self.apply(
            Edit.make("cancel_order", order=order, line=None if line is None else str(line))
        )

    def delay_supply(self, supply: str, days: int) -> Scenario:
        """Move a scheduled receipt's due date ``days`` later (negative: earlier)."""
        return self.apply(Edit.make("delay_supply", supply=supply, days=days))

    def cancel_supply(self, supply: str) -> Scenario:
        """Remove a scheduled receipt."""
        return self.apply(Edit.make("cancel_supply", supply=supply))

    def machine_down(self, workstation: str, start: Any, end: Any) -> Scenario:
        """Add downtime to a workstation from ``start`` to ``end``.

        Times are ``YYYY-MM-DDTHH:MM``; a date alone starts at its 00:00, and as ``end``
        includes that whole day (``end="2026-12-04"`` = down until 5 Dec 00:00).
        """
        return self.apply(Edit.make("machine_down", workstation=workstation, start=start, end=end))

    def change_lead_time(self, item: str, location: str, method: str, lead_days: int) -> Scenario:
        """Set ``lead_days`` of the sourcing rows (item, location, method)."""
        return self.apply(
            Edit.make(
                "change_lead_time",
                item=item,
                location=location,
                method=method,
                lead_days=lead_days,
            )
        )

    def set_stock(self, item: str, location: str, on_hand: float) -> Scenario:
        """Set the on-hand stock of ``item`` at ``location`` at plan start."""
        return self.apply(Edit.make("set_stock", item=item, location=location, on_hand=on_hand))

    # -- planning ------------------------------------------------------------------------
    def plan(self, **options: Any) -> Plan:
        """The plan of the edited dataset: ``plan(self.dataset, previous=base, **options)``.

        The base is the plan given to the constructor, else the last plan of the base
        dataset with the same options made in this process (see
        :func:`oms_plan.replan.previous.remembered`), else none.
        """
        from oms_plan.replan.previous import remembered
        from oms_plan.replan.stable import plan

        previous = self.base if self.base is not None else remembered(self.base_dataset, options)
        return plan(self.dataset, previous=previous, **options)

    def base_plan(self, **options: Any) -> Plan:
        """The base plan: the one given, else the remembered one, else planned now."""
        from oms_plan.replan.previous import remembered
        from oms_plan.replan.stable import plan

        if self.base is not None:
            return self.base
        known = remembered(self.base_dataset, options)
        # plan() remembers what it plans, so the next call finds it.
        return known if known is not None else plan(self.base_dataset, **options)

    def compare(self, **options: Any) -> PlanDiff:
        """``compare(self.base_plan(**options), self.plan(**options), dataset=self.dataset)``.

        The load table counts working minutes of the edited dataset (a machine down
        removes capacity, not clock time).
        """
        before = self.base_plan(**options)
        return compare(before, self.plan(**options), dataset=self.dataset)

    # -- saving --------------------------------------------------------------------------
    def save(self, folder: str | Path, *, dataset_path: str | Path | None = None) -> Path:
        """Write the edit log into ``folder`` (never a copy of the data).

        ``scenario.json`` holds the name, the base dataset's folder (``dataset_path``, or
        the folder the scenario was loaded from) and fingerprint, and the edits;
        ``edits.csv`` is the edit log for reading.

        Raises
        ------
        DatasetError
            When ``folder`` holds other files (it is not a scenario folder).

        """
        out = Path(folder)
        if out.exists() and not out.is_dir():
            raise DatasetError([Issue("scenario", None, None, f"{out} is a file, not a folder")])
        if out.is_dir():
            strangers = sorted(
                p.name for p in out.iterdir() if p.name not in (SCENARIO_FILE, EDITS_FILE)
            )
            if strangers:
                raise DatasetError(
                    [
                        Issue(
                            "scenario",
                            None,
                            None,
                            f"{out} is not a scenario folder (it holds "
                            f"{', '.join(strangers[:5])}); save into a new folder",
                        )
                    ]
                )
        source = Path(dataset_path).resolve() if dataset_path is not None else self._source
        payload = {
            "format": _FORMAT,
            "name": self.name,
            "base": {
                "path": None if source is None else str(source),
                "fingerprint": self.fingerprint(),
                "start": self.base_dataset.start.isoformat(),
                "horizon_days": self.base_dataset.horizon_days,
            },
            "edits": [e.to_dict() for e in self.edit_list],
        }
        out.mkdir(parents=True, exist_ok=True)
        (out / SCENARIO_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        self.edits.to_csv(out / EDITS_FILE, index=False)
        return out

    @classmethod
    def load(
        cls,
        folder: str | Path,
        dataset: Dataset | str | Path | None = None,
        *,
        base: PlanLike | None = None,
    ) -> Scenario:
        """Read a scenario saved by :meth:`save` and replay its edits on its base dataset.

        Parameters
        ----------
        folder
            The scenario folder.
        dataset
            The base dataset (or its folder); default the folder recorded when saving.
        base
            A plan of the base dataset to replan from.

        Raises
        ------
        DatasetError
            When the folder is not a scenario, the base dataset cannot be found, or its
            fingerprint differs from the one recorded (the edits were made on other data),
            or an edit no longer applies.

        """
        path = Path(folder) / SCENARIO_FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            recorded = payload["base"]
            edits = [Edit.from_dict(e) for e in payload["edits"]]
            name = str(payload["name"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DatasetError(
                [Issue("scenario", None, None, f"cannot read {path}: {exc}")]
            ) from None
        if dataset is None:
            if not recorded.get("path"):
                raise DatasetError(
                    [
                        Issue(
                            "scenario",
                            None,
                            None,
                            f"{path} records no base dataset folder: pass dataset=",
                        )
                    ]
                )
            dataset = recorded["path"]
        scenario = cls(dataset, name=name, base=base)
        found = scenario.fingerprint()
        if found != recorded.get("fingerprint"):
            raise DatasetError(
                [
                    Issue(
                        "scenario",
                        None,
                        None,
                        f"{path} was made on a different base dataset (fingerprint "
                        f"{recorded.get('fingerprint')}, this dataset {found}); its edits "
                        "would not mean the same here",
                    )
                ]
            )
        for edit in edits:
            scenario = scenario.apply(edit)
        return scenario
