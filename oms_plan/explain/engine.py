"""Counterfactuals for one line: re-solve it with one lever changed at a time.

The :class:`Explainer` works on a :class:`~oms_plan.Promiser` in the state the line is
promised in. For each lever it takes candidate targets from the line's supply chain
(:mod:`oms_plan.explain.chain`), re-solves the line with the promiser's own search
(capable-to-promise included) under the changed state (:mod:`oms_plan.explain.state`), and
searches the smallest amount that makes the line on time — or, when no amount does, the
smallest that gains the most days (:mod:`oms_plan.explain.amounts`). Every re-solve counts
against a per-line budget, so the work per line is bounded and the answer deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from oms_plan.atp.ledger import EPS
from oms_plan.explain.amounts import Budget, Found, smallest_amount
from oms_plan.explain.chain import Chain, ChainIndex, Node
from oms_plan.explain.state import (
    Held,
    added_minutes,
    added_units,
    moved_receipt,
    released,
    working_days,
)

# Types only: Promise.explain (oms_plan.atp) imports this module, which must not import the
# promiser back at run time.
if TYPE_CHECKING:
    from oms_plan.atp.ledger import AtpLedger
    from oms_plan.atp.promiser import Promiser
    from oms_plan.atp.types import Promise
    from oms_plan.ctp.engine import CtpEngine

#: Re-solves one line may spend over all its levers, by default.
DEFAULT_RESOLVES = 60
#: Re-solves a whole plan's explanations may spend, by default (shared among its lines).
DEFAULT_TOTAL = 6_000
#: Candidate targets tried per lever (the first ones of the supply chain).
MAX_TARGETS = 3
#: Levers in the order they are tried (and listed when equally good).
LEVERS = ("expedite", "capacity", "component", "stock", "priority")


@dataclass(frozen=True, slots=True)
class Ask:
    """The request of a line, as :meth:`oms_plan.Promiser.promise` takes it."""

    item: str
    quantity: float
    ship_to: str
    requested_date: dt.date
    partial_ok: bool = True
    max_shipments: int | None = None
    min_shipment: float = 0.0
    max_days_late: int | None = None
    location: str | None = None
    order: str | None = None
    line: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`oms_plan.Promiser.promise` (``ctp`` aside)."""
        return {
            "partial_ok": self.partial_ok,
            "max_shipments": self.max_shipments,
            "min_shipment": self.min_shipment,
            "max_days_late": self.max_days_late,
            "location": self.location,
            "order": self.order,
            "line": self.line,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """One counterfactual: a lever, its target, the smallest amount, and its effect.

    Attributes
    ----------
    lever
        ``expedite``, ``capacity``, ``component``, ``stock`` or ``priority``.
    target
        A supply id, a workstation, ``item@location`` or ``order/line``.
    amount, unit
        How much of the lever (``days``, ``minutes`` or ``units``).
    date
        When: the receipt's new due date, the last day the minutes are added, the day the
        units arrive (plan start for stock), the day the other line took its quantity.
    days_gained
        Lateness removed (see :func:`lateness`).
    on_time
        Whether the lever alone makes the line on time.
    exact
        Whether the amount search finished within the budget (else a smaller amount may do).

    """

    lever: str
    target: str
    amount: float
    unit: str
    date: dt.date
    days_gained: int
    on_time: bool
    exact: bool

    def row(self) -> dict[str, object]:
        """The ``explanations`` columns of this counterfactual (without order and line)."""
        return {
            "lever": self.lever,
            "target": self.target,
            "amount": self.amount,
            "unit": self.unit,
            "date": pd.Timestamp(self.date),
            "days_gained": self.days_gained,
            "on_time": self.on_time,
            "exact": self.exact,
        }


def lateness(promise: Promise, end: dt.date) -> int:
    """Days a promise is late; a short quantity counts as delivered after the horizon.

    Parameters
    ----------
    promise
        The promise.
    end
        The last plannable day: a short line counts as delivered the day after it.

    Returns
    -------
    int
        0 when on time.

    """
    if promise.short > EPS:
        return max((end - promise.requested_date).days + 1, promise.days_late + 1, 1)
    return promise.days_late


@dataclass(frozen=True, slots=True)
class _Option:
    """A candidate of one lever: how to apply an amount, its range, and how to describe it."""

    target: str
    most: int
    apply: Callable[[int], AbstractContextManager[None]]
    day: int
    #: The date moves back with the amount (an expedited receipt's new due date).
    earlier: bool = False

    def date(self, start: dt.date, amount: int) -> dt.date:
        """The date of the row for ``amount``."""
        day = self.day - amount if self.earlier else self.day
        return start + dt.timedelta(days=max(day, 0))


class Explainer:
    """Explain late or short lines against a promiser's current state.

    Parameters
    ----------
    promiser
        The promiser whose state the line is promised in (capacity levers need it to have
        capable-to-promise on).
    resolves
        Re-solves one line may spend over all its levers.
    targets
        Candidate targets tried per lever.
    chains
        The supply-chain index of the promiser's dataset (built when not given).
    holders
        ``holders(ask, buffers)``: the more important lines whose holdings the ``priority``
        lever may give back (those holding any of ``buffers`` matter); default: the
        promiser's reservations that name their line.

    """

    def __init__(
        self,
        promiser: Promiser,
        *,
        resolves: int = DEFAULT_RESOLVES,
        targets: int = MAX_TARGETS,
        chains: ChainIndex | None = None,
        holders: Callable[[Ask, set[int]], Iterable[Held]] | None = None,
    ) -> None:
        if resolves < 1 or targets < 1:
            raise ValueError(f"resolves and targets must be ≥ 1, got {resolves} and {targets}")
        self.promiser = promiser
        self.resolves = resolves
        self.targets = targets
        self.chains = chains or ChainIndex(promiser.dataset)
        self.holders = holders or self._reservations
        self._dataset = promiser.dataset
        engine = promiser._engine
        self._ws_index = {w: k for k, w in enumerate(engine.network.workstations)} if engine else {}

    def explain(
        self, ask: Ask, baseline: Promise | None = None, budget: Budget | None = None
    ) -> list[Explanation]:
        """The best counterfactual of every lever that helps, best first.

        Parameters
        ----------
        ask
            The line.
        baseline
            Its promise in the current state (re-solved when not given).
        budget
            The re-solves this line may spend (default: a new budget of ``resolves``); what
            is left of it afterwards is what the line did not use.

        Returns
        -------
        list of Explanation
            At most one per lever: those that make the line on time first (smallest amount
            within a lever), then by days gained. Empty when the line is on time or no
            single lever helps.

        """
        promiser = self.promiser
        with promiser._lock:
            if baseline is None:
                baseline = self._resolve(ask)
            base = lateness(baseline, self._dataset.end)
            if base == 0:
                return []
            if budget is None:
                budget = Budget(self.resolves)
            chain = self.chains.chain(
                ask.item,
                ask.quantity,
                ask.ship_to,
                (ask.requested_date - self._dataset.start).days,
                ask.location,
            )
            found: list[tuple[int, int, Explanation]] = []
            named = baseline.binding or ""
            for rank, lever in enumerate(LEVERS):
                options = list(self._options(lever, ask, chain, named))
                best = self._best(ask, options, base, budget, lever)
                if best is not None:
                    found.append((best.days_gained, rank, best))
            found.sort(key=lambda f: (not f[2].on_time, -f[0], f[1]))
            return [f[2] for f in found]

    # -- re-solving --------------------------------------------------------------------------
    def _resolve(self, ask: Ask) -> Promise:
        return self.promiser.promise(
            ask.item, ask.quantity, ask.ship_to, ask.requested_date, **ask.kwargs()
        )

    def _late_with(self, ask: Ask, change: AbstractContextManager[None]) -> int:
        with change:
            return lateness(self._resolve(ask), self._dataset.end)

    def _late_at(self, ask: Ask, option: _Option, amount: int) -> int:
        return self._late_with(ask, option.apply(amount))

    def _best(
        self, ask: Ask, options: Sequence[_Option], base: int, budget: Budget, lever: str
    ) -> Explanation | None:
        """The best option of one lever.

        Least lateness at its largest amount, then least amount (searched only for the
        options that tie on the first).
        """
        at_most: list[tuple[int, int]] = []
        for pos, opt in enumerate(options):
            if not budget.take():
                break
            late = self._late_with(ask, opt.apply(opt.most))
            if late < base:
                at_most.append((late, pos))
        if not at_most:
            return None
        goal = min(late for late, _ in at_most)
        best: tuple[Found, _Option] | None = None
        for late, pos in at_most:
            if late != goal:
                continue
            opt = options[pos]
            if lever == "priority":  # all or nothing: the amount is what the line took
                got = Found(opt.most, late, exact=True)
            else:
                searched = smallest_amount(
                    partial(self._late_at, ask, opt), opt.most, base, budget, late
                )
                got = searched or Found(opt.most, late, exact=False)
            if best is None or got.amount < best[0].amount:
                best = (got, opt)
        assert best is not None
        got, opt = best
        unit = {"expedite": "days", "capacity": "minutes"}.get(lever, "units")
        return Explanation(
            lever=lever,
            target=opt.target,
            amount=float(got.amount),
            unit=unit,
            date=opt.date(self._dataset.start, got.amount),
            days_gained=base - got.lateness,
            on_time=got.lateness == 0,
            exact=got.exact,
        )

    # -- candidates --------------------------------------------------------------------------
    def _options(self, lever: str, ask: Ask, chain: Chain, named: str) -> Iterator[_Option]:
        if lever == "expedite":
            yield from self._expedite(chain, named)
        elif lever == "capacity":
            yield from self._capacity(chain, named)
        elif lever == "component":
            yield from self._units([n for n in chain.nodes if n.depth > 0], at_start=False)
        elif lever == "stock":
            yield from self._units([n for n in chain.nodes if n.ships], at_start=True)
        else:
            yield from self._priority(ask, chain)

    def _expedite(self, chain: Chain, named: str) -> Iterator[_Option]:
        ledger = self.promiser.ledger
        found: list[tuple[int, int, str, int, int, float]] = []
        seen: set[tuple[str, int]] = set()
        for pos, node in enumerate(chain.nodes):
            b = ledger.buffer(node.item, node.location)
            if b is None:
                continue
            for rec in ledger.receipts[b]:
                if not rec.source.startswith("supply:") or rec.day <= max(node.day, 0):
                    continue
                if (rec.source, b) in seen:
                    continue
                seen.add((rec.source, b))
                first = 0 if rec.source == named else 1  # the receipt the binding names
                found.append((first, pos, rec.source, b, rec.day, rec.quantity))
        found.sort(key=lambda f: (f[0], f[1], f[4], f[2]))
        for _, _, source, b, due, qty in found[: self.targets]:
            yield _Option(
                target=source.removeprefix("supply:"),
                most=due,
                apply=partial(_moved, ledger, b, due, qty),
                day=due,
                earlier=True,
            )

    def _capacity(self, chain: Chain, named: str) -> Iterator[_Option]:
        engine = self.promiser._engine
        if engine is None:
            return
        stations = sorted(
            chain.stations, key=lambda s: 0 if named == f"capacity:{s.workstation}" else 1
        )
        count = 0
        for st in stations:
            w = self._ws_index.get(st.workstation)
            if w is None:
                continue
            days = working_days(engine, w, st.first, st.last)
            if not days or st.minutes <= 0:
                continue
            count += 1
            yield _Option(
                target=st.workstation,
                most=math.ceil(st.minutes),
                apply=partial(_minutes, engine, w, tuple(days)),
                day=days[-1],
            )
            if count >= self.targets:
                return

    def _units(self, nodes: Sequence[Node], *, at_start: bool) -> Iterator[_Option]:
        ledger = self.promiser.ledger
        count = 0
        for node in nodes:
            b = ledger.buffer(node.item, node.location)
            if b is None or node.quantity <= 0:
                continue
            day = 0 if at_start else max(node.day, 0)
            count += 1
            yield _Option(
                target=f"{node.item}@{node.location}",
                most=math.ceil(node.quantity - EPS),
                apply=partial(_added, ledger, b, day),
                day=day,
            )
            if count >= self.targets:
                return

    def _priority(self, ask: Ask, chain: Chain) -> Iterator[_Option]:
        ledger, engine = self.promiser.ledger, self.promiser._engine
        # The line's own item where it ships from or is moved from: the stock it competes for.
        mine = {
            b
            for n in chain.nodes
            if n.depth == 0 and (b := ledger.buffer(n.item, n.location)) is not None
        }
        takers: list[tuple[float, int, Held, int]] = []
        for pos, held in enumerate(self.holders(ask, mine)):
            if (held.order, held.line) == (ask.order, ask.line):
                continue
            took = [(day, qty) for b, day, qty in held.legs if b in mine]
            if not took:
                continue
            takers.append((sum(q for _, q in took), pos, held, min(d for d, _ in took)))
        # The lines that took most of what this line draws on, first.
        takers.sort(key=lambda t: (-t[0], t[1]))
        for qty, _, held, day in takers[: self.targets]:
            yield _Option(
                target=f"{held.order}/{held.line}",
                most=math.ceil(qty - EPS),
                apply=partial(_released, ledger, engine, held),
                day=day,
            )

    def _reservations(self, ask: Ask, buffers: set[int]) -> list[Held]:
        """The promiser's reservations that name their line (the default holders)."""
        out = (Held.of(r) for r in self.promiser._book.held.values())
        return [h for h in out if h is not None]


# Lever changes with the amount last, for functools.partial.
def _moved(
    ledger: AtpLedger, b: int, due: int, qty: float, days: int
) -> AbstractContextManager[None]:
    return moved_receipt(ledger, b, due, days, qty)


def _minutes(
    engine: CtpEngine, w: int, days: tuple[int, ...], minutes: int
) -> AbstractContextManager[None]:
    return added_minutes(engine, w, days, float(minutes))


def _added(ledger: AtpLedger, b: int, day: int, quantity: int) -> AbstractContextManager[None]:
    return added_units(ledger, b, day, float(quantity))


def _released(
    ledger: AtpLedger, engine: CtpEngine | None, held: Held, _: int
) -> AbstractContextManager[None]:
    return released(ledger, engine, held)
