"""Is a plan coherent? The rule of docs/dataset.md ("Plan outputs"), checked line by line.

A plan is coherent when its promises, its material plan and its schedule agree:

* **ready in time** — for every order line, everything pegged to it is ready on or before
  the line's latest ship date: stock at plan start, a receipt on its due date, an open
  manufacturing order the schedule sequences at its scheduled end (else its due date), a
  planned make order at the end of its last scheduled operation (never, when it is not
  scheduled), a planned purchase or transfer on its due date;
* **no build for a line it does not promise** — a wholly short line has no planned supply
  pegged to it;
* **short for a reason** — every short quantity names its binding.

:func:`coherence_problems` lists every violation, one message each, naming the line and the
supply; an empty list means the plan is coherent. It reads only the plan's tables and the
dataset, so it checks a plan folder as well as a fresh :class:`~oms_plan.replan.Plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import VerificationError

#: Readiness of supply that will not be ready inside the plan (an unscheduled make order).
NEVER_READY = dt.date.max


def coherence_problems(tables: Mapping[str, pd.DataFrame], dataset: Dataset) -> list[str]:
    """Every violation of the coherent-plan rule, as readable messages.

    Parameters
    ----------
    tables
        A plan's tables (``promises``, ``planned_orders``, ``pegging``, ``schedule``), as in
        :attr:`oms_plan.replan.Plan.tables` or read back from a plan folder.
    dataset
        The dataset the plan was made from.

    Returns
    -------
    list of str
        One message per violation, in order line order; empty when the plan is coherent.

    """
    promises = tables["promises"]
    pegging = tables["pegging"]
    ready = supply_readiness(tables, dataset)
    planned = set(tables["planned_orders"]["planned_order"].astype(str))
    shipped = promises.loc[promises["status"].astype(str) != "short"]
    last_ship = {
        (str(o), str(ln)): _as_date(d)
        for (o, ln), d in shipped.groupby(["order", "line"], sort=False)["ship_date"].max().items()
    }
    problems: list[str] = []
    short = promises.loc[promises["status"].astype(str) == "short"]
    for o, ln, binding in zip(short["order"], short["line"], short["binding"], strict=True):
        if not isinstance(binding, str) or not binding.strip():
            problems.append(f"line {o}/{ln}: short with no binding to say why")
    if pegging.empty:
        return problems
    # A peg with no supplier records a requirement nothing covers (MRP's ``short``).
    to_lines = pegging.loc[pegging["line"].notna() & pegging["supplier"].notna()]
    for supplier, o, ln, qty in zip(
        to_lines["supplier"].astype(str),
        to_lines["order"].astype(str),
        to_lines["line"],
        to_lines["quantity"],
        strict=True,
    ):
        key = (o, _line_label(ln))
        ship = last_ship.get(key)
        if ship is None:
            if supplier in planned:
                problems.append(
                    f"line {o}/{key[1]}: wholly short, but planned order {supplier!r} "
                    f"({qty:g}) is pegged to it"
                )
            continue
        when = ready.get(supplier)
        if when is None:
            problems.append(f"line {o}/{key[1]}: pegged to unknown supplier {supplier!r}")
        elif when > ship:
            late = "never ready" if when == NEVER_READY else f"ready on {when}"
            problems.append(
                f"line {o}/{key[1]}: ships on {ship} but {supplier!r} ({qty:g}) is {late}"
            )
    return problems


def verify_coherent(tables: Mapping[str, pd.DataFrame], dataset: Dataset) -> None:
    """Raise when the plan breaks the coherent-plan rule (``plan(..., verify=True)``).

    Raises
    ------
    VerificationError
        Naming the first violations and how many there are (a bug in oms_plan).

    """
    problems = coherence_problems(tables, dataset)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise VerificationError(
            f"the plan is not coherent ({len(problems)} problems):\n  {shown}{more}"
        )


def supply_readiness(tables: Mapping[str, pd.DataFrame], dataset: Dataset) -> dict[str, dt.date]:
    """The day each supplier of the plan is ready (see the module docstring).

    Parameters
    ----------
    tables
        The plan's ``planned_orders`` and ``schedule`` tables.
    dataset
        Its dataset (stock and scheduled receipts).

    Returns
    -------
    dict
        Supplier id (``"stock"``, a supply id or a planned order id) → the date it is ready;
        :data:`NEVER_READY` for a planned make order the schedule does not hold.

    """
    ready: dict[str, dt.date] = {"stock": dataset.start}
    schedule = tables["schedule"]
    ends: dict[str, dt.date] = {}
    if not schedule.empty:
        last_end = schedule.groupby(schedule["order"].astype(str), sort=False)["end"].max()
        ends = {order: _as_date(end) for order, end in last_end.items()}
    supply = dataset.supply
    for sid, due in zip(supply["supply"].astype(str), supply["due_date"], strict=True):
        ready[sid] = ends.get(sid, max(_as_date(due), dataset.start))
    planned = tables["planned_orders"]
    for pid, method, due in zip(
        planned["planned_order"].astype(str), planned["method"], planned["due_date"], strict=True
    ):
        if method == "make":
            ready[pid] = ends.get(pid, NEVER_READY)
        else:
            ready[pid] = _as_date(due)
    return ready


def _as_date(value: object) -> dt.date:
    """A date from a table cell: a Timestamp, a date, or an ISO date or time string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()  # type: ignore[no-any-return]


def _line_label(value: object) -> str:
    """A line id as the promises table spells it (``1.0`` read from a CSV is line ``1``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
