"""Auto-checks for the notebooks' exercises: right or wrong, and why.

Each check prints one line starting with "✓ correct" or "✗ not yet", and returns a
:class:`Verdict`, true when correct, so a notebook can ``assert`` that its reference
solution passes (Jupyter shows nothing more for it: the verdict was printed already).
Nothing here raises because of a student's answer: a stub that returns ``None``, a wrong
shape, an exception inside the student's function, a complex or huge number, an answer
that cannot be compared are all reported as "not yet".

- :func:`check`           one value (number, tuple, list, array) against the expected one
- :func:`check_function`  a function against a list of ``(args, expected)`` cases
- :func:`check_claims`    several named facts that must all be true
"""

import math
import numbers
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

__all__ = ["check", "check_function", "check_claims", "matches", "Verdict"]


class Verdict:
    """What a check returns: ``bool(verdict)`` is True when the answer is correct.

    Attributes:
        ok: bool.
        message: the line that was printed.
    """

    def __init__(self, ok, message):
        self.ok, self.message = bool(ok), message

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"Verdict(ok={self.ok}, message={self.message!r})"

    def _ipython_display_(self):
        pass  # already printed: a cell ending in check(...) shows no extra "True"/"False"


def _digits(n):
    """The number of decimal digits of the int ``n`` (exact, any size: no str(n), which refuses huge ints)."""
    n, d = abs(int(n)), 1
    if n:
        d = int(math.log10(n)) + 1
        d += (n >= 10**d) - (n < 10**(d - 1))
    return d


def _show(value, limit=200):
    """A short, readable repr; long arrays are summarized by shape. Never raises."""
    try:
        if isinstance(value, np.ndarray):
            text = np.array2string(value, precision=4, suppress_small=True, separator=", ", threshold=30)
            text = text if len(text) <= limit else f"array of shape {value.shape}"
        elif isinstance(value, numbers.Integral) and _digits(value) > limit:
            text = f"{'-' if value < 0 else ''}int with {_digits(value)} digits"
        else:
            text = repr(value)
    except Exception:  # noqa: BLE001 -- an answer whose repr breaks
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[:limit] + " ..."


def _is_number(value):
    return isinstance(value, (numbers.Number, np.number)) and not isinstance(value, (bool, np.bool_))


def _exact(value):
    """A real number as an exact Fraction (ints of any size included), or None for nan and inf."""
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    value = float(value)
    return Fraction(value) if math.isfinite(value) else None


def _numbers_match(got, expected, rtol, atol):
    """np.isclose's rule ``|got - expected| <= atol + rtol*|expected|``, exactly for real numbers
    (no float overflow for huge ints), with complex numbers for complex ones."""
    if not (isinstance(got, numbers.Real) and isinstance(expected, numbers.Real)):
        ok = bool(np.isclose(complex(got), complex(expected), rtol=rtol, atol=atol))
        kind = "complex " if not isinstance(got, numbers.Real) else ""
        return ok, "" if ok else f"expected {_show(expected)}, got {kind}{_show(got)}"
    g, e = _exact(got), _exact(expected)
    if g is None or e is None:  # nan or inf: equal only when both are the same infinity
        ok = g is e is None and bool(np.isclose(float(got), float(expected)))
    else:
        ok = abs(g - e) <= Fraction(float(atol)) + Fraction(float(rtol)) * abs(e)
    return ok, "" if ok else f"expected {_show(expected)}, got {_show(got)}"


def matches(got, expected, rtol=1e-6, atol=1e-8):
    """Compare an answer with the expected value; never raises.

    Numbers compare with a tolerance, arrays by shape then values, tuples and lists
    element by element (a tuple may answer a list and vice versa), dicts by keys then
    values, anything else with ``==``. An answer that cannot be compared (its ``==`` or
    ``repr`` raises) is not a match.

    Returns:
        (ok, reason): bool, and a short reason when not ok ("" when ok).
    """
    try:
        return _matches(got, expected, rtol, atol)
    except Exception as error:  # noqa: BLE001 -- an answer that breaks the comparison is a "not yet"
        return False, f"cannot compare {_show(got)} with {_show(expected)} ({type(error).__name__}: {_show(error)})"


def _matches(got, expected, rtol, atol):
    if got is None:
        return False, "nothing yet: the answer is still None (replace the stub)"
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        try:
            got_arr, exp_arr = np.asarray(got), np.asarray(expected)
        except (TypeError, ValueError):
            return False, f"expected an array, got {type(got).__name__}"
        if got_arr.shape != exp_arr.shape:
            return False, f"expected shape {exp_arr.shape}, got shape {got_arr.shape}"
        try:
            ok = np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol)
        except TypeError:
            ok = np.array_equal(got_arr, exp_arr)
        if ok:
            return True, ""
        return False, f"expected {_show(exp_arr)}, got {_show(got_arr)}"
    if _is_number(expected):
        if not _is_number(got):
            return False, f"expected a number, got {type(got).__name__} {_show(got)}"
        return _numbers_match(got, expected, rtol, atol)
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return False, f"expected a dict, got {type(got).__name__} {_show(got)}"
        if set(got) != set(expected):
            return False, f"expected keys {sorted(expected, key=str)}, got keys {sorted(got, key=str)}"
        ok = all(matches(got[key], value, rtol, atol)[0] for key, value in expected.items())
        return ok, "" if ok else f"expected {_show(expected)}, got {_show(got)}"
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return False, f"expected {_show(expected)}, got {_show(got)}"
        for g, e in zip(got, expected):
            if not matches(g, e, rtol, atol)[0]:
                return False, f"expected {_show(expected)}, got {_show(got)}"
        return True, ""
    ok = bool(got == expected)
    return ok, "" if ok else f"expected {_show(expected)}, got {_show(got)}"


def _report(name, ok, reason="", why="", hint=""):
    if ok:
        message = f"✓ correct: {name}" + (f" — {why}" if why else "")
    else:
        message = f"✗ not yet: {name}: {reason}" + (f" — hint: {hint}" if hint else "")
    print(message)
    return Verdict(ok, message)


def _type_problem(got, expected):
    """Why ``got`` is not of ``expected``'s kind ("" when it is): a whole number must be an int
    (a float such as 4.0 is not), a tuple or list must hold the right kinds item by item."""
    if got is None:
        return ""
    if isinstance(expected, (numbers.Integral, np.integer)) and not isinstance(expected, (bool, np.bool_)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (numbers.Integral, np.integer)):
            return f"expected an int, got {type(got).__name__} {_show(got)}"
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)):
        for g, e in zip(got, expected):
            problem = _type_problem(g, e)
            if problem:
                return problem
    return ""


def check(name, got, expected, why="", hint="", rtol=1e-6, atol=1e-8, same_type=False):
    """Check one answer.

    Args:
        name: what is being checked, e.g. "output size of the first layer".
        got: the student's answer.
        expected: the right answer (number, tuple, list, str or array).
        why: the explanation, printed with the verdict.
        hint: printed only when the answer is not right yet.
        rtol, atol: tolerances for numbers and arrays.
        same_type: when the exercise asks for an int, also require one (4.0 is then wrong).

    Returns:
        a :class:`Verdict`, true if correct (after printing it).
    """
    ok, reason = matches(got, expected, rtol, atol)
    problem = _type_problem(got, expected) if same_type else ""
    return _report(name, ok and not problem, problem or reason, why, hint)


def check_function(fn, cases, name=None, why="", hint="", rtol=1e-6, atol=1e-8, same_type=False):
    """Check a function on several inputs; report the first failing one.

    Args:
        fn: the student's function.
        cases: list of ``(args, expected)``; ``args`` is a tuple of positional
            arguments (a single non-tuple value is passed as the only argument).
            Arrays in ``args`` are copied, so ``fn`` may not change the cases.
        name: how to call the function in messages (default: its ``__name__``).
        why, hint, rtol, atol, same_type: as in :func:`check`.

    Returns:
        a :class:`Verdict`, true if every case is right.
    """
    name = name or getattr(fn, "__name__", "your function")
    for args, expected in cases:
        args = args if isinstance(args, tuple) else (args,)
        shown = ", ".join(_show(a, limit=80) for a in args)
        try:
            got = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        except Exception as error:  # noqa: BLE001 -- any error of the student's code is a "not yet"
            return _report(name, False, f"for input ({shown}) it raised {type(error).__name__}: {error}", hint=hint)
        ok, reason = matches(got, expected, rtol, atol)
        problem = _type_problem(got, expected) if same_type else ""
        ok, reason = ok and not problem, problem or reason
        if not ok:
            return _report(name, False, f"for input ({shown}) {reason}", hint=hint)
    return _report(name, True, why=why or f"all {len(cases)} cases pass")


def check_claims(name, answer, claims, why="", hint=""):
    """Check several facts about an answer, e.g. about a filter the student designed.

    Args:
        name: what is being checked.
        answer: the student's answer (``None`` means "not answered yet").
        claims: list of ``(description, predicate)``; ``predicate(answer)`` must return
            True. The first claim that is false (or raises) is reported.
        why, hint: as in :func:`check`.

    Returns:
        a :class:`Verdict`, true if all claims hold.
    """
    if answer is None:
        return _report(name, False, "nothing yet: the answer is still None (replace the stub)", hint=hint)
    for description, predicate in claims:
        try:
            holds = bool(predicate(answer))
        except Exception as error:  # noqa: BLE001 -- a wrong answer may break a predicate
            return _report(name, False, f"checking that {description} raised {type(error).__name__}: {error}",
                           hint=hint)
        if not holds:
            return _report(name, False, f"this is not true yet: {description}", hint=hint)
    return _report(name, True, why=why)
