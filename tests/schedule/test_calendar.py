"""Working-time arithmetic, checked against hand-computed minutes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oms_plan.schedule.calendar import merge, subtract, weekly_intervals, working_time

DAY = 1440


def test_weekly_shifts_overnight_and_24h() -> None:
    # Monday plan start; Monday 22:00-06:00 runs into Tuesday; Wednesday 00:00-00:00 is 24 h.
    got = weekly_intervals([(0, 22 * 60, 6 * 60), (2, 0, 0)], first_weekday=0, horizon=4 * DAY)
    assert sorted(got) == [[22 * 60, DAY + 6 * 60], [2 * DAY, 3 * DAY]]


def test_shift_of_the_day_before_start_runs_into_day_zero() -> None:
    # Plan starts on a Tuesday; Monday's night shift ends at 06:00 on day 0.
    got = weekly_intervals([(0, 22 * 60, 6 * 60)], first_weekday=1, horizon=DAY)
    assert got == [[0, 6 * 60]]


def test_merge_and_subtract() -> None:
    assert merge([[5, 10], [0, 5], [20, 30], [25, 26]]) == [[0, 10], [20, 30]]
    assert subtract([[0, 10], [20, 30]], [[8, 22], [25, 26]]) == [[0, 8], [22, 25], [26, 30]]


def test_two_shifts_touching_merge_and_downtime_cuts() -> None:
    shifts = [(0, 6 * 60, 14 * 60), (0, 14 * 60, 22 * 60)]
    wt = working_time(shifts, [(8 * 60, 9 * 60)], first_weekday=0, horizon=7 * DAY)
    assert wt.stretches() == [(360, 480), (540, 1320)]
    assert wt.total == 120 + 780
    assert wt.longest == 780
    assert not wt.always_open


def test_worked_start_at_end_at() -> None:
    wt = working_time([(0, 8 * 60, 12 * 60), (0, 13 * 60, 17 * 60)], [], 0, DAY)
    assert wt.worked(0) == 0
    assert wt.worked(9 * 60) == 60
    assert wt.worked(12 * 60 + 30) == 240
    assert wt.start_at(0) == 8 * 60
    assert wt.start_at(240) == 13 * 60  # the 241st working minute is 13:00
    assert wt.end_at(240) == 12 * 60  # 240 minutes are done by 12:00
    assert wt.clock(60, 300) == (9 * 60, 15 * 60)  # 09:00 + 5 h of work, 1 h lunch


def test_place_pausable_and_not() -> None:
    wt = working_time([(0, 8 * 60, 12 * 60), (0, 13 * 60, 17 * 60)], [], 0, DAY)
    assert wt.place(60, 200, pausable=True) == 60
    assert wt.place(60, 200, pausable=False) == 240  # 13:00, the next stretch that holds it
    assert wt.place(0, 241, pausable=False) is None  # no stretch is that long
    assert wt.place(0, 481, pausable=True) is None  # more than the day's working time


def test_always_open_is_identity() -> None:
    wt = working_time(None, [], 0, 1000)
    assert wt.always_open
    assert wt.worked(123) == 123
    assert wt.clock(10, 5) == (10, 15)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 12)), min_size=1, max_size=6
    ),
    st.integers(0, 5000),
    st.integers(1, 600),
)
def test_clock_counts_exactly_the_working_minutes(shifts, t, d) -> None:  # type: ignore[no-untyped-def]
    rows = [(wd, h * 60, (h + length) % 24 * 60) for wd, h, length in shifts]
    wt = working_time(rows, [(3000, 3300)], 2, 3 * 7 * DAY)
    w = wt.place(wt.worked(t), d, pausable=True)
    if w is None:
        return
    s, e = wt.clock(w, d)
    assert s >= t
    minutes = sum(max(0, min(e, b) - max(s, a)) for a, b in wt.stretches())
    assert minutes == d
