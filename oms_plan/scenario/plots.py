"""The chart of a :class:`~oms_plan.scenario.compare.PlanDiff`: promise moves, load before/after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oms_plan.replan.plots import pyplot

if TYPE_CHECKING:
    from oms_plan.scenario.compare import PlanDiff


def plot_diff(diff: PlanDiff, *, top: int = 20) -> Any:
    """Two panels: days moved per changed line, and the weekly load of the most changed stations.

    Lines are ranked by how far they moved (a line that became short, or is in one plan
    only, is drawn as a hatched bar at the end of the scale); at most ``top`` are drawn.
    The load panel draws, for the (up to three) workstations whose load changed most, the
    weekly hours before (dashed) and after (solid).
    """
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.28 * min(top, 30) + 2.5))
    _moves(left, diff.promises, top)
    _load(right, diff)
    fig.tight_layout()
    return fig


def _moves(ax: Any, promises: pd.DataFrame, top: int) -> None:
    if promises.empty:
        ax.text(0.5, 0.5, "no promise changed", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    p = promises.copy()
    moved = p["days_moved"].astype("Float64")
    gone = (p["status_after"] == "short") & (p["status_before"] != "short")
    p["_rank"] = moved.abs().fillna(np.inf).where(~gone, np.inf).astype(float)
    p = p.sort_values("_rank", ascending=False, kind="mergesort").head(top)
    finite = p["days_moved"].dropna().astype(float)
    edge = max(1.0, float(finite.abs().max()) if not finite.empty else 1.0)
    labels = [f"{o}/{ln} {i}" for o, ln, i in zip(p["order"], p["line"], p["item"], strict=True)]
    values, colours, hatches = [], [], []
    for _, row in p.iterrows():
        days = row["days_moved"]
        if pd.isna(days):
            after_short = row["status_after"] == "short" or row["status_after"] is None
            values.append(edge if after_short else -edge)
            colours.append("tab:red" if after_short else "tab:green")
            hatches.append("//")
        else:
            values.append(float(days))
            colours.append("tab:red" if days > 0 else "tab:green" if days < 0 else "tab:grey")
            hatches.append("")
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=colours)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("days moved (later →); hatched: short or in one plan only")
    ax.set_title(f"{len(promises)} order line(s) changed", fontsize=10, loc="left")


def _load(ax: Any, diff: PlanDiff) -> None:
    if diff.load.empty:
        ax.text(0.5, 0.5, "no workstation load", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ranked = diff.load_by_workstation()
    chosen = list(ranked.index[:3])
    cmap = plt_colours()
    weeks = pd.date_range(diff.load["week"].min(), diff.load["week"].max(), freq="7D")
    for k, ws in enumerate(chosen):
        rows = diff.load.loc[diff.load["workstation"] == ws].set_index("week")
        rows = rows.reindex(weeks, fill_value=0.0)
        colour = cmap[k % len(cmap)]
        for column, style in (("minutes_before", "--"), ("minutes_after", "-")):
            ax.step(
                weeks,
                rows[column] / 60,
                where="post",
                linestyle=style,
                color=colour,
                label=f"{ws} {column.removeprefix('minutes_')}",
            )
    ax.set_ylabel("hours per week (from each Monday)")
    ax.set_title("weekly load, most changed workstations", fontsize=10, loc="left")
    ax.legend(fontsize=7)
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def plt_colours() -> list[str]:
    """The first colours of matplotlib's default cycle."""
    return ["tab:blue", "tab:orange", "tab:purple"]
