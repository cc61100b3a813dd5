"""images/: every figure is made by images/make_images.py, is current, small, and shown.

The script is re-run into a temporary folder; each committed figure must decode to the
same pixels (every frame of a GIF, and the same frame durations). A figure that is stale
(the library's shapes or the script changed) fails here: re-run
``python images/make_images.py`` and commit the result.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "images"
EXPECTED = {"conv_no_padding.gif", "conv_same_padding.gif", "conv_stride_2.gif", "conv_dilation_2.gif",
            "pool_2x2.gif", "im2col.png", "lenet5.png", "alexnet.png", "conv_arithmetic.png"}


def decoded(path):
    """(list of RGB frames, list of frame durations) of a PNG or GIF."""
    image = Image.open(path)
    frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    durations = [frame.info.get("duration") for frame in ImageSequence.Iterator(Image.open(path))]
    return frames, durations


@pytest.fixture(scope="module")
def remade(tmp_path_factory):
    out = tmp_path_factory.mktemp("images")
    subprocess.run([sys.executable, str(IMAGES / "make_images.py"), str(out)], check=True, timeout=600,
                   capture_output=True, cwd=ROOT)
    return out


def test_the_script_makes_exactly_the_committed_figures(remade):
    made = {p.name for p in remade.iterdir()}
    committed = {p.name for p in IMAGES.iterdir() if p.suffix in (".png", ".gif")}
    assert made == committed == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_figure_is_current(name, remade):
    old_frames, old_durations = decoded(IMAGES / name)
    new_frames, new_durations = decoded(remade / name)
    assert len(old_frames) == len(new_frames) and old_durations == new_durations, f"{name} is stale: re-run images/make_images.py"
    for k, (old, new) in enumerate(zip(old_frames, new_frames)):
        assert old.shape == new.shape and np.array_equal(old, new), \
            f"{name}, frame {k}, is stale: re-run python images/make_images.py and commit images/"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_figure_is_small(name):
    assert (IMAGES / name).stat().st_size <= 300 * 1024


def test_animations_have_one_frame_per_window():
    # e.g. "same" padding on 5x5: 25 windows; stride 2 with P = 1: 3 x 3; 2x2 pooling on 4x4: 4
    counts = {name: len(decoded(IMAGES / name)[0]) for name in EXPECTED if name.endswith(".gif")}
    assert counts == {"conv_no_padding.gif": 4, "conv_same_padding.gif": 25, "conv_stride_2.gif": 9,
                      "conv_dilation_2.gif": 9, "pool_2x2.gif": 4}


def test_notebooks_and_readme_show_figures_that_exist():
    shown = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("[0-9]*.py"))]:
        for name in re.findall(r"(?:\]\(|src=\")(?:\.\./)?images/([\w.]+)[\)\"]", path.read_text()):
            assert (IMAGES / name).exists(), f"{path.name} shows images/{name}, which does not exist"
            shown.setdefault(path.name[:2] if path.suffix == ".py" else "README", set()).add(name)
    assert {"README", "01", "02", "03", "04", "07"} <= set(shown), shown


def test_notebooks_show_figures_as_html_images():
    # Voila 0.5 inlines markdown images through its contents manager and fails the whole page
    # on a path outside the notebook's folder (../images/...); an <img> tag is left to the
    # browser, and renders the same in JupyterLab and on GitHub
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        assert not re.search(r"!\[[^\]]*\]\(\.\./", path.read_text()), f"{path.name}: use <img src=...> for figures"
