"""``Promise.explain``: counterfactuals of one quote against the promiser that made it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from oms_plan.explain.engine import DEFAULT_RESOLVES, MAX_TARGETS, Ask, Explainer
from oms_plan.explain.table import explanations_frame

if TYPE_CHECKING:  # types only: Promise.explain imports this module at run time
    from oms_plan.atp.promiser import Promiser
    from oms_plan.atp.types import Promise


def explain_promise(
    promiser: Promiser,
    promise: Promise,
    *,
    partial_ok: bool = True,
    max_shipments: int | None = None,
    min_shipment: float = 0.0,
    max_days_late: int | None = None,
    location: str | None = None,
    resolves: int = DEFAULT_RESOLVES,
    targets: int = MAX_TARGETS,
) -> pd.DataFrame:
    """Why a quote is late or short: the smallest change of each lever that helps.

    The line is re-solved with the options given (those it was quoted with) against the
    promiser's current state; its reservations are what the ``priority`` lever names.

    Parameters
    ----------
    promiser
        The promiser that quoted ``promise`` (or one in the same state).
    promise
        The quote.
    partial_ok, max_shipments, min_shipment, max_days_late, location
        The options the quote was made with (as :meth:`oms_plan.Promiser.promise`).
    resolves
        Re-solves the explanation may spend (the cap).
    targets
        Candidate targets tried per lever.

    Returns
    -------
    pandas.DataFrame
        The ``explanations`` columns (order and line are the promise's labels); empty when
        the line is on time in the promiser's current state.

    """
    ask = Ask(
        item=promise.item,
        quantity=promise.quantity,
        ship_to=promise.ship_to,
        requested_date=promise.requested_date,
        partial_ok=partial_ok,
        max_shipments=max_shipments,
        min_shipment=min_shipment,
        max_days_late=max_days_late,
        location=location,
        order=promise.order,
        line=promise.line,
    )
    explainer = Explainer(promiser, resolves=resolves, targets=targets)
    rows = [
        {"order": promise.order, "line": promise.line, **e.row()} for e in explainer.explain(ask)
    ]
    return explanations_frame(rows)
