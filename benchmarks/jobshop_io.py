"""Read public job-shop instances and turn them into oms_plan datasets.

Formats (see benchmarks/instances/README.md, which also gives provenance and licences):

* OR-Library job shop ``.txt``: ``jobs machines``, then per job ``machine duration`` pairs,
  machines numbered from 0;
* Brandimarte flexible job shop ``.fjs``: ``jobs machines avg``, then per job the number of
  operations and, per operation, the number of eligible machines and ``machine time``
  pairs, machines numbered from 1.

An instance becomes a dataset with one plant (no calendar: always open), one workstation per
machine, one item per job with one routing step per operation (alternatives = eligible
machines, run_minutes = processing time) and one open manufacturing order of quantity 1 per
job, released at plan start. Minimizing the makespan of that dataset is the instance.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from oms_plan import Dataset, Model

#: The public instances: ``$OMS_BENCHMARKS`` if set (a folder with the same ``jobshop/`` and
#: ``fjsp/`` layout), else the copies shipped in ``benchmarks/instances``.
INSTANCES = Path(os.environ.get("OMS_BENCHMARKS") or Path(__file__).resolve().parent / "instances")

#: Operation = list of (machine, duration) alternatives (one for a classic job shop).
Operation = list[tuple[int, int]]


@dataclass(frozen=True)
class Instance:
    """A (flexible) job-shop instance: per job, its operations in order."""

    name: str
    num_machines: int
    jobs: list[list[Operation]]

    @property
    def flexible(self) -> bool:
        """Whether some operation has several eligible machines."""
        return any(len(op) > 1 for job in self.jobs for op in job)


def _numbers(path: Path) -> list[int]:
    return [int(float(tok)) for tok in path.read_text().split()]


def read_jobshop(path: Path) -> Instance:
    """Read an OR-Library job-shop ``.txt`` file."""
    nums = _numbers(path)
    n_jobs, n_machines = nums[0], nums[1]
    pos, jobs = 2, []
    for _ in range(n_jobs):
        ops = []
        for _ in range(n_machines):
            ops.append([(nums[pos], nums[pos + 1])])
            pos += 2
        jobs.append(ops)
    return Instance(path.stem, n_machines, jobs)


def read_fjs(path: Path) -> Instance:
    """Read a Brandimarte ``.fjs`` file (machines renumbered from 0)."""
    nums = _numbers(path)
    n_jobs, n_machines = nums[0], nums[1]
    pos, jobs = 3, []
    for _ in range(n_jobs):
        n_ops = nums[pos]
        pos += 1
        ops = []
        for _ in range(n_ops):
            k = nums[pos]
            pos += 1
            ops.append([(nums[pos + 2 * i] - 1, nums[pos + 2 * i + 1]) for i in range(k)])
            pos += 2 * k
        jobs.append(ops)
    return Instance(path.stem, n_machines, jobs)


def read_instance(path: Path) -> Instance:
    """Read a ``.txt`` (job shop) or ``.fjs`` (flexible job shop) instance."""
    return read_fjs(path) if path.suffix == ".fjs" else read_jobshop(path)


def to_dataset(inst: Instance, start: str = "2026-01-05") -> Dataset:
    """The oms_plan dataset of an instance (see the module docstring)."""
    model = Model(start=start, horizon_days=30)
    model.add_location(location="PLANT", kind="plant")
    for m in range(inst.num_machines):
        model.add_workstation(workstation=f"M{m:02d}", location="PLANT")
    for j, ops in enumerate(inst.jobs):
        item = f"J{j:03d}"
        model.add_item(item=item)
        model.add_sourcing(item=item, location="PLANT", method="make", lead_days=0)
        for k, alts in enumerate(ops):
            for machine, duration in alts:
                model.add_routing_step(
                    item=item,
                    step=10 * (k + 1),
                    workstation=f"M{machine:02d}",
                    run_minutes=duration,
                )
        model.add_supply(
            supply=f"MO-{j:03d}",
            kind="production",
            item=item,
            location="PLANT",
            quantity=1,
            due_date=start,
        )
    return model.dataset()


def best_known(name: str) -> tuple[int | None, int | None]:
    """(lower bound, upper bound) of ``name`` from the ``bks.csv`` files."""
    for folder in ("jobshop", "fjsp"):
        with (INSTANCES / folder / "bks.csv").open() as fh:
            for row in csv.DictReader(fh):
                if row["name"] == name:
                    return int(row["lower_bound"]), int(row["upper_bound"])
    return None, None


def instance_path(name: str) -> Path:
    """Path of an instance by name (``ft06``, ``la01``, ``mk01``...)."""
    for path in (INSTANCES / "jobshop" / f"{name}.txt", INSTANCES / "fjsp" / f"{name}.fjs"):
        if path.exists():
            return path
    raise FileNotFoundError(f"no instance {name!r} in {INSTANCES}")
