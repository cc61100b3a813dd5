"""The exercises' auto-checks: verdicts, reasons, and never raising on a student's answer."""

import numpy as np
import pytest

from cnnlib.course.exercises import Verdict, check, check_claims, check_function, matches


# --- matches -----------------------------------------------------------------------------

@pytest.mark.parametrize("got, expected", [
    (3, 3), (3.0, 3), (np.int64(3), 3), (0.1 + 0.2, 0.3),
    ((10, 16, 32, 32), (10, 16, 32, 32)), ([1, 2], (1, 2)), ((np.int64(4), 4), (4, 4)),
    (np.array([[1.0, 2.0]]), np.array([[1, 2]])), ([[1, 2]], np.array([[1, 2]])),
    ("same", "same"),
])
def test_matches_accepts_equal_answers(got, expected):
    assert matches(got, expected) == (True, "")


@pytest.mark.parametrize("got, expected, reason", [
    (None, 3, "nothing yet"),
    (4, 3, "expected 3, got 4"),
    ("3", 3, "expected a number, got str"),
    (True, 1, "expected a number, got bool"),
    ((4, 4), (4, 4, 1), "expected (4, 4, 1), got (4, 4)"),
    (np.zeros((2, 3)), np.zeros((3, 2)), "expected shape (3, 2), got shape (2, 3)"),
    (np.ones(3), np.zeros(3), "expected [0., 0., 0.], got [1., 1., 1.]"),
])
def test_matches_explains_wrong_answers(got, expected, reason):
    ok, why = matches(got, expected)
    assert not ok and reason in why


# --- check -------------------------------------------------------------------------------

def test_check_prints_correct_with_why(capsys):
    verdict = check("same padding", 2, 2, why="(5 - 1) / 2 = 2")
    assert isinstance(verdict, Verdict) and bool(verdict) is True
    assert capsys.readouterr().out == "✓ correct: same padding — (5 - 1) / 2 = 2\n"
    assert verdict.message == "✓ correct: same padding — (5 - 1) / 2 = 2"


def test_check_prints_not_yet_with_hint(capsys):
    assert bool(check("same padding", 1, 2, why="secret", hint="H + 2P - 5 + 1 = H")) is False
    out = capsys.readouterr().out
    assert out == "✗ not yet: same padding: expected 2, got 1 — hint: H + 2P - 5 + 1 = H\n"
    assert "secret" not in out


def test_check_of_stub(capsys):
    assert not check("answer", None, (1, 2))
    assert "✗ not yet: answer: nothing yet" in capsys.readouterr().out


# --- check_function ----------------------------------------------------------------------

def square(x):
    return x * x


def test_check_function_passes(capsys):
    assert check_function(square, [(2, 4), ((3,), 9), (np.arange(3), np.array([0, 1, 4]))])
    assert capsys.readouterr().out == "✓ correct: square — all 3 cases pass\n"


def test_check_function_reports_first_failing_input(capsys):
    def add(a, b):
        return a - b

    assert not check_function(add, [((2, 0), 2), ((2, 3), 5), ((1, 1), 2)], hint="plus, not minus")
    out = capsys.readouterr().out
    assert out == "✗ not yet: add: for input (2, 3) expected 5, got -1 — hint: plus, not minus\n"


def test_check_function_catches_errors_and_stubs(capsys):
    def broken(x):
        raise IndexError("index 5 is out of bounds")

    def stub(x):
        return None

    assert not check_function(broken, [(1, 1)])
    assert "for input (1) it raised IndexError: index 5 is out of bounds" in capsys.readouterr().out
    assert not check_function(stub, [(1, 1)], name="output_size")
    assert "✗ not yet: output_size: for input (1) nothing yet" in capsys.readouterr().out


def test_check_function_does_not_let_fn_change_the_cases():
    x = np.zeros(3)

    def mutate(a):
        a += 1
        return a

    check_function(mutate, [(x, np.ones(3))])
    assert (x == 0).all()


# --- check_claims ------------------------------------------------------------------------

def test_check_claims(capsys):
    claims = [("it is a 3×3 array", lambda f: np.shape(f) == (3, 3)),
              ("its entries sum to 0", lambda f: abs(np.sum(f)) < 1e-9)]
    assert check_claims("edge filter", np.array([[1, 0, -1]] * 3), claims, why="flat regions give 0")
    assert capsys.readouterr().out == "✓ correct: edge filter — flat regions give 0\n"
    assert not check_claims("edge filter", np.ones((3, 3)), claims)
    assert "this is not true yet: its entries sum to 0" in capsys.readouterr().out
    assert not check_claims("edge filter", None, claims)
    assert "nothing yet" in capsys.readouterr().out
    assert not check_claims("edge filter", "abc", [("it sums", lambda f: np.sum(f) == 0)])
    assert "raised" in capsys.readouterr().out


def test_verdict_shows_nothing_more_in_jupyter():
    # the message was printed already: IPython's display of the result must add nothing
    verdict = Verdict(False, "✗ not yet")
    assert verdict._ipython_display_() is None and not verdict
    assert repr(verdict) == "Verdict(ok=False, message='✗ not yet')"


def test_same_type_rejects_a_float_for_an_int(capsys):
    def true_division(H, FH, P, S):
        return (H + 2 * P - FH) / S + 1

    def floor_division(H, FH, P, S):
        return (H + 2 * P - FH) // S + 1

    cases = [((4, 3, 1, 1), 4), ((7, 3, 0, 2), 3)]
    assert check_function(true_division, cases)  # without same_type, 4.0 passes for 4
    capsys.readouterr()
    assert not check_function(true_division, cases, same_type=True)
    assert "expected an int, got float 4.0" in capsys.readouterr().out
    assert check_function(floor_division, cases, same_type=True)
    assert check_function(lambda *a: np.int64(floor_division(*a)), cases, same_type=True)
    assert not check("size", True, 1, same_type=True)
    assert not check("shape", (8, 20.0), (8, 20), same_type=True)
    assert check("shape", (8, 20), (8, 20), same_type=True)
    assert not check("size", 5, 4, same_type=True)  # the right type, the wrong value


# --- answers that break a naive comparison: still a verdict, never an exception ----------------

class Unrepresentable:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __eq__(self, other):
        raise RuntimeError("no ==")


@pytest.mark.parametrize("got, expected, ok, reason", [
    ((-8) ** (1 / 3), -2, False, "expected -2, got complex (1.0000000000000002+1.7320508075688772j)"),
    (complex(-2, 0), -2, True, ""),
    (1j, 1j, True, ""),
    (10**400, 5, False, "expected 5, got int with 401 digits"),
    (5, 10**400, False, "expected int with 401 digits, got 5"),
    (10**400, 10**400, True, ""),
    (10**400 + 1, 10**400, True, ""),             # within rtol, as for any number
    (10**5000, 5, False, "expected 5, got int with 5001 digits"),
    (float("inf"), 10**400, False, "expected int with 401 digits, got inf"),
    (-10**400, -10**400 + 1, True, ""),
    (float("nan"), float("nan"), False, "expected nan, got nan"),
    (float("inf"), float("inf"), True, ""),
    ({"a": np.arange(3)}, {"a": np.arange(3)}, True, ""),
    ({"a": np.arange(3)}, {"a": np.zeros(3)}, False, "expected {'a': "),
    ({"b": np.arange(3)}, {"a": np.arange(3)}, False, "expected keys ['a'], got keys ['b']"),
    ([1, 2], {"a": 1}, False, "expected a dict, got list"),
    (Unrepresentable(), 3, False, "expected a number, got Unrepresentable"),
    (Unrepresentable(), "x", False, "cannot compare"),
    ([np.arange(2), np.arange(3)], np.zeros(2), False, "expected an array"),
], ids=lambda v: type(v).__name__)  # str(10**5000) itself raises
def test_matches_never_raises(got, expected, ok, reason):
    verdict, why = matches(got, expected)
    assert verdict is ok and reason in why, why


@pytest.mark.parametrize("name, got, expected, start, part", [
    ("cube root", (-8) ** (1 / 3), -2, "✗ not yet: cube root: expected ", "complex (1.0000000000000002+1.7320508075688772j)"),
    ("n", 10**400, 5, "✗ not yet: n: expected 5, got int with 401 digits", ""),
    ("n", {"a": np.ones(2)}, {"a": np.ones(2)}, "✓ correct: n", ""),
    ("n", {"a": np.ones(2)}, {"a": np.ones(3)}, "✗ not yet: n: expected {'a': array([1., 1., 1.])}", ""),
], ids=["complex", "overflow", "dict", "dict-wrong"])
def test_check_never_raises_because_of_the_answer(capsys, name, got, expected, start, part):
    for same_type in (False, True):
        check(name, got, expected, same_type=same_type)
        out = capsys.readouterr().out
        assert out.startswith(start) and part in out, out


def test_check_function_never_raises_because_of_the_result(capsys):
    assert not check_function(lambda x: x ** 0.5, [((-4,), 2)], name="root")
    assert capsys.readouterr().out.startswith("✗ not yet: root: for input (-4) expected 2, got complex")
    assert not check_function(lambda x: 10 ** 400, [((1,), 5)], name="big", same_type=True)
    assert capsys.readouterr().out.startswith("✗ not yet: big: for input (1) expected 5, got int with 401 digits")
    assert not check_function(lambda x: Unrepresentable(), [((1,), "x")], name="odd")
    assert capsys.readouterr().out.startswith("✗ not yet: odd: for input (1) cannot compare")
