"""The output-size formula OH = (H + 2*pad - FH) / stride + 1 and its error messages."""

import re
import subprocess
import sys
import time

import numpy as np
import pytest

from cnnlib import conv_output_size
from cnnlib.sizes import check_window_args, pair, size_report, suggest
from tests.helpers import bounded


# --- the book's examples ------------------------------------------------------------

def test_book_example_padding_keeps_size():
    # (4, 4) input, 3x3 filter, pad 1, stride 1 -> (4, 4): "same" padding
    assert conv_output_size(4, 3, stride=1, pad=1) == 4


def test_book_example_stride_two():
    # (7, 7) input, 3x3 filter, stride 2 -> (3, 3)
    assert conv_output_size(7, 3, stride=2, pad=0) == 3


def test_book_example_rectangular_input():
    # (28, 31) input, 5x5 filter, pad 2, stride 3 -> (10, 11)
    assert conv_output_size(28, 5, stride=3, pad=2) == 10
    assert conv_output_size(31, 5, stride=3, pad=2) == 11


def test_defaults_are_stride_one_no_pad():
    assert conv_output_size(5, 3) == 3


def test_returns_python_int_for_numpy_integers():
    out = conv_output_size(np.int64(7), np.int32(3), stride=np.int64(2))
    assert out == 3 and type(out) is int


# --- sizes that do not divide --------------------------------------------------------

def test_strict_error_names_numbers_and_suggests_fixes():
    # (7 + 0 - 3) = 4 is not divisible by stride 3
    with pytest.raises(ValueError, match="not divisible by stride = 3") as info:
        conv_output_size(7, 3, stride=3)
    msg = str(info.value)
    assert "(7 + 2*0 - 3) = 4" in msg
    assert "pad=1" in msg                       # 7 + 2 - 3 = 6 divides by 3
    assert "stride=2" in msg and "stride=4" in msg  # the divisors of 4 nearest to 3
    assert "strict=False" in msg and "output 2" in msg


def test_strict_error_suggestions_really_divide():
    with pytest.raises(ValueError) as info:
        conv_output_size(28, 4, stride=3, pad=1)  # 28 + 2 - 4 = 26 is not a multiple of 3
    msg = str(info.value)
    pads = [int(p) for p in re.findall(r"pad=(\d+)", msg) if int(p) != 1]
    strides = [int(s) for s in re.findall(r"stride=(\d+)", msg) if int(s) != 3]
    assert pads == [0, 3] and strides == [2, 1]   # the divisors of 26 nearest to 3
    for p in pads:
        conv_output_size(28, 4, stride=3, pad=p)   # must not raise
    for s in strides:
        conv_output_size(28, 4, stride=s, pad=1)


def test_strict_error_when_no_pad_can_help():
    # 28 + 2p - 5 is odd for every p: only another stride helps
    with pytest.raises(ValueError, match=r"= 25 is not divisible by stride = 2.*pad=\(none\).*stride=1 or stride=5 with"):
        conv_output_size(28, 5, stride=2, pad=1)


@pytest.mark.parametrize("size, f, s, p, expected", [
    (7, 3, 3, 0, 2),     # 4 / 3 = 1.33 -> 1, + 1
    (28, 5, 2, 1, 13),   # 25 / 2 = 12.5 -> 12, + 1
    (10, 3, 4, 0, 2),    # 7 / 4 -> 1, + 1
])
def test_not_strict_floors_like_pytorch(size, f, s, p, expected):
    assert conv_output_size(size, f, stride=s, pad=p, strict=False) == expected


def test_not_strict_equals_strict_when_sizes_divide():
    assert conv_output_size(28, 5, 3, 2, strict=False) == conv_output_size(28, 5, 3, 2) == 10


# --- invalid numbers ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(stride=0), ValueError, r"stride must be >= 1, got stride = 0"),
    (dict(stride=-2), ValueError, r"stride must be >= 1"),
    (dict(pad=-1), ValueError, r"pad must be >= 0, got pad = -1"),
    (dict(stride=1.0), TypeError, r"stride must be an integer"),
    (dict(pad=0.5), TypeError, r"pad must be an integer"),
    (dict(stride=True), TypeError, r"stride must be an integer"),
])
def test_invalid_stride_or_pad(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        conv_output_size(7, 3, **kwargs)


def test_filter_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"filter size 7 is larger than the padded input \(4 \+ 2\*1 = 6\)") as info:
        conv_output_size(4, 7, pad=1)
    assert "pad >= 2" in str(info.value)  # 4 + 2*2 = 8 >= 7


def test_zero_input_or_filter_size():
    with pytest.raises(ValueError, match="input size must be >= 1"):
        conv_output_size(0, 3)
    with pytest.raises(ValueError, match="filter size must be >= 1"):
        conv_output_size(5, 0)


def test_check_window_args_names_the_dimension():
    assert check_window_args(5, 3, 1, 0) == (5, 3, 1, 0)
    with pytest.raises(ValueError, match="height size must be >= 1"):
        check_window_args(0, 3, 1, 0, dim="height")


# --- suggest: one logic for the errors, the size report and the explorer -----------------

def test_suggested_pads():
    assert suggest((7,), (3,), 2, 0, k=9).pads == (1, 2)          # 4 + 2p is always even: within one stride
    assert suggest((8,), (3,), 2, 0).pads == ()                   # 5 + 2p is always odd
    assert suggest((6,), (3,), 3, 3, k=9).pads == (0, 6)          # 3 + 2p divides by 3: p = 0, 3, 6
    assert suggest((2,), (5,), 1, 0, k=9).pads == (2, 3)          # pad 0 and 1 are too small for the filter
    assert suggest((7, 8), (3, 3), 2, 0).pads == ()               # H works with any pad, W with none


def test_suggested_strides_are_the_nearest_divisors():
    assert suggest((7,), (3,), 3, 0, k=9).strides == (2, 4, 1)    # the divisors of 4
    assert suggest((28,), (5,), 2, 2, k=9).strides == (1, 3, 9, 27)  # the divisors of 27
    assert suggest((28, 28), (5, 5), 2, 0).skips == (23,)         # 23 > 5: rows 5-22 are never seen


def test_suggest_is_arithmetic_for_any_numbers():
    # the suggestions of a huge stride or pad answer at once (no loop over every stride)
    sug = suggest((28,), (5,), 10**9, 10**9 + 1)
    assert all((28 + 2 * p - 5) % 10**9 == 0 for p in sug.pads)
    assert sug.strides and all((28 + 2 * (10**9 + 1) - 5) % s == 0 for s in sug.strides)
    with pytest.raises(ValueError, match="not divisible by stride = 1000000000"):
        conv_output_size(28, 5, stride=10**9)


@pytest.mark.parametrize("seed", range(3))
def test_suggestions_really_divide_sweep(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n, f, s, p = (int(v) for v in (rng.integers(1, 40), rng.integers(1, 9), rng.integers(1, 9), rng.integers(0, 5)))
        if f > n + 2 * p:
            continue
        sug = suggest((n,), (f,), s, p, k=5)
        assert all((n + 2 * q - f) % s == 0 and n + 2 * q >= f for q in sug.pads)
        assert all((n + 2 * p - f) % t == 0 for t in sug.strides)
        assert all((n + 2 * p - g) % s == 0 and 1 <= g <= n + 2 * p for g in sug.filters[0])
        brute = [q for q in range(max(0, p - s), p + s + 1) if q != p and n + 2 * q >= f and (n + 2 * q - f) % s == 0]
        assert set(sug.pads) <= set(brute) and len(sug.pads) == min(5, len(brute))


def test_suggestions_agree_with_conv_output_size():
    rng = np.random.default_rng(0)
    for _ in range(50):
        size, f = int(rng.integers(1, 20)), int(rng.integers(1, 6))
        s, p = int(rng.integers(1, 5)), int(rng.integers(0, 3))
        if f > size + 2 * p:
            continue
        sug = suggest((size,), (f,), s, p, k=9)
        for q in sug.pads:
            conv_output_size(size, f, stride=s, pad=q)  # must not raise
        for t in sug.strides:
            conv_output_size(size, f, stride=t, pad=p)


# --- size_report ----------------------------------------------------------------------

def test_size_report_dividing():
    r = size_report(4, 3, stride=1, pad=1)
    assert r.divides and r.span == 3 and r.output_size == 4
    assert r.unseen == () and r.suggested_pads == () and r.suggested_strides == ()
    assert r.formula == "(4 + 2×1 − 3) / 1 + 1 = 3/1 + 1 = 4"
    assert r.last_start == 3


def test_size_report_not_dividing_lists_unseen_rows():
    r = size_report(7, 3, stride=3)
    assert not r.divides and r.span == 4 and r.output_size == 2
    assert r.unseen == (6,)                  # windows cover rows 0..5 only
    assert r.suggested_pads == (1,)
    assert r.suggested_strides == (2, 4)
    assert r.formula == "(7 + 2×0 − 3) / 3 + 1 = 4/3 + 1 = 2.33"
    assert r.last_start == 3


def test_size_report_several_unseen_rows():
    r = size_report(10, 3, stride=4)         # windows at 0 (rows 0-2) and 4 (rows 4-6)
    assert r.output_size == 2 and r.unseen == (3, 7, 8, 9)   # the gap between them, and the end


def test_size_report_missing_only_padding_has_no_unseen_rows():
    # padded length 10, windows cover padded indices 0..8; index 9 is padding
    r = size_report(8, 3, stride=2, pad=1)
    assert not r.divides and r.unseen == ()


def test_size_report_output_matches_not_strict():
    rng = np.random.default_rng(1)
    for _ in range(50):
        size, f = int(rng.integers(3, 20)), int(rng.integers(1, 4))
        s, p = int(rng.integers(1, 5)), int(rng.integers(0, 3))
        r = size_report(size, f, s, p)
        assert r.output_size == conv_output_size(size, f, s, p, strict=False)
        assert r.divides == ((size + 2 * p - f) % s == 0)
        if r.divides and s <= f:             # no gaps between windows, none after the last
            assert r.unseen == ()


def test_size_report_still_rejects_invalid_numbers():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        size_report(7, 3, stride=0)
    with pytest.raises(ValueError, match="pad must be >= 0"):
        size_report(7, 3, pad=-1)


# --- dilation, pairs, and every unseen row --------------------------------------------

def test_dilation_uses_the_effective_filter_size():
    assert conv_output_size(7, 3, dilation=2) == 3                 # taps span 2*(3-1)+1 = 5
    assert conv_output_size(8, 3, pad=2, dilation=2) == 8          # "same" padding for a dilated 3x3
    with pytest.raises(ValueError, match=r"eff = dilation\*\(filter_size-1\)\+1 = 2\*\(3-1\)\+1"):
        conv_output_size(8, 3, stride=2, dilation=2)
    with pytest.raises(ValueError, match=r"effective filter size dilation\*\(F-1\)\+1 = 3\*\(3-1\)\+1 = 7"):
        conv_output_size(5, 3, dilation=3)
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        conv_output_size(5, 3, dilation=0)


def test_pair():
    assert pair(2, "stride") == (2, 2) and pair((3, 4), "stride") == (3, 4) and pair([0, 1], "pad") == (0, 1)
    with pytest.raises(ValueError, match=r"stride must be an int or an \(h, w\) pair"):
        pair((1, 2, 3), "stride")
    with pytest.raises(ValueError, match=r"stride\[1\] must be >= 1"):
        pair((1, 0), "stride", 1)
    with pytest.raises(TypeError, match="pad must be an integer"):
        pair(1.5, "pad")


def _unseen_brute(n, f, s, p, d):
    length, eff = n + 2 * p, d * (f - 1) + 1
    seen = np.zeros(length, bool)
    for o in range((length - eff) // s + 1):
        seen[o * s + d * np.arange(f)] = True
    return tuple(int(i) - p for i in np.flatnonzero(~seen) if p <= i < p + n)


def fitting_cases(seed, count, filter_high, stride_high, pad_high, dilation_high):
    """Random (input, filter, stride, pad, dilation) of one dimension whose dilated filter fits."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, f, s, p, d = (int(v) for v in (rng.integers(1, 40), rng.integers(1, filter_high),
                                          rng.integers(1, stride_high), rng.integers(0, pad_high),
                                          rng.integers(1, dilation_high)))
        if d * (f - 1) + 1 <= n + 2 * p:
            yield n, f, s, p, d


def test_size_report_lists_the_gaps_between_windows():
    r = size_report(28, 5, stride=23)        # windows at rows 0-4 and 23-27
    assert r.output_size == 2 and r.divides and r.unseen == tuple(range(5, 23))
    assert [(x.start, x.stop) for x in r.unseen.ranges()] == [(5, 23)] and str(r.unseen) == "5–22"
    r = size_report(9, 2, stride=2, dilation=2)   # taps 2 apart, windows 2 apart: odd rows never read
    assert r.unseen == (1, 3, 5, 7) and r.formula == "(9 + 2×0 − 3) / 2 + 1 = 6/2 + 1 = 4"
    assert str(r.unseen) == "1, 3, 5, 7"   # four runs: all listed, no "..." hiding one
    many = size_report(100, 3, stride=5).unseen   # rows 3-4 of every 5: 20 runs
    assert str(many) == "3–4, 8–9, 13–14, ... (20 runs, 40 in all)" and len(many) == 40


@pytest.mark.parametrize("seed", range(3))
def test_unseen_rows_sweep_against_brute_force(seed):
    for n, f, s, p, d in fitting_cases(seed, 300, filter_high=7, stride_high=12, pad_high=5, dilation_high=5):
        r = size_report(n, f, s, p, d)
        expected = _unseen_brute(n, f, s, p, d)
        assert tuple(r.unseen) == expected and len(r.unseen) == len(expected), (n, f, s, p, d)
        assert all(i in r.unseen for i in expected) and -1 not in r.unseen and n not in r.unseen


def test_unseen_rows_are_stored_compactly_for_any_numbers():
    # a subprocess with a time bound: listing 10**11 runs would never finish
    code = ("from cnnlib.sizes import size_report\n"
            "r = size_report(10**12, 3, stride=7, dilation=2)\n"
            "print(len(r.unseen), r.unseen.run_count, len(r.unseen.blocks), 5 in r.unseen, 4 in r.unseen)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    count, runs, blocks, five, four = out.stdout.split()
    # taps at 0, 2, 4 of each window 7 apart: residues 1, 3, 5, 6 of every 7 rows are never read
    assert 0 < int(blocks) < 50 and five == "True" and four == "False"
    assert abs(int(count) - 4 * 10**12 / 7) < 10 and int(runs) > 10**11


@pytest.mark.parametrize("seed", range(2))
def test_suggestions_with_dilation_and_pairs_really_divide(seed):
    for n, f, s, p, d in fitting_cases(seed, 200, filter_high=6, stride_high=7, pad_high=4, dilation_high=4):
        sug = suggest((n, n + 3), (f, f), (s, s + 1), (p, p + 1), k=5, dilation=(d, 1))
        assert sug.pads == () and sug.strides == ()              # stride and pad differ: per dimension only
        for (size, filt, stride, pad, dil), pads, strides, filters in zip(
                ((n, f, s, p, d), (n + 3, f, s + 1, p + 1, 1)), sug.pads_each, sug.strides_each, sug.filters):
            eff = dil * (filt - 1) + 1
            assert all((size + 2 * q - eff) % stride == 0 and size + 2 * q >= eff for q in pads)
            assert all((size + 2 * pad - eff) % t == 0 for t in strides)
            assert all((size + 2 * pad - dil * (g - 1) - 1) % stride == 0 for g in filters)
            brute = [g for g in range(1, size + 2 * pad + 1) if g != filt and dil * (g - 1) + 1 <= size + 2 * pad
                     and (size + 2 * pad - dil * (g - 1) - 1) % stride == 0]
            assert len(filters) == min(5, len(brute))


# --- huge numbers answer at once ------------------------------------------------------------

def answers_quickly(call, limit=1.0):
    """``(call(), seconds)``; fail if it takes more than ``limit`` s (a generous bound that only
    catches a hang: these answer in milliseconds)."""
    start = time.perf_counter()
    outcome = bounded(call, limit, "the suggestion search")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"], time.perf_counter() - start


@pytest.mark.parametrize("call", [
    lambda: size_report(10**18, 1),
    lambda: size_report(10**18 + 1, 2, stride=2),
    lambda: size_report(2**61 - 1, 1, stride=3),          # a prime span: only 1 and itself divide it
    lambda: size_report(10**40, 3, stride=7, pad=10**30),
    lambda: suggest((10**18, 10**18 + 2), (1, 1), 3, 0),
    lambda: suggest((1,), (10**18,), 1, 0),                   # the filter is far too large: pads from 5*10**17
    lambda: suggest((1,), (10**18,), 3, 0, dilation=10**6),
], ids=["report-1e18", "report-1e18+1", "prime", "1e40", "joint", "huge-filter", "huge-dilation"])
def test_huge_sizes_answer_at_once(call):
    answers_quickly(call)


def test_huge_sizes_still_suggest_dividing_settings():
    with pytest.raises(ValueError, match=r"not divisible by stride = 2") as info:
        answers_quickly(lambda: conv_output_size(10**18 + 1, 2, stride=2))
    msg = str(info.value)
    assert "pad=(none)" in msg and "stride=1 or stride=3 (skips pixels) with pad=0" in msg  # 10**18 - 1 is odd: no pad helps
    r, _ = answers_quickly(lambda: size_report(10**18, 2, stride=3))
    assert not r.divides and r.suggested_pads == (2,) and r.suggested_strides == (2, 1)   # 10**18 - 2 + 2*2 = 3 * ...
    assert all((10**18 - 2) % s == 0 for s in r.suggested_strides)
    sug, _ = answers_quickly(lambda: suggest((1,), (10**18,), 1, 0))
    assert sug.pads == (5 * 10**17, 5 * 10**17 + 1)          # the smallest pads with which the filter fits


def test_suggest_checks_its_numbers_and_needs_every_filter_to_fit():
    with pytest.raises(ValueError, match=r"stride must be >= 1, got stride = 0"):
        suggest((7,), (3,), 0, 0)
    with pytest.raises(ValueError, match=r"input size must be >= 1, got input size = -7"):
        suggest((-7,), (3,), 2, 0)
    with pytest.raises(ValueError, match=r"dilation must be >= 1, got dilation = 0"):
        suggest((7, 7), (3, 3), 2, 0, dilation=(1, 0))
    # the filter does not fit the height (1 < 5): no stride alone makes both dimensions work
    assert suggest((1, 10), (5, 5), 2, 0).strides == ()
