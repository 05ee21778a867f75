"""Gantt chart of a schedule (matplotlib is imported only when a chart is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oms_plan.schedule.result import ScheduleResult


def gantt(
    result: ScheduleResult, ax: Any = None, *, hours: bool = True, title: str | None = None
) -> Any:
    """Draw one bar per operation, one row per workstation unit, coloured by order.

    Parameters
    ----------
    result
        The schedule to draw.
    ax
        A matplotlib ``Axes`` to draw on; a new figure when ``None``.
    hours
        Time axis in hours from plan start (else minutes).
    title
        Chart title (default: status and objective).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        When matplotlib is not installed (``pip install oms-plan[plot]``).

    """
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ScheduleResult.plot needs matplotlib: pip install oms-plan[plot]"
        ) from exc
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 1 + 0.4 * max(1, _rows(result))))
    rows = sorted({(op.workstation, op.unit) for op in result.operations})
    index = {row: i for i, row in enumerate(rows)}
    orders = sorted({op.order for op in result.operations})
    cmap = plt.get_cmap("tab20")
    colour = {o: cmap(i % 20) for i, o in enumerate(orders)}
    scale = 60.0 if hours else 1.0
    for op in result.operations:
        y = index[(op.workstation, op.unit)]
        ax.barh(
            y,
            (op.end - op.start) / scale,
            left=op.start / scale,
            color=colour[op.order],
            edgecolor="black",
            linewidth=0.5,
        )
        if len(result.operations) <= 60:
            ax.text(
                (op.start + op.end) / 2 / scale,
                y,
                f"{op.order}/{op.step}",
                ha="center",
                va="center",
                fontsize=7,
            )
    for order in result.orders:
        if order.tardiness and order.completion is not None:
            ax.axvline(
                order.due / scale,
                color=colour.get(order.order, "grey"),
                linestyle=":",
                linewidth=0.8,
            )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{w}#{u}" for w, u in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"{'hours' if hours else 'minutes'} from {result.start.isoformat()} 00:00")
    ax.set_title(
        title
        or f"{result.stats.solver}: {result.status.value}, "
        f"{','.join(result.objective)} = {result.stats.objective:g}"
    )
    return ax


def _rows(result: ScheduleResult) -> int:
    return len({(op.workstation, op.unit) for op in result.operations})
