"""The output-size explorer: its text, its suggestions, and the widget driven by slider values."""

import base64
import itertools

import matplotlib
import pytest

matplotlib.use("Agg")

from cnnlib import conv_output_size  # noqa: E402
from cnnlib.sizes import size_report  # noqa: E402
from cnnlib.course.widgets import (SLIDER_RANGES, explain_output_size, output_size_explorer,  # noqa: E402
                                   suggestions, window_at)
from cnnlib.course.explain import describe_window  # noqa: E402

widgets = pytest.importorskip("ipywidgets")


# --- the text ----------------------------------------------------------------------------

def test_dividing_case_shows_size_and_formula():
    text = explain_output_size(28, 28, 5, 5, 0, 1)
    assert text.splitlines()[0] == "Output size: 24 × 24"
    assert "(28 + 2×0 − 5) / 1 + 1 = 23/1 + 1 = 24" in text
    assert "not divisible" not in text and "Suggestions:" not in text


@pytest.mark.parametrize("H, W, FH, FW, P, S, OH, OW", [
    (4, 4, 3, 3, 1, 1, 4, 4),      # the book's cases
    (7, 7, 3, 3, 0, 2, 3, 3),
    (28, 31, 5, 5, 2, 3, 10, 11),
])
def test_book_cases(H, W, FH, FW, P, S, OH, OW):
    assert explain_output_size(H, W, FH, FW, P, S).splitlines()[0] == f"Output size: {OH} × {OW}"


def test_non_dividing_case_explains_flooring_and_unseen_rows():
    text = explain_output_size(28, 28, 5, 5, 0, 2)
    assert text.startswith("Output size: 12 × 12 after flooring (the formula gives 12.50 × 12.50)")
    assert "23 is not divisible by S = 2" in text
    assert "Flooring (PyTorch's rule) gives OH = 12; input row 27 is never seen." in text
    assert "input column 27 is never seen" in text
    assert "Suggestions:" in text
    # 28 - 5 is odd: no pad helps with an even stride, say so and offer strides and filters
    assert "no value of P works with S = 2" in text
    assert "S = 1 with P = 0 → output 24 × 24" in text
    assert "FH = 4 or 6" in text and "FW = 4 or 6" in text


def test_non_dividing_case_suggests_a_pad_when_one_exists():
    text = explain_output_size(7, 7, 3, 3, 0, 3)
    assert "4 is not divisible by S = 3" in text
    assert "P = 1 with S = 3 → output 3 × 3" in text
    assert "S = 2 with P = 0 → output 3 × 3" in text


def test_only_one_dimension_does_not_divide():
    text = explain_output_size(28, 29, 5, 5, 0, 2)
    assert text.startswith("Output size: 12 × 13 after flooring (the formula gives 12.50 × 13)")
    assert "Height: 28 + 2×0 − 5 = 23 is not divisible" in text
    assert "Width:" not in text
    assert "FH = 4 or 6" in text and "FW =" not in text


def test_several_unseen_rows_are_shown_as_a_range():
    # 10 - 3 = 7, stride 5: windows at 0 and 5 cover rows 0-2 and 5-7; rows 3-4 and 8-9 never seen
    text = explain_output_size(10, 10, 3, 3, 0, 5)
    assert "input rows 3–4, 8–9 are never seen" in text


def test_only_padding_left_out():
    # 4 + 4 - 3 = 5, stride 2: the last padded row is lost, but it is padding
    text = explain_output_size(4, 4, 3, 3, 2, 2)
    assert "only padding is left out, every input row is still seen" in text


def test_filter_larger_than_padded_input_is_explained():
    text = explain_output_size(5, 5, 9, 3, 1, 1)
    assert text.startswith("No output: the filter does not fit")
    assert "FH = 9 is larger than the padded height H + 2P = 5 + 2×1 = 7" in text
    assert "P ≥ 2" in text


def test_invalid_numbers_are_explained_not_raised():
    assert explain_output_size(5, 5, 3, 3, 0, 0).startswith("No output: stride must be >= 1")
    assert explain_output_size(5, 5, 3, 3, -1, 1).startswith("No output:")


def test_never_raises_and_agrees_with_conv_output_size():
    for H, FH, P, S in itertools.product(range(1, 9), range(1, 7), range(0, 3), range(1, 5)):
        text = explain_output_size(H, H + 1, FH, FH, P, S)
        if FH > H + 2 * P:
            assert text.startswith("No output")
            continue
        OH = conv_output_size(H, FH, S, P, strict=False)
        OW = conv_output_size(H + 1, FH, S, P, strict=False)
        assert text.startswith(f"Output size: {OH} × {OW}")
        divides = (H + 2 * P - FH) % S == 0 and (H + 1 + 2 * P - FH) % S == 0
        assert ("Suggestions:" in text) == (not divides)


# --- suggestions -------------------------------------------------------------------------

def test_suggestions_make_both_dimensions_divide():
    for H, W, FH, FW, P, S in [(28, 28, 5, 5, 0, 2), (7, 9, 3, 3, 1, 3), (30, 28, 4, 5, 1, 4), (13, 17, 2, 3, 0, 3)]:
        sug = suggestions(H, W, FH, FW, P, S)
        for p in sug["pads"]:
            assert (H + 2 * p - FH) % S == 0 and (W + 2 * p - FW) % S == 0 and p != P
        for s in sug["strides"]:
            assert (H + 2 * P - FH) % s == 0 and (W + 2 * P - FW) % s == 0 and s != S
        for f in sug["FH"]:
            assert (H + 2 * P - f) % S == 0
        assert sug["strides"], "stride 1 always works, so there is always a stride to suggest"


def test_suggested_pads_are_the_nearest():
    # 7 + 2p - 3 divisible by 3 for p = 1, 4, 7, ...
    assert suggestions(7, 7, 3, 3, 0, 3)["pads"] == [1]
    assert suggestions(7, 7, 3, 3, 3, 3)["pads"] == [4, 1]


# --- the widget, driven like a browser would ---------------------------------------------

def png_of(explorer):
    (output,) = explorer.figure.outputs
    return base64.b64decode(output["data"]["image/png"])


def test_explorer_builds_with_labelled_sliders():
    explorer = output_size_explorer()
    assert isinstance(explorer, widgets.VBox)
    assert [s.description for s in explorer.sliders.values()] == ["H", "W", "FH", "FW", "PH", "PW", "SH", "SW", "D",
                                                                  "window"]
    expected = dict(SLIDER_RANGES, window=(0, 24 * 24 - 1))     # the window slider spans the output
    assert {name: (s.min, s.max) for name, s in explorer.sliders.items()} == expected
    assert isinstance(explorer.text, widgets.HTML) and isinstance(explorer.figure, widgets.Output)
    assert "Output size: 24 × 24" in explorer.text.value
    assert png_of(explorer).startswith(b"\x89PNG")


def test_moving_sliders_updates_text_and_figure():
    explorer = output_size_explorer()
    before = png_of(explorer)
    explorer.sliders["SH"].value = explorer.sliders["SW"].value = 2
    assert "Output size: 12 × 12 after flooring" in explorer.text.value
    assert "not divisible" in explorer.text.value and "Suggestions:" in explorer.text.value
    assert png_of(explorer) != before
    explorer.sliders["FH"].value = 4
    explorer.sliders["FW"].value = 4
    assert "Output size: 13 × 13" in explorer.text.value
    assert "not divisible" not in explorer.text.value


def test_explorer_text_is_escaped_html():
    explorer = output_size_explorer(H=7, W=7, FH=3, FW=3, P=0, S=3)
    assert explorer.text.value.startswith('<pre class="output-size-text"')
    assert "<b>Output size: 2 × 2 after flooring" in explorer.text.value
    assert "→" in explorer.text.value and "<br" not in explorer.text.value
    explorer.sliders["FH"].value = 12
    assert "<b>No output: the filter does not fit inside the padded input.</b>" in explorer.text.value
    assert "FH = 12 is larger than the padded height H + 2P = 7 + 2×0 = 7" in explorer.text.value


def test_explorer_never_raises_at_slider_extremes():
    explorer = output_size_explorer()
    for name in ["H", "W", "FH", "FW", "PH", "PW", "SH", "SW"]:
        for value in (SLIDER_RANGES[name][0], SLIDER_RANGES[name][1]):
            explorer.sliders[name].value = value
            assert explorer.text.value.startswith('<pre class="output-size-text"')
            assert png_of(explorer).startswith(b"\x89PNG")
    # H = W = 1, filter 15, pad 8, stride 8: the filter just fits (1 + 2×8 >= 15)
    explorer.sliders["H"].value = explorer.sliders["W"].value = 1
    assert "Output size: 1 × 1" in explorer.text.value
    explorer.sliders["D"].value = 4                 # spans 4×14+1 = 57 > 17
    assert "No output: the filter does not fit" in explorer.text.value and "D×(FH − 1) + 1 = 4×(15 − 1) + 1 = 57" in \
        explorer.text.value
    explorer.sliders["D"].value = 1
    explorer.sliders["PH"].value = 0
    assert "No output: the filter does not fit" in explorer.text.value and "2PH = 1 + 2×0 = 1" in explorer.text.value
    assert explorer.sliders["window"].max == 0 and png_of(explorer).startswith(b"\x89PNG")


# --- rectangular stride and padding, dilation, the window control ----------------------------

def test_separate_height_and_width_settings():
    # d2l: an 8x8 input, a 3x5 kernel, padding (0, 1), stride (3, 4)
    text = explain_output_size(8, 8, 3, 5, (0, 1), (3, 4))
    assert text.startswith("Output size: 2 × 2 after flooring (the formula gives 2.67 × 2.25)")
    assert "OH = (H + 2PH − FH) / SH + 1 = (8 + 2×0 − 3) / 3 + 1" in text
    assert "OW = (W + 2PW − FW) / SW + 1 = (8 + 2×1 − 5) / 4 + 1" in text
    assert "5 is not divisible by SH = 3" in text and "input rows 6–7 are never seen" in text
    assert "PH = 2 with SH = 3 → OH = 4" in text           # a suggestion for the height alone
    assert "SH = 5 with PH = 0 → OH = 2 (larger than the filter: it skips rows or columns)" in text
    assert "SW = 5 with PW = 1 → OW = 2\n" in text          # 5 = the filter's width: no skip
    assert explain_output_size(8, 8, 5, 3, (2, 1), 1).startswith("Output size: 8 × 8")


def test_gaps_are_explained_even_when_the_sizes_divide():
    text = explain_output_size(28, 28, 5, 5, 0, 23)
    assert text.startswith("Output size: 2 × 2\n") and "Both divide exactly" in text
    assert "Height: windows 23 apart, each spanning 5, leave gaps: input rows 5–22 are never seen." in text
    assert "Width: windows 23 apart" in text


def test_dilation_in_the_text():
    text = explain_output_size(9, 9, 3, 3, 0, 2, D=2)      # taps 2 apart, windows 2 apart
    assert text.startswith("Output size: 3 × 3\n")
    assert "[D(FH−1)+1 = 2×(3−1)+1 = 5]" in text
    assert "taps 2 apart, leave gaps: input rows 1, 3, 5, 7 are never seen" in text
    assert explain_output_size(7, 7, 3, 3, 0, 1, D=2).startswith("Output size: 3 × 3")
    assert explain_output_size(5, 5, 3, 3, 0, 1, D=0).startswith("No output: dilation must be >= 1")


def test_every_suggested_setting_divides_with_pairs_and_dilation():
    for args in [(8, 8, 3, 5, (0, 1), (3, 4), 1), (28, 30, 5, 3, (1, 2), (2, 3), 2), (13, 17, 2, 3, (0, 0), (3, 3), 3)]:
        H, W, FH, FW, (PH, PW), (SH, SW), D = args
        sug = suggestions(H, W, FH, FW, (PH, PW), (SH, SW), D=D)
        for size, f, p, s, dim in ((H, FH, PH, SH, "h"), (W, FW, PW, SW, "w")):
            eff = D * (f - 1) + 1
            assert all((size + 2 * q - eff) % s == 0 for q in sug[f"pads_{dim}"])
            assert all((size + 2 * p - eff) % t == 0 for t in sug[f"strides_{dim}"])
        assert all((H + 2 * PH - D * (g - 1) - 1) % SH == 0 for g in sug["FH"])


def test_window_at_moves_one_window_and_names_its_output_cell():
    w = window_at(8, 8, 3, 5, (0, 1), (3, 4), index=3)     # output 2 x 2: the last window
    assert (w.out_row, w.out_col, w.out_shape) == (1, 1, (2, 2))
    assert w.rows == (3, 4, 5) and w.cols == (3, 4, 5, 6, 7)
    w = window_at(7, 7, 3, 3, 1, 1, D=2, index=4)          # 5 x 5 output, the second row's first window
    assert (w.out_row, w.out_col) == (0, 4) and w.rows == (-1, 1, 3) and w.cols == (3, 5, 7)
    assert window_at(5, 5, 3, 3, 0, 1, index=99).index == 8 and window_at(5, 5, 9, 3, 0, 1) is None
    assert describe_window(window_at(8, 8, 3, 5, (0, 1), (3, 4), index=1)) == \
        "Window 1 of 4: input rows 0–2, columns 3–7 → output cell (0, 1)"
    assert describe_window(w) == "Window 4 of 25: input rows -1, 1, 3, columns 3, 5, 7 → output cell (0, 4)"
    assert describe_window(None) == ""


def test_explorer_pairs_dilation_and_window_slider():
    explorer = output_size_explorer(H=8, W=8, FH=3, FW=5, P=(0, 1), S=(3, 4))
    assert "Output size: 2 × 2 after flooring" in explorer.text.value
    assert explorer.sliders["window"].max == 3
    before = png_of(explorer)
    explorer.sliders["window"].value = 3
    assert png_of(explorer) != before and "window 3" in explorer.figure.outputs[0]["data"]["text/plain"]
    assert "Window 3 of 4: input rows 3–5, columns 3–7 → output cell (1, 1)" in explorer.text.value
    explorer.sliders["SH"].value = 1                         # 6 x 2 outputs: the window keeps its number
    assert explorer.sliders["window"].max == 11 and "Output size: 6 × 2" in explorer.text.value
    explorer.sliders["D"].value = 2
    assert "Output size: 4 × 1 after flooring" in explorer.text.value and explorer.sliders["window"].max == 3


def test_window_slider_is_clipped_when_the_output_shrinks():
    explorer = output_size_explorer()
    explorer.sliders["window"].value = 500
    explorer.sliders["SH"].value = 8                        # 24 × 24 outputs -> 3 × 24 (floored)
    assert explorer.sliders["window"].max == explorer.sliders["window"].value == 71
    assert "Window 71 of 72: input rows 16–20, columns 23–27 → output cell (2, 23)" in explorer.text.value
    assert explorer.figure.outputs[0]["data"]["text/plain"].endswith("window 71>")


# --- dilation pairs, impossible sizes, huge sizes --------------------------------------------

def test_a_dilation_pair_is_used_in_each_dimension():
    text = explain_output_size(28, 28, 5, 5, 0, 1, D=(1, 2))    # width: taps 2 apart span 9
    assert text.startswith("Output size: 24 × 20\n"), text
    assert "OW = (W + 2P − (DW(FW−1)+1)) / S + 1 = (28 + 2×0 − 9) / 1 + 1 = 19/1 + 1 = 20" in text
    assert explain_output_size(28, 28, 5, 5, 0, 2, D=(2, 1)).startswith("Output size: 10 × 12 after flooring")
    assert "Make FW ≤ 2 or DW smaller" in explain_output_size(5, 5, 3, 3, 0, 1, D=(1, 3))
    w = window_at(7, 7, 3, 3, 0, 1, D=(1, 2), index=0)
    assert w.out_shape == (5, 3) and w.rows == (0, 1, 2) and w.cols == (0, 2, 4)
    sug = suggestions(28, 28, 5, 5, 0, 2, D=(1, 2))             # 28 - 5 = 23 and 28 - 9 = 19: both odd
    assert sug["strides"] == [1] and all(19 % s == 0 and 23 % s == 0 for s in sug["strides"])
    assert explain_output_size(5, 5, 3, 3, 0, 1, D=(1, 0)).startswith("No output: dilation[1] must be >= 1")


def test_a_dilation_pair_is_refused_by_the_one_slider_explorer():
    with pytest.raises(TypeError, match=r"D must be one int here \(the explorer has one D slider\), got D = \(1, 2\)"):
        output_size_explorer(D=(1, 2))


@pytest.mark.parametrize("args, message", [
    ((0, 28, 5, 5, 0, 1), "No output: H must be >= 1, got H = 0"),
    ((28, -3, 5, 5, 0, 1), "No output: W must be >= 1, got W = -3"),
    ((28, 28, 0, 5, 0, 1), "No output: FH must be >= 1, got FH = 0"),
    ((28, 28, 5, 2.5, 0, 1), "No output: FW must be an integer, got 2.5 (float)"),
])
def test_impossible_sizes_are_named_not_fixed_by_a_smaller_filter(args, message):
    text = explain_output_size(*args)
    assert text == message and "Make" not in text
    assert window_at(*args) is None


@pytest.mark.parametrize("args, kw, error, message", [
    ((28, 28, 5, 5, 0, 0), {}, ValueError, r"S must be >= 1, got S = 0"),
    ((28, 28, 5, 5, 0, (2, 0)), {}, ValueError, r"S\[1\] must be >= 1, got S\[1\] = 0"),
    ((0, 28, 5, 5, 0, 2), {}, ValueError, r"H must be >= 1, got H = 0"),
    ((28, -28, 5, 5, 0, 2), {}, ValueError, r"W must be >= 1, got W = -28"),
    ((28, 28, -5, 5, 0, 2), {}, ValueError, r"FH must be >= 1, got FH = -5"),
    ((28, 28, 5, 5, -1, 2), {}, ValueError, r"P must be >= 0, got P = -1"),
    ((28, 28, 5, 5, 0, 2), {"D": 0}, ValueError, r"D must be >= 1, got D = 0"),
    ((28, 28, 5, 5, 0, 2), {"k": -1}, ValueError, r"k must be >= 0, got k = -1"),
    (("28", 28, 5, 5, 0, 2), {}, TypeError, r"H must be an integer, got '28' \(str\)"),
])
def test_suggestions_name_the_bad_parameter(args, kw, error, message):
    with pytest.raises(error, match=message):
        suggestions(*args, **kw)


def test_huge_sizes_are_explained_at_once_and_exactly():
    import time

    start = time.perf_counter()
    text = explain_output_size(10**18, 28, 1, 5, 0, 1)
    assert text.startswith("Output size: 1000000000000000000 × 24\n")
    text = explain_output_size(10**400, 28, 5, 5, 0, 2)              # beyond any float
    assert f"after flooring (the formula gives {(10**400 - 3) // 2}.50 × 12.50)" in text and "Suggestions:" in text
    assert explain_output_size(10**18 + 1, 28, 2, 5, 0, 2).startswith(
        "Output size: 500000000000000000 × 12 after flooring (the formula gives 500000000000000000.50 × 12.50)")
    assert time.perf_counter() - start < 2       # a hang guard only: these take milliseconds


def test_gaps_too_many_to_count_in_a_python_len_are_still_explained():
    # stride 3 > filter 2 leaves every third row unseen: about 3.3e399 rows, past sys.maxsize (len() raised)
    text = explain_output_size(10**400, 28, 2, 5, 0, 3)
    rows = [line for line in text.splitlines() if "OH = " in line and "never seen" in line]
    unseen = size_report(10**400, 2, stride=3).unseen
    assert unseen.size > 10**399 and len(rows) == 1 and f"({unseen.run_count} runs, {unseen.size} in all)" in rows[0]
