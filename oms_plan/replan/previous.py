"""What a stable replan takes from the previous plan: stamps, frozen orders, stable ids.

* **Stamps.** Every plan records what its stages read. Each promise row carries, in an
  extra ``input`` column, a digest of its allocation group's inputs (the group's rows of
  items, sourcing, inventory, supply and orders, the locations, regions and lanes, the
  settings and the allocation options); the KPI ``input_allocation`` sums them up and
  ``input_schedule`` fingerprints what the schedule read (the make orders, routing,
  workstations, calendars, downtime, setups, open production orders, settings and the
  schedule options). A replan against that plan keeps a group's promises, or the schedule,
  when it reads the same — the stage's answer is a deterministic function of exactly those
  inputs — whether the previous plan is in memory or read from its folder.
* **Frozen orders.** Planned orders released inside the first ``freeze_days`` days are kept
  as firm receipts: MRP nets against them instead of planning them again.
* **Memory.** The plans of this process, weakly keyed by their dataset object, so that a
  scenario without an explicit base replans from the last plan of its base dataset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.fingerprint import table_digest
from oms_plan.outputs import kpis_frame
from oms_plan.replan.plan_folder import read_plan
from oms_plan.replan.result import Plan

#: KPIs that stamp a plan with the fingerprints of its stages' inputs.
STAMPS = ("input_allocation", "input_schedule")
_SCHEDULE_TABLES = ("routing", "workstations", "calendars", "downtime", "setups")
_ALLOCATION_OPTIONS = (
    "policy",
    "protect_commitments",
    "allocation_solver",
    "allocation_time_limit",
)
_SCHEDULE_OPTIONS = ("schedule_solver", "schedule_objective", "schedule_time_limit", "seed")
_MAKE_COLUMNS = ("planned_order", "item", "location", "quantity", "release_date", "due_date")
#: Options that say how a plan is computed, not what it is: not part of the memory key.
_RUNTIME_OPTIONS = frozenset({"executor", "progress", "parts", "previous", "freeze_days"})
_KIND = {"buy": "purchase", "make": "production", "transfer": "transfer"}

PreviousLike = Plan | str | Path


def as_previous(previous: PreviousLike) -> Plan:
    """The previous plan as given, or read from its folder."""
    return previous if isinstance(previous, Plan) else read_plan(previous)


# -- stamps ---------------------------------------------------------------------------------
def _digest(dataset: Dataset, tables: tuple[str, ...], extra: list[str]) -> str:
    digest = hashlib.sha256(dataset.settings.to_toml().encode())
    for name in tables:
        digest.update(name.encode())
        digest.update(table_digest(dataset.table(name)).encode())
    for text in extra:
        digest.update(text.encode())
    return "sha256:" + digest.hexdigest()


def schedule_stamp(dataset: Dataset, make: pd.DataFrame, options: Any) -> str:
    """Fingerprint of everything the schedule stage reads.

    ``make`` holds the planned make orders with their priorities.
    """
    supply = dataset.supply
    production = supply.loc[supply["kind"] == "production"]
    columns = [c for c in (*_MAKE_COLUMNS, "priority") if c in make.columns]
    chosen = [f"{k}={getattr(options, k)!r}" for k in _SCHEDULE_OPTIONS]
    chosen += [table_digest(production), table_digest(make[columns].reset_index(drop=True))]
    return _digest(dataset, _SCHEDULE_TABLES, chosen)


def stamps_of(plan: Plan) -> dict[str, str]:
    """The stamps a plan carries (none for a plan written before plans were stamped)."""
    kpis = plan.tables["kpis"]
    rows = kpis.loc[kpis["kpi"].isin(STAMPS)]
    return {str(k): str(v) for k, v in zip(rows["kpi"], rows["value"], strict=True)}


def stamped(plan: Plan, stamps: Mapping[str, str]) -> Plan:
    """``plan`` with its stamp KPIs set (after the others)."""
    kpis = plan.tables["kpis"]
    kept = kpis.loc[~kpis["kpi"].isin(STAMPS)]
    values = dict(zip(kept["kpi"], kept["value"], strict=True)) | dict(stamps)
    return dataclasses.replace(plan, tables={**plan.tables, "kpis": kpis_frame(values)})


# -- frozen orders --------------------------------------------------------------------------
def frozen_orders(dataset: Dataset, planned: pd.DataFrame, freeze_days: int) -> pd.DataFrame:
    """Previous planned orders released before plan start + ``freeze_days``.

    Only those the dataset can still hold: their item and locations exist, and no receipt
    already has their id.
    """
    if freeze_days <= 0 or planned.empty:
        return planned.iloc[0:0]
    cutoff = pd.Timestamp(dataset.start) + pd.Timedelta(days=freeze_days)
    release = pd.to_datetime(planned["release_date"])
    items, locations = set(dataset.item_ids), set(dataset.location_ids)
    taken = set(dataset.supply["supply"].astype(str))
    keep = (
        (release < cutoff)
        & planned["item"].isin(items)
        & planned["location"].isin(locations)
        & (planned["from_location"].isna() | planned["from_location"].isin(locations))
        & ~planned["planned_order"].astype(str).isin(taken)
    )
    return planned.loc[keep].reset_index(drop=True)


def as_supply(frozen: pd.DataFrame) -> pd.DataFrame:
    """Frozen planned orders as rows of the ``supply`` table (firm receipts, same ids)."""
    return pd.DataFrame(
        {
            "supply": frozen["planned_order"].astype(str),
            "kind": frozen["method"].map(_KIND),
            "item": frozen["item"],
            "location": frozen["location"],
            "quantity": frozen["quantity"].astype(float),
            "due_date": pd.to_datetime(frozen["due_date"]),
            "from_location": frozen["from_location"].astype(object),
            "release_date": pd.to_datetime(frozen["release_date"]),
        }
    )


# -- memory ---------------------------------------------------------------------------------
_MEMORY: weakref.WeakKeyDictionary[Dataset, dict[tuple[tuple[str, str], ...], Plan]] = (
    weakref.WeakKeyDictionary()
)


def options_key(options: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The options that determine a plan's content, as a hashable key."""
    return tuple(sorted((k, repr(v)) for k, v in options.items() if k not in _RUNTIME_OPTIONS))


def remember(dataset: Dataset, options: Mapping[str, Any], plan: Plan) -> None:
    """Keep ``plan`` as the last plan of ``dataset`` with ``options`` (one per options key)."""
    _MEMORY.setdefault(dataset, {})[options_key(options)] = plan


def remembered(dataset: Dataset, options: Mapping[str, Any]) -> Plan | None:
    """The last plan of this very ``dataset`` object with the same options, if any."""
    return _MEMORY.get(dataset, {}).get(options_key(options))


def forget() -> None:
    """Drop every remembered plan."""
    _MEMORY.clear()


# -- stable planned-order ids ---------------------------------------------------------------
_ID_KEY = ("method", "item", "location", "from_location", "quantity", "release_date", "due_date")


def _id_keys(planned: pd.DataFrame) -> list[tuple[object, ...]]:
    columns = [
        planned["method"].astype(str),
        planned["item"].astype(str),
        planned["location"].astype(str),
        planned["from_location"].astype(object).where(planned["from_location"].notna(), ""),
        planned["quantity"].astype(float).round(6),
        pd.to_datetime(planned["release_date"]),
        pd.to_datetime(planned["due_date"]),
    ]
    return list(zip(*columns, strict=True))


def stable_ids(planned: pd.DataFrame, previous: pd.DataFrame, taken: set[str]) -> dict[str, str]:
    """New id → final id: a planned order identical to a previous one keeps its id.

    MRP numbers planned orders per buffer by due date, so one order more or less renumbers
    every later order of the buffer. An order that is identical in every column (method,
    item, locations, quantity, release and due date) to a previous planned order takes
    that order's id instead (each previous id once); every other order keeps its own id,
    made unique with a ``~k`` suffix when a kept id or ``taken`` already holds it.
    """
    pool: dict[tuple[object, ...], list[str]] = {}
    if not previous.empty:
        for key, pid in zip(_id_keys(previous), previous["planned_order"].astype(str), strict=True):
            if pid not in taken:
                pool.setdefault(key, []).append(pid)
    ids = planned["planned_order"].astype(str).tolist()
    final: list[str | None] = []
    used = set(taken)
    for key in _id_keys(planned):
        candidates = pool.get(key)
        chosen = candidates.pop(0) if candidates else None
        if chosen is not None:
            used.add(chosen)
        final.append(chosen)
    for k, new in enumerate(ids):
        if final[k] is None:
            name, n = new, 1
            while name in used:
                n += 1
                name = f"{new}~{n}"
            used.add(name)
            final[k] = name
    return {new: str(end) for new, end in zip(ids, final, strict=True) if new != end}


def renamed(
    frame: pd.DataFrame, columns: tuple[str, ...], names: Mapping[str, str]
) -> pd.DataFrame:
    """``frame`` with planned-order ids renamed in ``columns`` (and in a ``message`` column)."""
    if not names or frame.empty:
        return frame
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    if "message" in out.columns:
        # Longest ids first, whole ids only (ids contain '-', so \b would match inside one).
        pattern = re.compile(
            r"(?<![\w~-])("
            + "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
            + r")(?![\w~-])"
        )
        out["message"] = out["message"].map(
            lambda m: pattern.sub(lambda g: names[g.group(1)], m) if isinstance(m, str) else m
        )
    return out


# -- allocation groups ----------------------------------------------------------------------
#: Extra column of the promises table: the digest of the line's allocation group inputs.
INPUT_COLUMN = "input"
_GROUP_TABLES = ("items", "sourcing", "inventory", "supply", "orders")
_SHARED_TABLES = ("locations", "regions", "lanes")


def allocation_groups(dataset: Dataset) -> dict[str, str]:
    """Item → its allocation group (the smallest item of the group).

    Allocation couples items only through ship-complete orders (every line of such an
    order ships together), so items of one ship-complete order are one group; every other
    item is a group of its own. Groups are allocated independently.
    """
    parent = {item: item for item in dataset.item_ids}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    orders = dataset.orders
    complete = orders.loc[orders["ship_complete"], ["order", "item"]]
    for _, items in complete.groupby("order", sort=True)["item"]:
        ordered = sorted(set(map(str, items)))
        for other in ordered[1:]:
            a, b = find(ordered[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {item: find(item) for item in dataset.item_ids}


def group_digests(dataset: Dataset, options: Any) -> dict[str, str]:
    """Allocation group → a short digest of everything its allocation reads.

    The group's rows of items, sourcing, inventory, supply and orders; the locations,
    regions and lanes every line can use; the settings and the allocation options.
    """
    groups = allocation_groups(dataset)
    shared = _digest(
        dataset, _SHARED_TABLES, [f"{k}={getattr(options, k)!r}" for k in _ALLOCATION_OPTIONS]
    )
    per_group: dict[str, hashlib._Hash] = {}
    for name in _GROUP_TABLES:
        frame = dataset.table(name)
        if frame.empty:
            continue
        text = frame.astype(object).where(frame.notna(), None).astype(str)
        rows = pd.util.hash_pandas_object(text, index=False).to_numpy()
        group = frame["item"].astype(str).map(groups).to_numpy()
        for g, values in pd.Series(rows).groupby(group, sort=True):
            digest = per_group.setdefault(str(g), hashlib.sha256(shared.encode()))
            digest.update(name.encode())
            digest.update(values.to_numpy().tobytes())
    out = {g: d.hexdigest()[:16] for g, d in per_group.items()}
    # A group with no row in any table still has a digest (of the shared part only).
    for g in set(groups.values()) - set(out):
        out[g] = hashlib.sha256(shared.encode()).hexdigest()[:16]
    return out


def with_inputs(
    promises: pd.DataFrame, dataset: Dataset, digests: Mapping[str, str]
) -> pd.DataFrame:
    """``promises`` with the :data:`INPUT_COLUMN` of each row's allocation group."""
    groups = allocation_groups(dataset)
    out = promises.copy()
    out[INPUT_COLUMN] = [
        digests.get(groups.get(str(item), ""), "") for item in out["item"].astype(str)
    ]
    return out
