"""The planner notebooks in ``notebooks/``: each runs top to bottom, and each is committed clean.

Every notebook is executed with nbclient on a ``python3`` kernel that is pinned to the
interpreter running the tests (a kernel spec written to a temporary ``JUPYTER_PATH``), so a
``python3`` kernel installed elsewhere on the machine can never run them with another
environment. The working directory is the notebook's own folder, as in Jupyter: the
notebooks find ``data/sample`` by walking up from there.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def test_notebooks_exist() -> None:
    # Guards the parametrized tests below against passing on an empty folder.
    assert len(NOTEBOOKS) >= 3, f"expected the planner notebooks in {NOTEBOOK_DIR}"
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert path.name in readme, f"notebooks/README.md does not list {path.name}"


@pytest.fixture
def pinned_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``python3`` kernel spec running this interpreter, found first through JUPYTER_PATH."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (oms_plan tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    # Charts render with the inline backend, whatever the calling shell asks for.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    resolved = KernelSpecManager().get_kernel_spec("python3")
    assert resolved.argv[0] == sys.executable, resolved.resource_dir
    return "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path: Path, pinned_kernel: str) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=pinned_kernel,
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    elapsed = time.perf_counter() - started
    print(f"{path.name}: executed in {elapsed:.1f} s")

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    kinds = [out.get("data", {}) for out in outputs if "data" in out]
    # A planner notebook answers with tables and charts: at least one of each must render.
    assert any("text/html" in data for data in kinds), f"{path.name} shows no table"
    assert any("image/png" in data for data in kinds), f"{path.name} draws no chart"
    errors = [out for out in outputs if out.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_is_stripped(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name} cell {index} is committed with outputs"
        assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
