"""A naive capable-to-promise: the rules of :mod:`oms_plan.ctp.search`, written plainly.

Slow and obviously right, for tests: the state is plain lists (net quantity per buffer and
day, free minutes per workstation and day), ATP is recomputed from scratch at every read
(the suffix minimum of the running sum), a failed branch is undone by restoring a deep copy
of the whole state, and nothing is remembered between calls. The fast engine
(:class:`oms_plan.ctp.CtpEngine`) must give the same answers: the same orders, the same takes
and bookings, the same dates and the same bindings.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field

from oms_plan.atp.ledger import EPS
from oms_plan.ctp.capacity import daily_capacity, open_order_load
from oms_plan.ctp.engine import CtpRoute
from oms_plan.ctp.network import CtpNetwork
from oms_plan.ctp.scratch import MINUTE_EPS, Order
from oms_plan.dataset import Dataset
from oms_plan.timeline import demand_events, supply_events

#: A take: (item, location, day, quantity); a booking: (workstation, day, minutes).
RefTake = tuple[str, str, int, float]
RefLoad = tuple[int, int, float]


@dataclass
class RefState:
    """Net quantity per (item, location) and day; free minutes per workstation and day."""

    net: dict[tuple[str, str], list[float]]
    free: list[list[float]]
    takes: list[RefTake] = field(default_factory=list)
    loads: list[RefLoad] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def atp(self, item: str, location: str, day: int) -> float:
        """``max(0, min over s ≥ day of the running sum of net[s])``."""
        row = self.net.get((item, location))
        if row is None:
            return 0.0
        running = list(itertools.accumulate(row))
        return max(0.0, min(running[day:]))


@dataclass(frozen=True)
class RefAnswer:
    """What the reference answers for a quote (comparable with the fast engine's)."""

    route: CtpRoute
    quantity: float
    completion: int
    binding: str
    takes: tuple[RefTake, ...]
    loads: tuple[RefLoad, ...]
    orders: tuple[Order, ...]


class ReferenceCtp:
    """The reference engine over a dataset (no budget: small instances only).

    Parameters
    ----------
    dataset
        The dataset.
    commit_open_lines
        Cover over-committed open order lines first, as the fast engine does.

    """

    def __init__(self, dataset: Dataset, *, commit_open_lines: bool = True) -> None:
        self.net = CtpNetwork(dataset)
        self.horizon = dataset.horizon_days
        cap = daily_capacity(dataset)
        free = cap - open_order_load(dataset, cap)
        rows: dict[tuple[str, str], list[float]] = {}
        sup, dem = supply_events(dataset), demand_events(dataset)
        for r in sup.itertuples(index=False):
            row = rows.setdefault((str(r.item), str(r.location)), [0.0] * self.horizon)
            if not r.beyond_horizon:
                row[int(r.day)] += float(r.quantity)
        self.priority: dict[tuple[str, str, int], int] = {}
        for r in dem.itertuples(index=False):
            if not isinstance(r.location, str):
                continue
            row = rows.setdefault((str(r.item), r.location), [0.0] * self.horizon)
            if not r.beyond_horizon:
                row[int(r.day)] -= float(r.quantity)
                key = (str(r.item), r.location, int(r.day))
                self.priority[key] = min(self.priority.get(key, 99), int(r.priority))
        for item, loc in dataset.inventory[["item", "location"]].itertuples(index=False):
            rows.setdefault((str(item), str(loc)), [0.0] * self.horizon)
        self.state = RefState(rows, [[max(0.0, v) for v in row] for row in free.tolist()])
        lanes = dataset.lanes
        self.lanes = [
            (str(a), str(b), int(c), float(d))
            for a, b, c, d in lanes[
                ["from_location", "to", "transit_days", "cost_per_unit"]
            ].itertuples(index=False)
        ]
        self.loc_order = dict(dataset.location_index)
        self.committed: list[Order] = []
        if commit_open_lines:
            self._commit_open_lines()

    # -- routes ----------------------------------------------------------------------------
    def routes(self, item: str, region: str) -> list[CtpRoute]:
        """Every (make or buy at a plant, ship-from location) way to the region, sorted."""
        out = []
        for loc, to, transit, lane_cost in self.lanes:
            if to != region:
                continue
            for alt in self.net.alternatives(item, loc):
                if alt.method != "transfer":
                    out.append(
                        CtpRoute(alt.method, loc, loc, alt.lead, 0, transit, lane_cost + alt.cost)
                    )
                    continue
                for src in self.net.alternatives(item, alt.origin):
                    if src.method != "transfer":
                        cost = lane_cost + alt.cost + src.cost
                        out.append(
                            CtpRoute(src.method, alt.origin, loc, src.lead, alt.lead, transit, cost)
                        )
        order = self.loc_order
        out.sort(
            key=lambda r: (r.cost, order[r.location], order[r.plant], r.method != "make", r.lead)
        )
        unique: list[CtpRoute] = []
        for r in out:
            if r not in unique:
                unique.append(r)
        return unique

    # -- quotes ----------------------------------------------------------------------------
    def quote(
        self,
        item: str,
        routes: list[CtpRoute],
        quantity: float,
        requested: int,
        limit: int,
        *,
        whole: bool,
    ) -> tuple[RefAnswer | None, str]:
        """Route by route, on a copy of the state each time; the best answer wins."""
        best: RefAnswer | None = None
        reason = "lead_time" if routes else "transit"
        for route in routes:
            due = requested - route.offset
            last = min(limit - route.offset, self.horizon - 1)
            earliest = max(due, route.lead, 0)
            if earliest > last:
                if route.transit > limit:
                    reason = "transit"
                continue
            if (
                best is not None
                and best.quantity >= quantity - EPS
                and (earliest + route.offset >= best.completion + best.route.offset)
            ):
                continue
            run = _Run(self.net, copy.deepcopy(self.state), self.horizon)
            answer, why = run.route_answer(item, route, quantity, due, last)
            if answer is not None and (not whole or answer.quantity >= quantity - EPS):
                if best is None or (
                    -answer.quantity,
                    answer.completion + answer.route.offset,
                ) < (-best.quantity - EPS, best.completion + best.route.offset):
                    best = answer
            else:
                reason = why
        return best, (best.binding if best is not None else reason)

    def apply(self, takes: tuple[RefTake, ...], loads: tuple[RefLoad, ...]) -> None:
        """Take and book (a reservation)."""
        for item, loc, day, qty in takes:
            self.state.net[(item, loc)][day] -= qty
        for w, day, minutes in loads:
            self.state.free[w][day] -= minutes

    def undo(self, takes: tuple[RefTake, ...], loads: tuple[RefLoad, ...]) -> None:
        """Give back (a release)."""
        for item, loc, day, qty in takes:
            self.state.net[(item, loc)][day] += qty
        for w, day, minutes in loads:
            self.state.free[w][day] += minutes

    # -- the plan state --------------------------------------------------------------------
    def _commit_open_lines(self) -> None:
        needs = []
        for (item, loc), row in sorted(self.state.net.items()):
            worst = 0.0  # the least extra receipt so far that keeps the running sum ≥ 0
            for day, value in enumerate(itertools.accumulate(row)):
                new = max(worst, -value, 0.0)
                if new - worst > EPS:
                    p = self.priority.get((item, loc, day), 99)
                    needs.append((p, day, item, loc, new - worst))
                worst = new
        buffers = {key: pos for pos, key in enumerate(self._buffer_order())}
        needs.sort(key=lambda n: (n[0], n[1], buffers[(n[2], n[3])], n[4]))
        for _, day, item, loc, qty in needs:
            remaining, when = qty, day
            while remaining > EPS and when < self.horizon:
                run = _Run(self.net, copy.deepcopy(self.state), self.horizon)
                run.state.takes, run.state.loads, run.state.orders = [], [], []
                got = run.new_supply(item, loc, remaining, when, frozenset({loc}))
                if got > EPS:
                    self.apply(tuple(run.state.takes), tuple(run.state.loads))
                    self.state.net[(item, loc)][when] += got
                    self.committed.extend(run.state.orders)
                    remaining -= got
                when += 1

    def _buffer_order(self) -> list[tuple[str, str]]:
        # The fast ledger numbers buffers by item order, then location order, of the dataset.
        items = {item: pos for pos, item in enumerate(self.net.lots)}
        return sorted(self.state.net, key=lambda k: (items[k[0]], self.loc_order[k[1]]))


class _Run:
    """One route's search on its own copy of the state (the rules of ``search.py``)."""

    def __init__(self, net: CtpNetwork, state: RefState, horizon: int) -> None:
        self.net = net
        self.state = state
        self.horizon = horizon
        self.fail: str | None = None

    def route_answer(
        self, item: str, route: CtpRoute, quantity: float, due: int, last: int
    ) -> tuple[RefAnswer | None, str]:
        # Always through self.state: a failed attempt replaces it with the saved copy.
        self.state.takes, self.state.loads, self.state.orders = [], [], []
        if route.method == "buy":
            done = max(due, route.lead, 0)
            self.state.orders.append(
                Order("buy", item, route.plant, "", quantity, done - route.lead, done)
            )
            got, binding = quantity, "lead_time"
        else:
            self.fail = None
            got, first_fail = 0.0, None
            if due >= route.lead:
                got = self.make_backward(item, route.plant, quantity, due, route.lead)
                if got < quantity - EPS:
                    first_fail = self.fail
            done = min(due, last)
            if got < quantity - EPS:
                more, end, forward_fail = 0.0, -1, None
                c = max(max(due + 1, 0), route.lead)
                while quantity - got - more > EPS and c <= last:
                    want = quantity - got - more
                    made = self.make_order(item, route.plant, want, c, route.lead)
                    if made <= EPS:
                        forward_fail = forward_fail or self.fail
                        c += 1
                        continue
                    more += made
                    end = c
                got += more
                if more > EPS:
                    done = end
                first_fail = first_fail or forward_fail
            binding = first_fail or "lead_time"
            if got <= EPS:
                return None, binding
            if done <= due and got >= quantity - EPS:
                binding = "lead_time"
        if route.plant != route.location:
            self.state.orders.append(
                Order(
                    "transfer", item, route.location, route.plant, got, done,
                    done + route.transfer_lead,
                )
            )  # fmt: skip
        answer = RefAnswer(
            route,
            min(got, quantity),
            done,
            binding,
            tuple(self.state.takes),
            tuple(self.state.loads),
            tuple(self.state.orders),
        )
        return answer, binding

    def obtain(self, item: str, loc: str, quantity: float, by: int, path: frozenset[str]) -> float:
        if by < 0:
            self.fail = "lead_time"
            return 0.0
        got = 0.0
        day = min(by, self.horizon - 1)
        have = self.state.atp(item, loc, day)
        if have > EPS:
            got = min(have, quantity)
            self.state.net[(item, loc)][day] -= got
            self.state.takes.append((item, loc, day, got))
        if quantity - got <= EPS:
            return quantity
        return got + self.new_supply(item, loc, quantity - got, by, path)

    def new_supply(
        self, item: str, loc: str, quantity: float, by: int, path: frozenset[str]
    ) -> float:
        got = 0.0
        self.fail = None
        for alt in self.net.alternatives(item, loc):
            rest = quantity - got
            if rest <= EPS:
                break
            if alt.method == "buy":
                if by >= alt.lead:
                    self.state.orders.append(Order("buy", item, loc, "", rest, by - alt.lead, by))
                    got += rest
            elif alt.method == "transfer":
                if alt.origin in path:
                    continue
                moved = self.obtain(item, alt.origin, rest, by - alt.lead, path | {alt.origin})
                if moved > EPS:
                    self.state.orders.append(
                        Order("transfer", item, loc, alt.origin, moved, by - alt.lead, by)
                    )
                    got += moved
            else:
                got += self.make_backward(item, loc, rest, by, alt.lead)
        return 0.0 if got <= EPS else min(got, quantity)

    def make_backward(self, item: str, plant: str, quantity: float, due: int, lead: int) -> float:
        made = 0.0
        c = min(due, self.horizon - 1)
        if c - lead < 0:
            self.fail = self.fail or "lead_time"
        first_fail = None
        while quantity - made > EPS and c - lead >= 0:
            got = self.make_order(item, plant, quantity - made, c, lead)
            if got <= EPS:
                first_fail = first_fail or self.fail
                c -= 1
                continue
            made += got
        if made < quantity - EPS and first_fail is not None:
            self.fail = first_fail
        return made

    def make_order(self, item: str, plant: str, want: float, c: int, lead: int) -> float:
        a = c - lead
        steps = self.net.steps(item, plant)
        most, limiting, chosen = math.inf, "", list[int]()
        if steps:
            most, limiting, chosen = self._capacity(item, plant, a, c)
        lot = self.net.lots[item]
        qty = lot.size(want, most)
        if qty <= EPS:
            self.fail = f"capacity:{limiting}" if limiting else "capacity"
            return 0.0
        ok = False
        for _ in range(3):
            saved = copy.deepcopy(self.state)
            short_of = None
            for comp, per in self.net.bom(item, plant):
                need = qty * per
                if self.net.integral(comp):
                    need = math.ceil(need - EPS)
                if need <= EPS:
                    continue
                got = self.obtain(comp, plant, need, a, frozenset({plant}))
                if got < need - EPS:
                    short_of = got / per
                    deeper = self.fail
                    self.fail = deeper if deeper not in (None, "lead_time") else f"component:{comp}"
                    break
            if short_of is None:
                ok = True
                break
            self.state = saved
            smaller = lot.size(min(want, short_of), min(most, short_of))
            if smaller <= EPS or smaller >= qty - EPS:
                return 0.0
            qty = smaller
        if not ok:
            return 0.0
        for step, w in zip(steps, chosen, strict=True):
            setup, run = next((s, r) for ws, s, r in step.alternatives if ws == w)
            left = setup + qty * run
            if left <= MINUTE_EPS:
                continue
            row = self.state.free[w]
            for day in range(a, c + 1):
                if row[day] <= 0.0:
                    continue
                use = min(row[day], left)
                row[day] -= use
                self.state.loads.append((w, day, use))
                left -= use
                if left <= MINUTE_EPS:
                    break
        self.state.orders.append(Order("make", item, plant, "", qty, a, c))
        return min(qty, want)

    def _capacity(self, item: str, plant: str, a: int, c: int) -> tuple[float, str, list[int]]:
        def most(free: float, setup: float, run: float) -> float:
            if free < setup - MINUTE_EPS:
                return -1.0
            return math.inf if run <= 0 else max(free - setup, 0.0) / run

        used: dict[int, tuple[float, float]] = {}
        chosen: list[int] = []
        for step in self.net.steps(item, plant):
            best_w, best_q = -1, -math.inf
            for w, setup, run in step.alternatives:
                s0, r0 = used.get(w, (0.0, 0.0))
                q = most(sum(self.state.free[w][a : c + 1]), s0 + setup, r0 + run)
                if q > best_q:
                    best_w, best_q = w, q
            s0, r0 = used.get(best_w, (0.0, 0.0))
            setup, run = next((s, r) for ws, s, r in step.alternatives if ws == best_w)
            used[best_w] = (s0 + setup, r0 + run)
            chosen.append(best_w)
        lowest, limiting = math.inf, -1
        for w in chosen:
            q = most(sum(self.state.free[w][a : c + 1]), *used[w])
            if q < lowest:
                lowest, limiting = q, w
        return lowest, self.net.workstations[limiting] if limiting >= 0 else "", chosen
