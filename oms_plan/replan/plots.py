"""Charts of a plan a planner asks for: a buffer's projected stock and ATP, workstation load.

matplotlib is imported only when a chart is drawn (``pip install oms-plan[plot]``). Every
function returns the matplotlib ``Figure`` it drew on, so a notebook shows it and a script
can ``savefig`` it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from oms_plan.errors import PlanningError
from oms_plan.replan.load import capacity_by_period, load_by_period, working_times

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset
    from oms_plan.replan.result import Plan


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("charts need matplotlib: pip install 'oms-plan[plot]'") from exc
    return plt


def _figure(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def buffer_projection(plan: Plan, item: str, location: str) -> pd.DataFrame:
    """Daily on-hand and ATP of one buffer, the plan's sparse rows carried forward.

    Raises
    ------
    PlanningError
        When the plan's ``projection`` has no row for ``item`` at ``location``.

    """
    proj = plan.tables["projection"]
    rows = proj.loc[(proj["item"].astype(str) == item) & (proj["location"].astype(str) == location)]
    if rows.empty:
        known = proj.loc[proj["item"].astype(str) == item, "location"].astype(str).unique()
        hint = (
            f"; it is projected at {', '.join(sorted(known))}"
            if len(known)
            else "; no location projects that item"
        )
        raise PlanningError(f"the plan has no projection of {item!r} at {location!r}{hint}")
    frame = rows.assign(date=pd.to_datetime(rows["date"])).set_index("date").sort_index()
    days = pd.date_range(frame.index.min(), frame.index.max(), freq="D")
    return frame[["on_hand", "atp"]].astype(float).reindex(days).ffill()


def plot_inventory(
    plan: Plan,
    item: str,
    location: str,
    *,
    safety_stock: float | None = None,
    ax: Any = None,
) -> Any:
    """Projected end-of-day on-hand and cumulative ATP of ``item`` at ``location`` over time.

    Parameters
    ----------
    plan
        The plan whose ``projection`` table is drawn (sparse rows are carried forward).
    item, location
        The buffer.
    safety_stock
        Drawn as a dashed line when given.
    ax
        A matplotlib ``Axes`` to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    PlanningError
        When the plan does not project that buffer.

    """
    daily = buffer_projection(plan, item, location)
    fig, ax = _figure(ax, (10, 3.5))
    ax.step(daily.index, daily["on_hand"], where="post", label="projected on hand")
    ax.fill_between(
        daily.index,
        daily["atp"],
        step="post",
        alpha=0.35,
        color="tab:green",
        label="available to promise",
    )
    below = daily["on_hand"] < 0
    if below.any():
        ax.fill_between(
            daily.index,
            daily["on_hand"],
            0,
            where=below.to_numpy(),
            step="post",
            color="tab:red",
            alpha=0.3,
            label="shortage",
        )
    if safety_stock:
        ax.axhline(safety_stock, color="grey", linestyle="--", linewidth=0.8, label="safety stock")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_title(f"{item} at {location}: projected stock and ATP")
    ax.set_ylabel("units")
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    return fig


def plot_load(
    plan: Plan,
    dataset: Dataset | None = None,
    *,
    by: Literal["day", "week"] = "week",
    workstations: list[str] | None = None,
    top: int = 6,
) -> Any:
    """Workstation load by day or week, against capacity when the dataset is given.

    Parameters
    ----------
    plan
        The plan whose ``schedule`` is drawn.
    dataset
        The plan's dataset: load counts working minutes only and the capacity (working
        minutes × units, downtime removed) is drawn as a line; load above it is red.
        Without it, load is clock minutes from start to end of each operation (a pausable
        operation waiting over a break counts the wait) and there is no capacity line.
    by
        ``"week"`` (weeks starting Monday) or ``"day"``.
    workstations
        The workstations to draw; default the ``top`` most loaded.
    top
        How many workstations by default.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per workstation.

    Raises
    ------
    PlanningError
        On an unknown ``by`` or workstation, or when the plan schedules nothing.

    """
    if by not in ("day", "week"):
        raise PlanningError(f"by must be 'day' or 'week', got {by!r}")
    schedule = plan.tables["schedule"]
    if schedule.empty:
        raise PlanningError("the plan schedules no operation: there is no load to draw")
    capacity = None
    if dataset is None:
        load = load_by_period(schedule, by)
    else:
        working, _ = working_times(dataset)
        load = load_by_period(schedule, by, working, pd.Timestamp(dataset.start))
        capacity = capacity_by_period(dataset, by)
    totals = load.groupby(level="workstation").sum().sort_values(ascending=False, kind="mergesort")
    if workstations is None:
        chosen = [str(w) for w in totals.index[:top]]
    else:
        unknown = sorted(set(workstations) - set(totals.index))
        if unknown:
            raise PlanningError(f"no operation is scheduled on {', '.join(unknown)}")
        chosen = list(workstations)
    plt = pyplot()
    fig, axes = plt.subplots(
        len(chosen), 1, figsize=(10, 1.9 * len(chosen) + 0.6), sharex=True, squeeze=False
    )
    width = 5.5 if by == "week" else 0.8
    for ax, ws in zip(axes[:, 0], chosen, strict=True):
        mine = load.xs(ws, level="workstation") / 60
        cap = None if capacity is None else capacity.xs(ws, level="workstation") / 60
        over = mine > cap.reindex(mine.index).fillna(0) if cap is not None else mine < 0
        colours = np.where(over.to_numpy(), "tab:red", "tab:blue")
        ax.bar(mine.index, mine.to_numpy(), width=width, color=colours, align="edge")
        if cap is not None:
            ax.step(
                cap.index,
                cap.to_numpy(),
                where="post",
                color="black",
                linewidth=0.9,
                label="capacity",
            )
            ax.legend(loc="upper right", fontsize=7)
        ax.set_ylabel("hours" if dataset is not None else "clock hours")
        ax.set_title(f"{ws}: load per {by}", fontsize=9, loc="left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_schedule(
    plan: Plan,
    dataset: Dataset | None = None,
    *,
    workstations: list[str] | None = None,
    window: tuple[str | pd.Timestamp, str | pd.Timestamp] | None = None,
) -> Any:
    """Gantt chart of the plan's ``schedule``: one row per workstation unit, dates on the axis.

    Parameters
    ----------
    plan
        The plan whose schedule is drawn; each order has its own colour.
    dataset
        The plan's dataset: its downtime is shaded on the rows of its workstation.
    workstations
        Only these workstations (default: every one the schedule uses).
    window
        Only operations overlapping the days ``(first, last)`` (inclusive).

    Returns
    -------
    matplotlib.figure.Figure
        The chart.

    Raises
    ------
    PlanningError
        When nothing is scheduled there, or a workstation is not in the schedule.

    """
    from oms_plan.schedule.plot import date_axis, date_numbers, shade_downtime

    ops = plan.tables["schedule"].copy()
    ops["start"] = pd.to_datetime(ops["start"])
    ops["end"] = pd.to_datetime(ops["end"])
    if workstations is not None:
        unknown = sorted(set(workstations) - set(ops["workstation"].astype(str)))
        if unknown:
            raise PlanningError(f"no operation is scheduled on {', '.join(unknown)}")
        ops = ops.loc[ops["workstation"].isin(workstations)]
    lo = hi = None
    if window is not None:
        lo = pd.Timestamp(window[0]).normalize()
        hi = pd.Timestamp(window[1]).normalize() + pd.Timedelta(days=1)
        if hi <= lo:
            raise PlanningError(f"window ends ({window[1]}) before it starts ({window[0]})")
        ops = ops.loc[(ops["end"] > lo) & (ops["start"] < hi)]
    if ops.empty:
        raise PlanningError("no scheduled operation to draw (workstations or window too narrow)")
    rows = sorted({(str(w), int(u)) for w, u in zip(ops["workstation"], ops["unit"], strict=True)})
    index = {row: k for k, row in enumerate(rows)}
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 1 + 0.45 * len(rows)))
    mdates = date_numbers()
    orders = sorted(set(ops["order"].astype(str)))
    cmap = plt.get_cmap("tab20")
    colour = {o: cmap(k % 20) for k, o in enumerate(orders)}
    if dataset is not None:
        origin = float(mdates.date2num(pd.Timestamp(dataset.start)))
        shade_downtime(ax, dataset.start, dataset, index, origin, 1440.0)
    starts = mdates.date2num(ops["start"].dt.to_pydatetime())
    ends = mdates.date2num(ops["end"].dt.to_pydatetime())
    for (w, u, o), s, e in zip(
        zip(
            ops["workstation"].astype(str),
            ops["unit"].astype(int),
            ops["order"].astype(str),
            strict=True,
        ),
        starts,
        ends,
        strict=True,
    ):
        ax.barh(index[(w, u)], e - s, left=s, color=colour[o], edgecolor="black", linewidth=0.4)
    if lo is not None and hi is not None:
        ax.set_xlim(mdates.date2num(lo.to_pydatetime()), mdates.date2num(hi.to_pydatetime()))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{w}#{u}" for w, u in rows])
    ax.invert_yaxis()
    date_axis(ax)
    ax.set_title(f"schedule: {len(ops)} operations of {len(orders)} orders", loc="left")
    fig.tight_layout()
    return fig
