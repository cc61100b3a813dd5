"""Every dependency earns its place.

Each package in ``requirements.txt`` (the course) and ``requirements-test.txt`` (the tests)
is either imported by the repository's code or is a tool that one of its commands runs
(listed below, each with the reason and the file that runs it); every library the code
imports is installed by one of the two files; pins are exact and ``pyproject.toml``'s ranges
loose; the README says what each package is for.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE, TEST = "requirements.txt", "requirements-test.txt"
# the code that imports things; notebooks' code is read from their paired .py files
CODE_DIRS = ("cnnlib", "tests", "benchmarks", "notebooks")

# distribution name -> the name it is imported as, where the two differ
IMPORT_NAMES = {"pillow": "PIL", "scikit-learn": "sklearn", "pyyaml": "yaml", "beautifulsoup4": "bs4",
                "opencv-python": "cv2", "pytest-xdist": "xdist"}

# Tools: installed for a command, never imported. Each names why, and (file, regex) places of
# which at least one must still run it: a tool that no command uses any more must go too.
TOOLS = {
    "jupyterlab": ("opens the course: the README's first command",
                   [("README.md", r"\.venv/bin/jupyter lab ")]),
    "ipykernel": ("the Python kernel that the notebooks name; JupyterLab, Voilà and nbval start it",
                  [("notebooks/01_padding_and_stride.ipynb", r'"kernelspec": \{[^}]*"name": "python3"')]),
    "nbclient": ("`jupyter execute --inplace` refreshes a notebook's stored outputs (README)",
                 [("README.md", r"\.venv/bin/jupyter execute ")]),
    "nbval": ("the pytest plugin that runs every notebook (--nbval-lax in pytest's addopts)",
              [("pyproject.toml", r"addopts = .*--nbval")]),
    "voila": ("opens the explorers as apps without code (README)",
              [("README.md", r"\.venv/bin/voila ")]),
    # a pytest plugin: earns its place only while pytest is told to use it
    "pytest-xdist": ("parallel test workers (pytest -n)",
                     [("pyproject.toml", r"addopts = .*(\s|\")(-n|--numprocesses)[ =]"),
                      (".ci/run", r"pytest .*\s(-n|--numprocesses)[ =]")]),
}

# Imported, but not listed on purpose: installed by a listed package, or optional (the code
# skips or degrades without it).
NOT_LISTED = {
    "IPython": "installed by ipykernel; used by cnnlib/train/plots.py to display live curves",
    "torch": "optional reference in tests/test_torch_reference.py and benchmarks (pip install torch)",
    "threadpoolctl": "optional, benchmarks only: names the BLAS kernels when installed",
}


def requirements(name):
    """``{distribution: version}`` of a requirement file, without ``-e .`` and ``-r`` lines."""
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line in ("-e .", "-r requirements.txt"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([0-9][A-Za-z0-9.+!-]*)", line)
        assert match, f"{name}: {line!r} is not an exact pin 'name==version'"
        pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def imported_modules():
    """``{top-level module: first file importing it}`` over the repository's code, without the
    standard library and the repository's own modules."""
    files = [f for d in CODE_DIRS for f in sorted((ROOT / d).rglob("*.py"))]
    local = {"cnnlib", "tests", "benchmarks"} | {f.stem for f in files}
    found = {}
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, f.relative_to(ROOT).as_posix())
    return found


def import_name(distribution):
    return IMPORT_NAMES.get(distribution, distribution.replace("-", "_"))


ALL = {**requirements(COURSE), **requirements(TEST)}


@pytest.mark.parametrize("distribution", sorted(ALL))
def test_each_requirement_is_imported_or_run(distribution):
    module = import_name(distribution)
    if module in imported_modules():
        return
    assert distribution in TOOLS, (
        f"{distribution} is in a requirement file, but no code in {', '.join(CODE_DIRS)} imports "
        f"{module!r} and it is not a tool in TOOLS (tests/test_requirements.py): remove it, or "
        f"say which command runs it")
    why, places = TOOLS[distribution]
    used = [f for f, pattern in places if re.search(pattern, (ROOT / f).read_text(encoding="utf-8"))]
    assert used, (f"{distribution} is listed as a tool ({why}), but none of "
                  f"{[f for f, _ in places]} runs it any more: remove it from the requirement file")


def test_every_imported_library_is_installed():
    listed = {import_name(d) for d in ALL}
    missing = {m: f for m, f in imported_modules().items() if m not in listed and m not in NOT_LISTED}
    assert not missing, f"imported but installed by no requirement file: {missing}"


def test_the_two_sets():
    course, test = requirements(COURSE), requirements(TEST)
    assert (ROOT / TEST).read_text(encoding="utf-8").splitlines().count("-r requirements.txt") == 1
    assert "-e ." in (ROOT / COURSE).read_text(encoding="utf-8").splitlines()
    assert not set(course) & set(test), f"listed in both files: {set(course) & set(test)}"
    # the test tools stay out of the course
    assert {"pytest", "playwright"} <= set(test) and not {"pytest", "playwright"} & set(course)


def test_pyproject_ranges_are_loose_and_pinned_for_the_course():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    course = requirements(COURSE)
    declared = project["dependencies"] + [d for ds in project.get("optional-dependencies", {}).values() for d in ds]
    for dependency in declared:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)>=[0-9.]+", dependency)
        assert match, f"pyproject.toml: {dependency!r} should be a loose range 'name>=version'"
        assert match[1].lower() in course, f"pyproject.toml needs {match[1]}, but requirements.txt does not pin it"
    assert not {"mlxtend", "scikit-learn"} & {re.split("[<>=]", d)[0].lower() for d in declared}


def test_readme_says_what_each_requirement_is_for():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Dependencies"):]
    section = section[:section.find("\n## ", 1)]
    for distribution in ALL:
        assert re.search(rf"^\| {re.escape(distribution)} \| \S", section, re.M), \
            f"README.md's Dependencies section has no line '| {distribution} | what for |'"
