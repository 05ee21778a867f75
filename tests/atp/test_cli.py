"""``oms-plan atp`` and ``oms-plan promise`` end to end on data/tiny."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from oms_plan.cli.main import app

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_atp_text_and_json(tiny_path: Path) -> None:
    result = _run("atp", tiny_path, "--item", "FRAME", "--location", "P1", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 60 and list(rows[0]) == ["date", "on_hand", "atp"]
    assert rows[0] == {"date": "2026-11-23", "on_hand": 10, "atp": 10}
    assert rows[4] == {"date": "2026-11-27", "on_hand": 25, "atp": 23}
    text = _run("atp", tiny_path, "--item", "FRAME", "--location", "P1")
    assert text.exit_code == 0 and "2026-11-27" in text.stdout and "23" in text.stdout


def test_atp_unknown_item_exits_2(tiny_path: Path) -> None:
    result = _run("atp", tiny_path, "--item", "NOPE", "--location", "P1")
    assert result.exit_code == 2


def test_promise_json_shape(tiny_path: Path) -> None:
    result = _run(
        "promise", tiny_path, "--item", "BIKE", "--quantity", "3", "--ship-to", "EAST",
        "--requested-date", "2026-12-07", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "item": "BIKE",
        "quantity": 3,
        "shipments": [
            {"location": "P1", "quantity": 3, "ship_date": "2026-12-03",
             "delivery_date": "2026-12-07", "source": "supply"}
        ],
        "short": 0,
        "binding": "supply:MO-1",
    }  # fmt: skip


def test_promise_text_and_bad_input(tiny_path: Path) -> None:
    ok = _run(
        "promise", tiny_path, "--item", "FRAME", "--quantity", "30", "--ship-to", "EAST",
        "--requested-date", "2026-11-24", "--no-ctp",
    )  # fmt: skip
    assert ok.exit_code == 0 and "short" in ok.stdout
    for bad in (
        [
            "--item",
            "NOPE",
            "--quantity",
            "1",
            "--ship-to",
            "EAST",
            "--requested-date",
            "2026-12-01",
        ],
        [
            "--item",
            "BIKE",
            "--quantity",
            "0",
            "--ship-to",
            "EAST",
            "--requested-date",
            "2026-12-01",
        ],
        [
            "--item",
            "BIKE",
            "--quantity",
            "1",
            "--ship-to",
            "MARS",
            "--requested-date",
            "2026-12-01",
        ],
        ["--item", "BIKE"],
        ["--lines", "x.csv"],
    ):
        assert _run("promise", tiny_path, *bad).exit_code == 2, bad


def test_promise_batch_lines_in_file_order(tiny_path: Path, tmp_path: Path) -> None:
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "order,line,item,quantity,requested_date,ship_to,max_days_late\n"
        "N-1,1,FRAME,15,2026-11-30,EAST,\n"
        "N-2,1,FRAME,15,2026-11-30,EAST,\n"
        "N-3,1,FRAME,5,2026-11-30,EAST,0\n",
        encoding="utf-8",
    )
    result = _run("promise", tiny_path, "--lines", lines, "--out", tmp_path / "out", "--no-ctp")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out" / "promises.csv", dtype={"line": str})
    assert list(out.columns) == [
        "order", "line", "item", "quantity", "location", "ship_date", "delivery_date",
        "requested_date", "days_late", "status", "binding", "source",
    ]  # fmt: skip
    # FRAME at P1: ATP 23 (10 on hand + MO-2 15 − SO-5/2 2). N-1 takes 15, N-2 the other 8
    # (7 short), N-3 gets nothing: every line sees the reservations of the lines before it.
    assert out.groupby("order")["quantity"].sum().to_dict() == {"N-1": 15, "N-2": 15, "N-3": 5}
    shipped = out.loc[out["status"] != "short"].groupby("order")["quantity"].sum()
    assert shipped.to_dict() == {"N-1": 15, "N-2": 8}
    assert out.loc[out["order"] == "N-3", "status"].tolist() == ["short"]


def test_promise_batch_bad_file_exits_2(tiny_path: Path, tmp_path: Path) -> None:
    lines = tmp_path / "lines.csv"
    lines.write_text("order,line,item,quantity\nN-1,1,FRAME,abc\n", encoding="utf-8")
    assert _run("promise", tiny_path, "--lines", lines, "--out", tmp_path / "o").exit_code == 2
    lines.write_text(
        "order,line,item,quantity,requested_date,ship_to\nN-1,1,NOPE,1,2026-11-30,EAST\n",
        encoding="utf-8",
    )
    result = _run("promise", tiny_path, "--lines", lines, "--out", tmp_path / "o")
    assert result.exit_code == 2


def test_promise_batch_reports_every_problem_with_file_row_column(
    tiny_path: Path, tmp_path: Path
) -> None:
    lines = tmp_path / "new_lines.csv"
    lines.write_text(
        "order,line,item,quantity,requested_date,ship_to\n"
        "N-1,1,BIKE,2.5,2026-11-30,EAST\n"  # fractional quantity of an integral item
        "N-1,1,BIKE,1,2026-11-30,EAST\n"  # the same key again
        "SO-1,1,BIKE,1,2026-11-30,EAST\n"  # an open line of the dataset
        "N-2,1,NOPE,1,2026-13-01,MARS\n"  # unknown item and region, no such month
        "N-3,1,BIKE,abc,2026-11-30,EAST\n",  # unreadable quantity: reported once
        encoding="utf-8",
    )
    result = _run("promise", tiny_path, "--lines", lines, "--out", tmp_path / "o")
    assert result.exit_code == 2
    err = " ".join(result.stderr.split())
    for where in (
        "new_lines.csv row 1 [quantity]",
        "new_lines.csv row 2 [line]",
        "new_lines.csv row 3 [line]",
        "new_lines.csv row 4 [item]",
        "new_lines.csv row 4 [requested_date]",
        "new_lines.csv row 4 [ship_to]",
        "new_lines.csv row 5 [quantity]",
    ):
        assert where in err, where
    assert err.count("row 5 [quantity]") == 1
    assert not (tmp_path / "o").exists()


def test_promise_single_line_gets_the_loader_checks(tiny_path: Path) -> None:
    base = ["promise", tiny_path, "--ship-to", "EAST", "--item", "BIKE"]
    for quantity, date, message in (
        ("2.5", "2026-12-01", "not a whole number"),
        ("1e300", "2026-12-01", "larger than 1e+15"),
        ("1", "9999-12-31", "outside 1900-01-01 .. 2199-12-31"),
        ("1", "2026-12-20xyz", "'2026-12-20xyz' is not a date"),
        ("1", "2026-11-31", "'2026-11-31' is not a date"),
    ):
        result = _run(*base, "--quantity", quantity, "--requested-date", date)
        assert result.exit_code == 2, (quantity, date)
        assert message in " ".join(result.stderr.split()), result.stderr
