"""``oms-plan validate`` and ``oms-plan info``: exit codes, every problem listed, JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from oms_plan.cli.main import app
from tests.foundation.broken import Folder

runner = CliRunner()


def _flat(text: str) -> str:
    # rich may wrap long lines: compare without whitespace
    return re.sub(r"\s+", "", text)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "oms_plan.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _broken(tmp_path: Path) -> Folder:
    folder = Folder(tmp_path / "ds")
    folder.edit("orders", 5, "quantity", "abc")
    folder.edit("sourcing", 2, "from_location", "")
    folder.append("bom", parent="TUBE", component="BIKE", quantity_per="1")
    folder.edit("orders", 3, "requested_date", "2026-10-01")  # a warning, not a problem
    return folder


def test_validate_tiny_exits_0(tiny_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "orders" in result.output


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    folder = _broken(tmp_path)
    proc = _run("validate", str(folder.path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    err = _flat(proc.stderr)
    for text in [
        "error:ordersrow5[quantity]:order'SO-5'line'1':quantity'abc'isnotanumber",
        "error:sourcingrow2[from_location]:item'BIKE'location'DC-N'method'transfer':"
        "transferneedsfrom_location",
        "error:bomrow1[component]:parent'BIKE'component'FRAME':BOMcycle:BIKE→FRAME→TUBE→BIKE",
        "warning:ordersrow3[requested_date]",
        "3problem(s),1warning(s)",
    ]:
        assert _flat(text) in err, proc.stderr


def test_validate_json(tmp_path: Path, tiny_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_broken(tmp_path).path), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    errors = [i for i in payload["issues"] if i["severity"] == "error"]
    assert [(i["table"], i["row"], i["column"]) for i in errors] == [
        ("sourcing", 2, "from_location"),
        ("bom", 1, "component"),
        ("orders", 5, "quantity"),
    ]
    assert set(payload["issues"][0]) == {"severity", "table", "row", "column", "message"}
    ok = runner.invoke(app, ["validate", str(tiny_path), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"ok": True, "issues": []}


def test_validate_missing_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in _flat(result.stderr) or "doesnotexist" in _flat(result.stderr)


def test_info_counts(tiny_path: Path) -> None:
    result = runner.invoke(app, ["info", str(tiny_path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["horizon"] == {"start": "2026-11-23", "end": "2027-01-21", "days": 60}
    assert info["tables"]["orders"] == 6 and info["tables"]["items"] == 5
    assert info["network"]["buffers"] == 7 and info["network"]["bom_levels"] == 3
    text = runner.invoke(app, ["info", str(tiny_path)])
    assert text.exit_code == 0
    assert "horizon: 2026-11-23 … 2027-01-21 (60 days)" in text.stdout
    assert "orders=6" in text.stdout


def test_info_on_a_broken_dataset_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(_broken(tmp_path).path)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _flat("quantity 'abc' is not a number") in _flat(result.stderr)
