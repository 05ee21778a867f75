"""Plan settings (``dataset.toml``): the horizon every engine plans over."""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oms_plan.errors import Issue
from oms_plan.schema import EARLIEST_DATE, LATEST_DATE

#: Horizon when ``dataset.toml`` gives none.
DEFAULT_HORIZON_DAYS = 180
#: Longest horizon: ten years of day buckets.
MAX_HORIZON_DAYS = 3_660
_FIRST = dt.date.fromisoformat(EARLIEST_DATE)
# The whole horizon must end inside the supported dates.
_LAST = dt.date.fromisoformat(LATEST_DATE) - dt.timedelta(days=MAX_HORIZON_DAYS)


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The ``[plan]`` section of ``dataset.toml``.

    Attributes
    ----------
    start
        First day of the horizon: nothing new ships, arrives or starts before it.
    horizon_days
        Number of day buckets; the last plannable day is ``start + horizon_days - 1``.
    extra
        Other sections of ``dataset.toml``, kept verbatim (engines may read their own).

    """

    start: dt.date
    horizon_days: int = DEFAULT_HORIZON_DAYS
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> dt.date:
        """The last plannable day."""
        return self.start + dt.timedelta(days=self.horizon_days - 1)

    def to_toml(self) -> str:
        """Render as the text of a ``dataset.toml`` file."""
        lines = [
            "[plan]",
            f"start = {self.start.isoformat()}",
            f"horizon_days = {self.horizon_days}",
        ]
        for section, values in self.extra.items():
            if not isinstance(values, Mapping):
                continue
            lines += ["", f"[{section}]"]
            for k, v in values.items():
                lines.append(f"{k} = {_toml_value(v)}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the settings in the shape of the parsed ``dataset.toml``."""
        out: dict[str, Any] = {
            "plan": {"start": self.start.isoformat(), "horizon_days": self.horizon_days}
        }
        out.update({k: dict(v) for k, v in self.extra.items() if isinstance(v, Mapping)})
        return out


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse_start(start: object, issues: list[Issue]) -> dt.date | None:
    where = "dataset.toml"
    if isinstance(start, dt.datetime):
        return start.date()
    if isinstance(start, dt.date):
        return start
    if isinstance(start, str):
        try:
            return dt.date.fromisoformat(start.strip())
        except ValueError:
            pass
    if start is None:
        issues.append(Issue(where, None, "plan.start", "plan.start is missing (YYYY-MM-DD)"))
    else:
        issues.append(Issue(where, None, "plan.start", f"start {start!r} is not a date YYYY-MM-DD"))
    return None


def parse_settings(raw: Mapping[str, Any]) -> tuple[PlanSettings | None, list[Issue]]:
    """Build :class:`PlanSettings` from a parsed ``dataset.toml`` (or an equivalent dict).

    Accepts either ``{"plan": {"start": ..., "horizon_days": ...}}`` or the flat
    ``{"start": ..., "horizon_days": ...}``. Returns the settings (``None`` when unusable)
    and the problems found.

    Parameters
    ----------
    raw
        The parsed ``dataset.toml``.

    Returns
    -------
    tuple[PlanSettings | None, list[Issue]]
        The settings (``None`` when the start is unusable) and the problems (table
        ``dataset.toml``, column ``plan.start`` / ``plan.horizon_days``).

    """
    where = "dataset.toml"
    plan = raw.get("plan", raw if "start" in raw else None)
    if not isinstance(plan, Mapping):
        return None, [
            Issue(where, None, "plan", "missing [plan] section with start and horizon_days")
        ]
    issues: list[Issue] = []
    parsed_start = _parse_start(plan.get("start"), issues)
    horizon = plan.get("horizon_days", DEFAULT_HORIZON_DAYS)
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, numbers.Integral)
        or not 1 <= int(horizon) <= MAX_HORIZON_DAYS
    ):
        issues.append(
            Issue(
                where,
                None,
                "plan.horizon_days",
                f"horizon_days {horizon!r} is not a whole number from 1 to {MAX_HORIZON_DAYS}",
            )
        )
        horizon = DEFAULT_HORIZON_DAYS
    if parsed_start is not None and not _FIRST <= parsed_start <= _LAST:
        issues.append(
            Issue(
                where,
                None,
                "plan.start",
                f"start {parsed_start} is outside the supported range {_FIRST} … {_LAST}",
            )
        )
        parsed_start = None
    extra = {k: v for k, v in raw.items() if k != "plan" and isinstance(v, Mapping)}
    if parsed_start is None:
        return None, issues
    return PlanSettings(parsed_start, int(horizon), extra), issues
