"""Every notebook in notebooks/ runs top to bottom without a cell error, and is stored clean."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from corpus import CORPUS, REPO_ROOT, SPLITS, require_shared

NOTEBOOKS = REPO_ROOT / "notebooks"
#: The result cards (``_repr_html_``) each notebook must show.
CARDS = {
    "race_analysis.ipynb": ("finishline race analysis",),
    "season.ipynb": ("finishline season", "finishline squad"),
}
NEEDS_SHARED = {"final_mile_risk.ipynb": SPLITS, "season.ipynb": CORPUS}


def _kernel_name() -> str:
    """The ``python3`` kernel of this interpreter, installed into its prefix if missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs or not Path(specs["python3"]).is_relative_to(sys.prefix):
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
    return "python3"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(p.name, marks=pytest.mark.real) if p.name in NEEDS_SHARED else p.name
        for p in sorted(NOTEBOOKS.glob("*.ipynb"))
    ],
)
def test_notebook_runs_and_is_stored_without_outputs(name: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    path = NOTEBOOKS / name
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs"
    if name in NEEDS_SHARED:
        require_shared(NEEDS_SHARED[name])
    client = NotebookClient(
        book,
        kernel_name=_kernel_name(),
        timeout=240,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError naming the cell on any error
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    html = " ".join(str(o.get("data", {}).get("text/html", "")) for c in code for o in c.outputs)
    for card in CARDS.get(name, ()):
        assert card in html, f"{name}: no {card!r} card shown"
