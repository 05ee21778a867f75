"""``MrpResult``: the tables of an MRP run, and tracing an order line through them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oms_plan.errors import PlanningError
from oms_plan.outputs import kpis_frame
from oms_plan.results import SolverStats, SolveStatus, kpi_value
from oms_plan.serialization import decode_frames, encode_frames

#: Tables of an MRP run, in the order :meth:`MrpResult.to_frames` returns them.
MRP_TABLES = ("planned_orders", "pegging", "projection", "exceptions", "kpis")
TRACE_COLUMNS = (
    "depth",
    "supplier",
    "method",
    "item",
    "location",
    "quantity",
    "attributed",
    "supply_date",
    "release_date",
    "order",
    "line",
    "need_date",
)


@dataclass(frozen=True, eq=False)
class MrpResult:
    """The outcome of :func:`oms_plan.plan_materials`.

    Attributes
    ----------
    planned_orders
        The ``planned_orders`` table: one row per planned order.
    pegging
        The ``pegging`` table plus ``need_date`` (the requirement's date), ``supply_date``
        (when the supplier is available) and ``peg``: ``demand`` (supply serving an order
        line, or a parent planned order whose id is in ``order`` with an empty ``line``),
        ``short`` (a requirement no supply covers; empty supplier), ``safety_stock`` or
        ``excess`` (supply left over at the horizon's end; empty order and line).
    projection
        The ``projection`` table: per buffer and day, MRP projected end-of-day on-hand
        (planned receipts included; negative = short) and ATP from stock and scheduled
        receipts only (the ATP engine's ledger, as :func:`oms_plan.atp.projection_frame`).
        ``item`` and ``location`` are categoricals (one row per buffer and day adds up
        to millions of rows at scale); ``.astype(str)`` gives plain strings.
    exceptions
        The ``exceptions`` table (see :mod:`oms_plan.mrp.exceptions` for the kinds).
    kpis
        KPI name → value (:meth:`to_frames` gives them as the ``kpis`` table).
    runtime
        Wall-clock seconds of the run.

    """

    planned_orders: pd.DataFrame = field(repr=False)
    pegging: pd.DataFrame = field(repr=False)
    projection: pd.DataFrame = field(repr=False)
    exceptions: pd.DataFrame = field(repr=False)
    kpis: Mapping[str, object] = field(repr=False)
    runtime: float = 0.0

    @property
    def stats(self) -> SolverStats:
        """MRP is exact: ``optimal``, or ``empty`` when no buffer has anything to plan."""
        status = SolveStatus.OPTIMAL if self.kpis.get("buffers") else SolveStatus.EMPTY
        return SolverStats("mrp", status, runtime=self.runtime)

    @property
    def status(self) -> SolveStatus:
        """How the run ended (see :attr:`stats`)."""
        return self.stats.status

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table (copies), keyed by table name (docs/outputs.md)."""
        frames = {name: getattr(self, name).copy() for name in MRP_TABLES if name != "kpis"}
        kpis = kpis_frame(self.kpis)
        # Counts stay integers next to quantities and seconds.
        kpis["value"] = pd.Series(list(self.kpis.values()), dtype=object)
        frames["kpis"] = kpis
        return frames

    def kpi(self, name: str) -> object:
        """The value of KPI ``name``.

        Raises
        ------
        KeyError
            When there is no such KPI.

        """
        return kpi_value(self.kpis, name)

    def summary(self) -> str:
        """A few readable lines: planned orders by method, exceptions by kind, runtime."""
        po = self.planned_orders
        by_method = po.groupby("method")["quantity"].agg(["count", "sum"]) if len(po) else None
        lines = [f"MRP: {len(po)} planned order(s) in {self.runtime:.3f} s"]
        if by_method is not None:
            for method, row in by_method.iterrows():
                lines.append(f"  {method}: {int(row['count'])} order(s), {row['sum']:g} units")
        exc = self.exceptions
        if len(exc):
            counts = exc.groupby("kind", sort=True).size()
            lines.append("exceptions: " + ", ".join(f"{k} {int(v)}" for k, v in counts.items()))
        else:
            lines.append("exceptions: none")
        return "\n".join(lines)

    def trace(self, order: str, line: str | int) -> pd.DataFrame:
        """Trace an order line down through the supply chain that serves it.

        Depth 0 rows are the pegs of the line itself (stock, receipts, planned orders, or
        ``short``); each planned ``make`` or ``transfer`` order among them is followed to the
        pegs of its own requirements at depth 1, and so on down to purchases, stock and
        receipts. ``attributed`` is the part of each peg that this line accounts for (a
        planned order serving several lines is shared in proportion).

        Parameters
        ----------
        order, line
            The order line (ids are compared as strings).

        Returns
        -------
        pandas.DataFrame
            Columns ``depth``, ``supplier``, ``method`` (``stock``, ``supply``, ``buy``,
            ``make``, ``transfer`` or ``short``), ``item``, ``location``, ``quantity``
            (the whole peg), ``attributed``, ``supply_date``, ``release_date`` (planned
            orders), ``order``, ``line`` (the requirement served), ``need_date``.

        Raises
        ------
        PlanningError
            When the line is not pegged in this plan (unknown, or shipping beyond the
            horizon).

        """
        peg = self.pegging
        start = peg.loc[(peg["order"] == str(order)) & (peg["line"] == str(line))]
        if start.empty:
            raise PlanningError(
                f"order {order!r} line {line!r} is not pegged in this plan (unknown line, "
                "or it ships beyond the horizon)"
            )
        po = self.planned_orders.set_index("planned_order")
        parent_pegs = peg.loc[peg["line"].isna() & peg["order"].notna()].groupby("order")
        pieces = []
        frontier = start.assign(attributed=start["quantity"], depth=0)
        depth = 0
        while len(frontier):
            pieces.append(frontier)
            nxt = []
            for sup, share in frontier.groupby("supplier")["attributed"].sum().items():
                if sup not in po.index or po.at[sup, "method"] == "buy":
                    continue
                if sup not in parent_pegs.groups:
                    continue
                rows = parent_pegs.get_group(sup)
                frac = float(share) / float(po.at[sup, "quantity"])
                nxt.append(rows.assign(attributed=rows["quantity"] * frac, depth=depth + 1))
            frontier = pd.concat(nxt, ignore_index=True) if nxt else frontier.iloc[0:0]
            depth += 1
        out = pd.concat(pieces, ignore_index=True)
        method = out["supplier"].map(po["method"])
        method = method.where(method.notna(), out["supplier"].map(lambda s: _kind(s)))
        out["method"] = method
        out["release_date"] = out["supplier"].map(po["release_date"])
        return out[list(TRACE_COLUMNS)].reset_index(drop=True)

    def to_json(self) -> str:
        """Serialize every table (values and dtypes), the KPIs and the runtime to JSON."""
        tables = {name: getattr(self, name) for name in MRP_TABLES if name != "kpis"}
        payload = {
            "runtime": self.runtime,
            "kpis": {k: v.item() if isinstance(v, np.generic) else v for k, v in self.kpis.items()},
            "tables": encode_frames(tables),
        }
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> MrpResult:
        """Rebuild a result written by :meth:`to_json` (tables equal, dtypes included)."""
        payload = json.loads(text)
        frames = decode_frames(payload["tables"])
        return cls(**frames, kpis=dict(payload["kpis"]), runtime=float(payload["runtime"]))


def _kind(supplier: object) -> str:
    if supplier is None or (isinstance(supplier, float) and pd.isna(supplier)):
        return "short"
    return "stock" if supplier == "stock" else "supply"
