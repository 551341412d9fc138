"""The walkthrough notebook runs top to bottom and finds the demo's planted hot spot."""

import ast
import re
from pathlib import Path

import nbclient
import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_walkthrough_notebook_executes(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    planted = re.search(r"planted: (\[.*?\]) \| hot at 95%\+: (\[.*?\])", text)
    assert planted, text
    truth, found = (ast.literal_eval(group) for group in planted.groups())
    assert len(truth) == 3 and set(truth) <= set(found) and len(found) <= 5
    assert "wards.csv" in str(outputs[-1]) and "summary.json" in str(outputs[-1])
