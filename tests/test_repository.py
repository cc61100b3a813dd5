"""Promises of the repository itself: the README's test command is what CI runs (and
installs the test set), and every notebook is paired with a .py file that says the same thing."""

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # the lessons, and the explorer app


def readme_command(label):
    """The shell command in the README's code block that follows the line containing ``label``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(re.escape(label) + r".*?```(?:bash|sh)?\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no code block after {label!r}"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_command("Run the tests")
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()]
    assert command in ci_lines, f".ci/run does not contain the README's test command:\n{command}"


def test_readme_course_command_opens_jupyterlab():
    command = readme_command("Open the course")
    assert "pip install -r requirements.txt" in command and "jupyter lab" in command


def test_readme_test_command_installs_the_test_set():
    # the course set has no test runner of its own; the test set includes the course set
    command = readme_command("Run the tests")
    assert "pip install -r requirements-test.txt" in command and "pytest" in command
    assert "-r requirements.txt" in (ROOT / "requirements-test.txt").read_text(encoding="utf-8").splitlines()


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks in notebooks/"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_paired_and_in_sync(ipynb):
    # jupytext's own --test passes on out-of-sync pairs: compare the cells ourselves
    py = ipynb.with_suffix(".py")
    assert py.exists(), f"{ipynb.name} has no paired {py.name}; run: jupytext --sync {ipynb}"
    a, b = jupytext.read(ipynb), jupytext.read(py)

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]

    assert cells(a) == cells(b), f"{ipynb.name} and {py.name} differ; run: jupytext --sync {ipynb}"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_are_fresh(ipynb):
    # stored outputs come from one top-to-bottom run with no errors
    nb = jupytext.read(ipynb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, f"{ipynb.name} has unexecuted cells: re-execute it (see README)"
    assert counts == list(range(1, len(counts) + 1)), f"{ipynb.name} was not run top to bottom once"
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error" or "raises-exception" in c.metadata.get("tags", []), \
                f"{ipynb.name} stores an error output: {out.get('ename')}"


# --- the layers of the house -------------------------------------------------------------

CORE = [p for p in (ROOT / "cnnlib").glob("*.py")] + list((ROOT / "cnnlib" / "layers").glob("*.py"))
OUTER = ("data", "train", "course")


def test_the_network_core_imports_no_outer_ring():
    # sizes, im2col, layers, optim, network, models... never import data, training or the course
    import ast

    for path in CORE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level and path.name != "__init__.py":
                parts = (node.module or "").split(".")
                assert parts[0] not in OUTER, f"{path.relative_to(ROOT)} imports {'.' * node.level}{node.module}"


def test_import_cnnlib_loads_nothing_heavy():
    heavy = ["pooch", "tqdm", "matplotlib", "ipywidgets", "PIL", "sklearn", "mlxtend", "requests"]
    code = f"import sys, cnnlib; print([m for m in {heavy!r} if m in sys.modules])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stdout + run.stderr


def test_the_package_stays_small():
    modules = sorted(p.name for p in (ROOT / "cnnlib").glob("*.py"))
    assert len(modules) <= 12, modules
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "cnnlib").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert not long, long


def test_fast_layers_say_what_they_compute_and_which_reference_they_equal():
    import inspect

    from cnnlib.layers import Convolution, Pooling

    for layer, reference in ((Convolution, "BookConvolution"), (Pooling, "BookPooling")):
        doc = inspect.getdoc(layer)
        assert len(doc.splitlines()) <= 25, f"{layer.__name__}'s docstring has {len(doc.splitlines())} lines"
        assert f"cnnlib.reference.{reference}" in "\n".join(doc.splitlines()[:6]), layer.__name__
