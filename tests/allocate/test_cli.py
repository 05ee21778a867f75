"""``oms-plan allocate`` end to end on the bundled datasets, for every policy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import oms_plan
from oms_plan.allocate import check_allocation
from oms_plan.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data"
POLICIES = ["strict_priority", "weighted", "fair_share"]


def _read(folder: Path) -> pd.DataFrame:
    return pd.read_csv(
        folder / "promises.csv",
        dtype={"order": str, "line": str},
        parse_dates=["ship_date", "delivery_date", "requested_date"],
    )


@pytest.mark.parametrize("dataset", ["tiny", "sample"])
@pytest.mark.parametrize("policy", POLICIES)
def test_allocate_writes_checked_tables(tmp_path: Path, dataset: str, policy: str) -> None:
    folder = DATA / dataset
    if not folder.exists():
        pytest.skip(f"data/{dataset} not built yet")
    out = tmp_path / "plan"
    args = ["allocate", str(folder), "--out", str(out), "--policy", policy, "--time-limit", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("promises", "exceptions", "kpis"):
        assert (out / f"{name}.csv").exists()
    promises = _read(out)
    report = check_allocation(oms_plan.load(folder), promises)
    assert report.ok, str(report)
    kpis = pd.read_csv(out / "kpis.csv").set_index("kpi")["value"]
    assert kpis["policy"] == policy
    assert kpis["solver_status"] in {"optimal", "feasible"}
    assert set(promises["status"]) <= {"on_time", "late", "short"}


def test_allocate_options(tmp_path: Path, tiny_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "p"
    ok = runner.invoke(
        app,
        [
            "allocate",
            str(tiny_path),
            "--out",
            str(out),
            "--no-protect-commitments",
            "--solver",
            "greedy",
            "--format",
            "parquet",
            "--quota",
            "ACME=0.5",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert (out / "promises.parquet").exists()
    bad = runner.invoke(app, ["allocate", str(tiny_path), "--out", str(out), "--quota", "x"])
    assert bad.exit_code == 2
    refused = runner.invoke(
        app, ["allocate", str(tiny_path), "--out", str(out), "--solver", "flow"]
    )
    assert refused.exit_code != 0
    missing = runner.invoke(app, ["allocate", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 2
