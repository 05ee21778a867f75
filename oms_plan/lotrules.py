"""Lot-rule parameters checked without planning: codes, limits and contradictions.

Shared by MRP's lot sizing (:mod:`oms_plan.mrp.lotsizing`) and validation
(:mod:`oms_plan.plan_checks`), so that a dataset that validates never fails in MRP. Plain
Python, no imports of the rest of oms_plan.
"""

from __future__ import annotations

import math

#: Integer code of each lot rule, in the order of ``oms_plan.schema.LOT_RULES``.
LOT_FOR_LOT, FIXED, POQ, EOQ = 0, 1, 2, 3
RULE_CODES = {"lot_for_lot": LOT_FOR_LOT, "fixed": FIXED, "poq": POQ, "eoq": EOQ}

#: Quantities closer than this are equal (floating error of sums, never a business unit).
TOL = 1e-7

#: Most planned orders of one item that one planning pass (a stage of the network: one BOM
#: level and transfer depth) may create. A lot_max or fixed lot_size far below the
#: requirements would otherwise make millions of orders and run out of memory; validation
#: rejects such rules for the item's own order lines (``oms_plan.plan_checks``), and MRP
#: raises a PlanningError naming the item and its rule when dependent demand needs more.
MAX_ORDERS_PER_ITEM = 1_000


def lot_rule_problems(
    item: str,
    rule: int,
    size: float,
    lmin: float,
    lmax: float,
    mult: float,
    integral: bool,
) -> list[tuple[str, str]]:
    """Why an item's lot rules cannot be met, as ``(column, message)`` pairs.

    The same test validation runs (``oms_plan.plan_checks``) and :func:`lot_rules` raises
    on, so that a dataset that validates never fails here.
    """
    out = []
    if rule == FIXED and size <= 0:
        out.append(("lot_size", f"item {item!r}: lot_rule 'fixed' needs lot_size > 0"))
    if integral and mult > 0 and abs(mult - round(mult)) > TOL:
        out.append(
            (
                "lot_multiple",
                f"item {item!r} is integral but lot_multiple {mult:g} is not a whole number",
            )
        )
    if math.isfinite(lmax):
        if lmax <= 0:
            out.append(("lot_max", f"item {item!r}: lot_max must be > 0"))
            return out
        cap = math.floor(lmax / mult + TOL) * mult if mult > 0 else lmax
        if integral:
            cap = math.floor(cap + TOL)
        smallest = adjust_one(lmin, lmin, mult, integral) if lmin > 0 else 0.0
        if cap <= TOL:
            unit = f"lot_multiple {mult:g}" if mult > 0 else "one whole unit"
            out.append(
                ("lot_max", f"item {item!r}: no order of {unit} fits under lot_max {lmax:g}")
            )
        elif smallest > cap + TOL:
            out.append(
                (
                    "lot_max",
                    f"item {item!r}: lot_min {lmin:g} (rounded to {smallest:g}) exceeds "
                    f"lot_max {lmax:g}",
                )
            )
    return out


def adjust_one(q: float, lot_min: float, lot_multiple: float, integral: bool) -> float:
    """Scalar :meth:`LotRules.adjust`: raise to lot_min, round up to the multiple, whole units."""
    q = max(q, lot_min)
    if lot_multiple > 0:
        q = math.ceil(q / lot_multiple - TOL) * lot_multiple
    if integral:
        q = float(math.ceil(q - TOL))
    return q
