"""``oms-plan generate``: writes a dataset that ``oms-plan validate`` accepts; bad knobs exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import oms_plan
from oms_plan.cli.main import app

runner = CliRunner()


def test_generate_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    result = runner.invoke(
        app,
        [
            "generate",
            "--scale",
            "250",
            "--seed",
            "3",
            "--out",
            str(out),
            "--bom-levels",
            "4",
            "--items",
            "40",
            "--locations",
            "5",
            "--horizon-days",
            "120",
            "--supply-ratio",
            "0.8",
            "--committed-share",
            "0.5",
            "--workstations",
            "6",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "orders.csv").is_file() and (out / "dataset.toml").is_file()
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    ds = oms_plan.load(out)
    assert len(ds.orders) == 250 and len(ds.items) == 40 and len(ds.locations) == 5
    assert len(ds.workstations) == 6 and ds.horizon_days == 120


def test_generate_parquet(tmp_path: Path) -> None:
    out = tmp_path / "pq"
    result = runner.invoke(
        app, ["generate", "--scale", "60", "--out", str(out), "--format", "parquet"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "orders.parquet").is_file() and not (out / "orders.csv").exists()
    assert len(oms_plan.load(out).orders) == 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "0"], "scale must be ≥ 1"),
        (["--scale", "-3"], "scale must be ≥ 1"),
        (["--scale", "10", "--supply-ratio", "-1"], "supply_ratio"),
        (["--scale", "10", "--locations", "1"], "locations must be ≥ 2"),
        (["--scale", "10", "--committed-share", "2"], "committed_share"),
        (["--scale", "10", "--horizon-days", "0"], "horizon_days"),
        (["--scale", "10", "--items", "2", "--bom-levels", "4"], "needs at least 4 items"),
        (["--scale", "ten"], "Usage"),  # not a number: typer's usage error, also exit 2
    ],
)
def test_bad_knobs_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_console_script_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "script"
    gen = subprocess.run(
        [
            sys.executable,
            "-m",
            "oms_plan.cli.main",
            "generate",
            "--scale",
            "80",
            "--seed",
            "9",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gen.returncode == 0, gen.stderr
    assert "generating 80 order lines" in gen.stderr
    val = subprocess.run(
        [sys.executable, "-m", "oms_plan.cli.main", "validate", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert val.returncode == 0, val.stderr
