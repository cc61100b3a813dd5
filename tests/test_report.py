"""cnnlib.course.report: the numbers the notebooks' prose cites, and comparisons over seeds."""
import pytest

from cnnlib.course.report import apart, compare, fastest, show, spread


def test_spread_is_the_mean_and_the_standard_deviation_over_seeds():
    m, s = spread([0.9, 0.92, 0.94])
    assert m == pytest.approx(0.92) and s == pytest.approx(0.02)


def test_show_writes_mean_and_spread():
    assert show([0.9, 0.92, 0.94], percent=True) == "92.0% ± 2.0%"
    assert show([1.0, 2.0, 3.0]) == "2.000 ± 1.000"
    assert show([1.0, 2.0, 3.0], digits=1) == "2.0 ± 1.0"


def test_a_difference_inside_the_spreads_is_no_conclusion():
    a, b = [0.90, 0.92, 0.94], [0.93, 0.95, 0.97]  # means 0.03 apart, spreads 0.02 + 0.02
    assert not apart(a, b)
    assert compare(a, b) == "within the spread of"


def test_a_difference_beyond_the_spreads_is_one():
    low, high = [0.80, 0.81, 0.82], [0.90, 0.91, 0.92]
    assert apart(low, high)
    assert compare(high, low) == "better than" and compare(low, high) == "worse than"
    # for a loss, lower is better
    assert compare(low, high, lower_is_better=True) == "better than"


def test_one_seed_has_no_spread():
    with pytest.raises(ValueError, match=r"values: a spread needs at least 2 results \(seeds or resamples\), got 1"):
        spread([0.9])


def test_fastest_keeps_the_smallest_time_and_calls_fn_repeat_times():
    calls = []
    assert fastest(lambda: calls.append(1), repeat=4) >= 0.0
    assert len(calls) == 4
    with pytest.raises(ValueError, match="repeat.*got 0"):
        fastest(lambda: None, repeat=0)
