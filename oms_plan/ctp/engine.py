"""The capable-to-promise engine: routes of new supply, quotes, and the capacity state.

:class:`CtpEngine` sits beside the ATP ledger of a :class:`~oms_plan.Promiser`. It owns the
free workstation minutes (capacity minus the load of open manufacturing orders), covers the
open order lines that stock and receipts cannot (in priority order, as the plan state a new
line starts from), answers *when can new supply deliver this quantity to that region?* on a
:class:`~oms_plan.ctp.scratch.Scratch`, and applies and gives back the component takes and
workstation minutes of reservations exactly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.atp.ledger import EPS, AtpLedger, FloatArray
from oms_plan.ctp.bounds import Bounds
from oms_plan.ctp.capacity import daily_capacity, open_order_load
from oms_plan.ctp.network import CtpNetwork
from oms_plan.ctp.scratch import MINUTE_EPS, Order, Scratch
from oms_plan.ctp.search import SEARCH_LIMIT, Memory, OpenDays, Search
from oms_plan.ctp.types import Load, SupplyOrder, Take
from oms_plan.dataset import Dataset
from oms_plan.timeline import demand_events

#: Work units one quote may spend (obtains + make-order attempts); see ``search.py``.
QUOTE_BUDGET = 20_000
#: Work units spent covering one over-committed day of an open order line.
COMMITMENT_BUDGET = 5_000

Leg = tuple[int, int, float]


@dataclass(frozen=True, slots=True)
class CtpRoute:
    """One way new supply reaches a region.

    Made or bought at ``plant``, moved to ``location`` when they differ (``transfer_lead``
    days), shipped from there.

    Attributes
    ----------
    method
        ``"make"`` or ``"buy"`` at ``plant``.
    plant
        Where the item is made or received from the supplier.
    location
        Ship-from location (a lane to the region).
    lead
        lead_days of the make or buy row.
    transfer_lead
        lead_days of the transfer row (0 when ``plant == location``).
    transit
        The lane's transit days.
    cost
        Lane + transfer + make/buy cost per unit (tie-break).

    """

    method: str
    plant: str
    location: str
    lead: int
    transfer_lead: int
    transit: int
    cost: float

    @property
    def offset(self) -> int:
        """Days from completion at the plant to delivery."""
        return self.transfer_lead + self.transit


@dataclass(frozen=True, slots=True)
class CtpAnswer:
    """New supply for (part of) a line: where, how much, when it is complete, and why.

    ``completion`` is the day the last make order completes (or the purchase arrives) at the
    plant; the quantity ships from ``route.location`` on ``completion + transfer_lead``.
    """

    route: CtpRoute
    quantity: float
    completion: int
    binding: str
    takes: tuple[Leg, ...]
    loads: tuple[Leg, ...]
    orders: tuple[Order, ...]

    @property
    def delivery(self) -> int:
        """Delivery day."""
        return self.completion + self.route.offset


class CtpEngine:
    """New supply (production, purchase, transfers of them) for the promiser.

    Parameters
    ----------
    dataset
        The dataset.
    ledger
        The promiser's ATP ledger; component takes go there.
    commit_open_lines
        Cover over-committed open order lines from new supply first (the plan state).

    """

    def __init__(self, dataset: Dataset, ledger: AtpLedger, *, commit_open_lines: bool = True):
        self.dataset = dataset
        self.ledger = ledger
        self.network = CtpNetwork(dataset)
        self.horizon = dataset.horizon_days
        self.start = dataset.start
        self.capacity = daily_capacity(dataset)
        self.load = open_order_load(dataset, self.capacity)
        self.free: FloatArray = np.maximum(self.capacity - self.load, 0.0)
        self._ws_index = {w: i for i, w in enumerate(self.network.workstations)}
        # A version per workstation's free row, bumped on every change: cached facts about
        # a row (the days with minutes, search.py) hold while its version does.
        self._versions = [0] * len(self.network.workstations)
        self._version_ids = itertools.count(1)
        self._open_days: OpenDays = {}
        lanes = dataset.lanes
        self._lanes: dict[str, list[tuple[str, int, float]]] = {}
        for loc, region, transit, cost in zip(
            lanes["from_location"],
            lanes["to"],
            lanes["transit_days"],
            lanes["cost_per_unit"],
            strict=True,
        ):
            self._lanes.setdefault(str(region), []).append((str(loc), int(transit), float(cost)))
        self._loc_order = dataset.location_index
        self._routes: dict[tuple[str, str], tuple[CtpRoute, ...]] = {}
        self._dates: dict[int, dt.date] = {}
        #: New supply that covers open order lines (the plan state), as public orders.
        self.committed: list[SupplyOrder] = []
        #: Per buffer the plan state changed (components taken, new supply arriving): its
        #: running sum of the ledger before and after the plan state.
        self.plan_rows: dict[int, tuple[FloatArray, FloatArray]] = {}
        self._before: dict[int, FloatArray] = {}  # while the plan state is built
        if commit_open_lines:
            self._commit_open_lines()

    # -- routes ----------------------------------------------------------------------------
    def routes(self, item: str, region: str) -> tuple[CtpRoute, ...]:
        """Routes of new supply of ``item`` to ``region``, in tie-break order.

        Cost, then ship-from location, then plant (location order), make before buy.
        """
        key = (item, region)
        cached = self._routes.get(key)
        if cached is None:
            cached = self._routes[key] = self._build_routes(item, region)
        return cached

    def _build_routes(self, item: str, region: str) -> tuple[CtpRoute, ...]:
        net, out = self.network, []
        for loc, transit, lane_cost in self._lanes.get(region, []):
            for alt in net.alternatives(item, loc):
                if alt.method in ("make", "buy"):
                    out.append(
                        CtpRoute(alt.method, loc, loc, alt.lead, 0, transit, lane_cost + alt.cost)
                    )
                    continue
                for src in net.alternatives(item, alt.origin):
                    if src.method in ("make", "buy"):
                        out.append(
                            CtpRoute(
                                src.method,
                                alt.origin,
                                loc,
                                src.lead,
                                alt.lead,
                                transit,
                                lane_cost + alt.cost + src.cost,
                            )
                        )
        order = self._loc_order
        out.sort(
            key=lambda r: (r.cost, order[r.location], order[r.plant], r.method != "make", r.lead)
        )
        return tuple(dict.fromkeys(out))

    # -- quotes ----------------------------------------------------------------------------
    def scratch(self) -> Scratch:
        """A fresh scratch over the current state."""
        return Scratch(self.ledger.smin, self.free, self._versions)

    def quote(
        self,
        item: str,
        routes: tuple[CtpRoute, ...],
        quantity: float,
        requested: int,
        limit: int,
        *,
        whole: bool,
        budget: int = QUOTE_BUDGET,
    ) -> tuple[CtpAnswer | None, str]:
        """The earliest new supply of ``quantity`` delivered to the routes' region.

        Parameters
        ----------
        item
            The item.
        routes
            Candidate routes (:meth:`routes`, possibly filtered by location).
        quantity
            Quantity wanted.
        requested
            Requested delivery day (days from plan start).
        limit
            Last acceptable delivery day.
        whole
            All of ``quantity`` or nothing; otherwise the most that can be made by the limit.
        budget
            Work units the whole quote may spend.

        Returns
        -------
        tuple
            ``(answer, reason)``: the answer with the least short quantity, then the earliest
            delivery, then the first route; ``None`` and the reason (a binding) when no route
            delivers anything.

        """
        scratch = self.scratch()
        memory = Memory(Bounds(self.network, self.ledger.buffer, scratch, self._open_days))
        best: CtpAnswer | None = None
        reason = "lead_time" if routes else "transit"
        spent = 0
        for route in routes:
            due = requested - route.offset
            last = min(limit - route.offset, self.horizon - 1)
            earliest = max(due, route.lead, 0)
            if earliest > last:
                if route.transit > limit:
                    reason = "transit"
                continue
            if best is not None and best.quantity >= quantity - EPS:
                # Cannot beat the best whole answer (a tie keeps the earlier route): not even
                # when orders could make all of it as soon as components allow.
                if earliest + route.offset >= best.delivery:
                    continue
                if route.method == "make" and (
                    memory.bounds.earliest_made(item, route.plant, route.lead, quantity)
                    + route.offset
                    >= best.delivery
                ):
                    continue
            mark = scratch.mark()
            # A search per route (its own budget and first failure); what earlier routes
            # learnt is exact (failures with the rows they read, bounds), so they share it.
            search = Search(
                self.network, self.ledger.buffer, scratch, budget - spent, self._open_days, memory
            )
            answer, why = self._route_answer(search, item, route, quantity, due, last)
            spent += search.work
            if answer is not None and (not whole or answer.quantity >= quantity - EPS):
                if best is None or (
                    (-answer.quantity, answer.delivery) < (-best.quantity - EPS, best.delivery)
                ):
                    best = answer
            else:
                reason = why
            scratch.rollback(mark)
            if search.exhausted:
                reason = SEARCH_LIMIT
                break
        return best, (best.binding if best is not None else reason)

    def _route_answer(
        self, search: Search, item: str, route: CtpRoute, quantity: float, due: int, last: int
    ) -> tuple[CtpAnswer | None, str]:
        """New supply of ``quantity`` by one route.

        On time (backward from ``due``), else as early as it can be (forward to ``last``).

        The binding of an answer that is late or short, and the reason when there is none, is
        the first failure: of the backward orders (what kept them from being on time), else
        of the forward ones; ``lead_time`` when the release would fall before plan start.
        """
        scratch = search.scratch
        mark = scratch.mark()
        if route.method == "buy":
            done = max(due, route.lead, 0)
            release = done - route.lead
            scratch.add_order(Order("buy", item, route.plant, "", quantity, release, done))
            got, binding = quantity, "lead_time"
        else:
            search.fail = None
            got, first_fail = 0.0, None
            if due >= route.lead:
                got = search.make_backward(item, route.plant, quantity, due, route.lead)
                if got < quantity - EPS:
                    first_fail = search.fail
            done = min(due, last)
            if got < quantity - EPS:
                more, end, forward_fail = search.make_forward(
                    item,
                    route.plant,
                    quantity - got,
                    max(due + 1, 0),
                    last,
                    route.lead,
                    why_known=first_fail is not None,
                )
                got += more
                if more > EPS:
                    done = end
                first_fail = first_fail or forward_fail
            binding = first_fail or "lead_time"
            if search.exhausted:
                binding = SEARCH_LIMIT
            if got <= EPS:
                return None, binding
            if done <= due and got >= quantity - EPS:
                binding = "lead_time"
        if route.plant != route.location:
            scratch.add_order(
                Order(
                    "transfer",
                    item,
                    route.location,
                    route.plant,
                    got,
                    done,
                    done + route.transfer_lead,
                )
            )
        answer = CtpAnswer(
            route,
            got if got < quantity else quantity,
            done,
            binding,
            tuple(scratch.takes[mark.takes :]),
            tuple(scratch.loads[mark.loads :]),
            tuple(scratch.orders[mark.orders :]),
        )
        return answer, binding

    # -- the state -------------------------------------------------------------------------
    def apply(self, takes: tuple[Leg, ...], loads: tuple[Leg, ...]) -> None:
        """Take component stock and book minutes (no check here)."""
        for b, day, qty in takes:
            self.ledger.consume(b, day, qty)
        free = self.free
        for w, day, minutes in loads:
            free[w, day] -= minutes
            self._versions[w] = next(self._version_ids)

    def undo(self, takes: tuple[Leg, ...], loads: tuple[Leg, ...]) -> None:
        """Give back what :meth:`apply` took."""
        free = self.free
        for w, day, minutes in reversed(loads):
            free[w, day] += minutes
            self._versions[w] = next(self._version_ids)
        for b, day, qty in reversed(takes):
            self.ledger.restore(b, day, qty)

    def set_free_row(self, workstation: int, row: FloatArray) -> None:
        """Overwrite a workstation's free minutes (exact restore of a saved row).

        Goes through here rather than writing ``free`` directly so the row's version is
        bumped and the search's cached facts about the row are dropped.
        """
        self.free[workstation][:] = row
        self._versions[workstation] = next(self._version_ids)

    def overdrawn(self, takes: tuple[Leg, ...], loads: tuple[Leg, ...]) -> str | None:
        """After :meth:`apply`: what no longer holds (a message), or ``None``."""
        smin = self.ledger.smin
        for b, day, qty in takes:
            if smin[b, day] < -EPS:
                item, loc = self.ledger.buffers[b]
                return (
                    f"{qty:g} of component {item!r} at {loc!r} on {self.date(day)} is no "
                    "longer available"
                )
        free = self.free
        for w, day, minutes in loads:
            if free[w, day] < -MINUTE_EPS:
                return (
                    f"{minutes:g} minutes on {self.network.workstations[w]!r} on "
                    f"{self.date(day)} are no longer free"
                )
        return None

    # -- public data -----------------------------------------------------------------------
    def date(self, day: int) -> dt.date:
        """The date of a horizon day."""
        date = self._dates.get(day)
        if date is None:
            date = self._dates[day] = self.start + dt.timedelta(days=day)
        return date

    def public_takes(self, takes: tuple[Leg, ...]) -> tuple[Take, ...]:
        """Takes as plain data."""
        bufs = self.ledger.buffers
        return tuple(Take(*bufs[b], self.date(day), qty) for b, day, qty in takes)

    def public_loads(self, loads: tuple[Leg, ...]) -> tuple[Load, ...]:
        """Bookings as plain data."""
        ws = self.network.workstations
        return tuple(Load(ws[w], self.date(day), m) for w, day, m in loads)

    def public_orders(self, orders: tuple[Order, ...]) -> tuple[SupplyOrder, ...]:
        """Orders as plain data."""
        return tuple(
            SupplyOrder(
                o.method,  # type: ignore[arg-type]
                o.item,
                o.location,
                o.origin or None,
                o.quantity,
                self.date(o.release),
                self.date(o.due),
            )
            for o in orders
        )

    def legs_of(
        self, takes: tuple[Take, ...], loads: tuple[Load, ...]
    ) -> tuple[tuple[Leg, ...], tuple[Leg, ...]] | str:
        """Takes and bookings of a quote made elsewhere, as legs; or what is unknown here."""
        out_t: list[Leg] = []
        for t in takes:
            b = self.ledger.buffer(t.item, t.location)
            day = (t.date - self.start).days
            if b is None or not 0 <= day < self.horizon:
                return f"component {t.item!r} at {t.location!r} on {t.date} has nothing here"
            out_t.append((b, day, float(t.quantity)))
        out_l: list[Leg] = []
        for ld in loads:
            w = self._ws_index.get(ld.workstation)
            day = (ld.date - self.start).days
            if w is None or not 0 <= day < self.horizon:
                return f"workstation {ld.workstation!r} on {ld.date} is unknown here"
            out_l.append((w, day, float(ld.minutes)))
        return tuple(out_t), tuple(out_l)

    def load_frame(self) -> pd.DataFrame:
        """Minutes per workstation and day: capacity, open-order load, booked, free."""
        ws = self.network.workstations
        cap = self.capacity
        booked = cap - self.load.clip(max=cap) - self.free
        return pd.DataFrame(
            {
                "workstation": np.repeat(np.array(ws, dtype=object), self.horizon),
                "date": np.tile(np.array(self.dataset.dates), len(ws)),
                "capacity": cap.ravel(),
                "open_orders": self.load.ravel(),
                "booked": booked.ravel(),
                "free": self.free.ravel(),
            }
        )

    # -- the plan state --------------------------------------------------------------------
    def _commit_open_lines(self) -> None:
        """Cover over-committed open order lines from new supply, most important first.

        Where commitments exceed stock and receipts, the shortfall of each day (the least
        extra receipt that keeps projected stock ≥ 0) is new supply ready that day — or as soon
        after as it can be —, its components and minutes taken before any new line's.
        """
        ledger = self.ledger
        smin = ledger.smin
        over = np.flatnonzero((smin < -EPS).any(axis=1))
        if len(over) == 0:
            return
        dem = demand_events(self.dataset)
        dem = dem.loc[dem["location"].notna() & ~dem["beyond_horizon"].to_numpy(dtype=bool)]
        prio: dict[tuple[str, str, int], int] = {}
        for i, loc, day, p in zip(
            dem["item"], dem["location"], dem["day"], dem["priority"], strict=True
        ):
            key = (str(i), str(loc), int(day))
            prio[key] = min(prio.get(key, 99), int(p))
        cum = ledger.cum
        needs: list[tuple[int, int, int, float]] = []
        for b in over.tolist():
            deficit = np.maximum.accumulate(np.maximum(-cum[b], 0.0))
            step = np.diff(deficit, prepend=0.0)
            item, loc = ledger.buffers[b]
            for day in np.flatnonzero(step > EPS):
                p = prio.get((item, loc, int(day)), 99)
                needs.append((p, int(day), int(b), float(step[day])))
        needs.sort()
        for _, day, b, qty in needs:
            self._cover(b, day, qty)
        cum = ledger.cum
        self.plan_rows = {b: (row, cum[b].copy()) for b, row in self._before.items()}

    def _cover(self, b: int, day: int, qty: float) -> None:
        item, loc = self.ledger.buffers[b]
        remaining, when = qty, day
        spent = 0
        while remaining > EPS and when < self.horizon and spent < COMMITMENT_BUDGET:
            scratch = self.scratch()
            search = Search(
                self.network,
                self.ledger.buffer,
                scratch,
                COMMITMENT_BUDGET - spent,
                self._open_days,
            )
            got = search.new_supply(item, loc, remaining, when, frozenset({loc}))
            spent += search.work
            if got > EPS:
                takes, loads = tuple(scratch.takes), tuple(scratch.loads)
                for changed in {b, *(leg[0] for leg in takes)} - self._before.keys():
                    self._before[changed] = self.ledger.cum[changed].copy()
                self.apply(takes, loads)
                self.ledger.restore(b, when, got)  # the new supply arrives: a receipt
                self.committed.extend(self.public_orders(tuple(scratch.orders)))
                remaining -= got
            if search.exhausted:
                break
            when = when + 1 if got > EPS else max(when + 1, search.earliest(item, loc))
