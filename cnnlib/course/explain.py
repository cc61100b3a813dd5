"""The output-size explorer's logic, in plain functions the tests call without a browser.

- :func:`explain_output_size` -> the text the explorer shows (never raises);
- :func:`suggestions` -> nearest pads, strides and filter sizes that make the sizes divide;
- :func:`window_at` -> where window number ``index`` lies and which output cell it makes.

Pad P, stride S and dilation D are an int (the same for height and width) or an ``(h, w)``
pair; D spaces the filter's taps D pixels apart, spanning ``D*(F-1)+1``. H, W, FH, FW are
ints >= 1. Along each dimension (see :mod:`cnnlib.sizes`)::

    OH = (H + 2PH − (D(FH−1)+1)) / SH + 1        OW = (W + 2PW − (D(FW−1)+1)) / SW + 1
"""

from dataclasses import dataclass

from ..sizes import _check_int, conv_output_size, effective_filter_size, pair, ratio_text, size_report, skips_pixels, suggest

__all__ = ["explain_output_size", "suggestions", "window_at", "WindowPosition", "describe_window"]


def _number(num, den):
    """num/den as 12 for a whole number, 12.50 otherwise (exact, for any size)."""
    return f"{num // den}" if num % den == 0 else ratio_text(num, den)


def _check_sizes(H, W, FH, FW):
    """H, W, FH, FW must be ints >= 1 (before any formula uses them)."""
    for name, value in (("H", H), ("W", W), ("FH", FH), ("FW", FW)):
        _check_int(name, value, 1)


def _letter(letter, pair_, dim):
    """'P' when both dimensions share the value, else 'PH' or 'PW'."""
    return letter if pair_[0] == pair_[1] else letter + ("H" if dim == 0 else "W")


def _fit_problem(H, W, FH, FW, P, D):
    """A sentence saying why the (dilated) filter does not fit the padded input, or None if it fits."""
    for dim, name, size, fname, f in ((0, "height", H, "FH", FH), (1, "width", W, "FW", FW)):
        p, d, dname = P[dim], D[dim], _letter("D", D, dim)
        padded, eff = size + 2 * p, effective_filter_size(f, d)
        if eff > padded:
            need = -(-(eff - size) // 2)
            pname = _letter("P", P, dim)
            what = f"{fname} = {f}" if d == 1 else f"the dilated filter, {dname}×({fname} − 1) + 1 = {d}×({f} − 1) + 1 = {eff},"
            fix = f"Make {fname} ≤ {padded}" if d == 1 else f"Make {fname} ≤ {(padded - 1) // d + 1} or {dname} smaller"
            return (f"The filter does not fit: {what} is larger than the padded {name} "
                    f"{'H' if name == 'height' else 'W'} + 2{pname} = {size} + 2×{p} = {padded}.\n"
                    f"{fix}, or pad {pname} ≥ {need}.")
    return None


def _formula_line(out, size, filt, r, p="P", s="S", d="D"):
    """'OH = (H + 2P − FH) / S + 1 = (28 + 2×0 − 5) / 2 + 1 = 12.50' (with D: the effective filter)."""
    f = filt if r.dilation == 1 else f"({d}({filt}−1)+1)"
    eff = "" if r.dilation == 1 else f"   [{d}({filt}−1)+1 = {r.dilation}×({r.filter_size}−1)+1 = {r.effective_filter}]"
    return (f"{out} = ({size} + 2{p} − {f}) / {s} + 1 = ({r.input_size} + 2×{r.pad} − {r.effective_filter}) / "
            f"{r.stride} + 1 = {r.span}/{r.stride} + 1 = {_number(r.span + r.stride, r.stride)}{eff}")


def _unseen_words(axis, unseen):
    plural = "s" if unseen.size > 1 else ""
    return f"input {axis}{plural} {unseen} {'are' if plural else 'is'} never seen"


def _floor_note(name, out, r, s="S"):
    """Why one dimension does not divide, what flooring does, and which rows are lost."""
    axis, edge = ("row", "bottom") if name == "height" else ("column", "right")
    lines = [f"{name.capitalize()}: {r.input_size} + 2×{r.pad} − {r.effective_filter} = {r.span} is not divisible by "
             f"{s} = {r.stride}: the last step would make the filter hang over the {edge} edge "
             f"({r.span}/{r.stride} = {ratio_text(r.span, r.stride)} steps)."]
    lost = _unseen_words(axis, r.unseen) if r.unseen else f"only padding is left out, every input {axis} is still seen"
    lines.append(f"  Flooring (PyTorch's rule) gives {out} = {r.output_size}; {lost}.")
    return lines


def _gap_note(name, r):
    """The rows that the windows skip although the sizes divide (stride larger than the filter, dilation)."""
    axis = "row" if name == "height" else "column"
    span = f"spanning {r.effective_filter}" + (f" with taps {r.dilation} apart" if r.dilation > 1 else "")
    return [f"{name.capitalize()}: windows {r.stride} apart, each {span}, leave gaps: "
            f"{_unseen_words(axis, r.unseen)}."]


def suggestions(H, W, FH, FW, P, S, k=2, D=1):
    """Nearest settings for which both dimensions divide (the filter must fit): the
    explorer's view of :func:`cnnlib.sizes.suggest`. Raises ``TypeError``/``ValueError``
    naming H, W, FH, FW (ints >= 1), P (>= 0), S, D (>= 1) or k (>= 0) when one is invalid.

    Returns:
        dict with lists: ``"pads"`` (with stride S), ``"strides"`` (with pad P), the same in
        both dimensions (empty when P or S differ between them), ``"pads_h"``,
        ``"pads_w"``, ``"strides_h"``, ``"strides_w"`` (one dimension alone), ``"FH"`` and
        ``"FW"`` (filter sizes, with P and S), each sorted by distance to the current
        value, at most ``k`` each; the current value is never suggested; ``"skips"``: the
        suggested strides that skip rows or columns between windows.
    """
    _check_sizes(H, W, FH, FW)
    sug = suggest((H, W), (FH, FW), pair(S, "S", 1), pair(P, "P"), _check_int("k", k, 0), dilation=pair(D, "D", 1))
    return {"pads": list(sug.pads), "strides": list(sug.strides), "FH": list(sug.filters[0]),
            "FW": list(sug.filters[1]), "skips": list(sug.skips), "pads_h": list(sug.pads_each[0]),
            "pads_w": list(sug.pads_each[1]), "strides_h": list(sug.strides_each[0]),
            "strides_w": list(sug.strides_each[1])}


def _out(size, f, p, s, d):
    return conv_output_size(size, f, s, p, d, strict=False)


def _suggestion_lines(H, W, FH, FW, P, S, D):
    (PH, PW), (SH, SW), (DH, DW) = P, S, D
    sug = suggestions(H, W, FH, FW, P, S, D=D)
    skip = " (larger than the filter: it skips rows or columns)"  # see skips_pixels
    lines = ["Suggestions:"]
    if PH == PW and SH == SW:                      # one P and one S: suggest one value for both
        p0, s0 = PH, SH
        for p in sug["pads"]:
            lines.append(f"  • P = {p} with S = {s0} → output {_out(H, FH, p, s0, DH)} × {_out(W, FW, p, s0, DW)}")
        if not sug["pads"]:
            eh, ew = effective_filter_size(FH, DH), effective_filter_size(FW, DW)
            odd = [n for n, span in (("H + 2P − FH", H - eh), ("W + 2P − FW", W - ew)) if span % 2]
            if odd and s0 % 2 == 0:
                lines.append(f"  • no value of P works with S = {s0}: {' and '.join(odd)} {'stays' if len(odd) == 1 else 'stay'} "
                             f"odd whatever P is (2P is even), and an even stride needs an even number")
            else:
                lines.append(f"  • no padding within {s0} of P = {p0} makes both dimensions divide by S = {s0}")
        for s in sug["strides"]:
            lines.append(f"  • S = {s} with P = {p0} → output {_out(H, FH, p0, s, DH)} × {_out(W, FW, p0, s, DW)}"
                         f"{skip if s in sug['skips'] else ''}")
    else:                                          # separate height and width settings
        for dim, size, f, p, s, d in (("h", H, FH, PH, SH, DH), ("w", W, FW, PW, SW, DW)):
            if (size + 2 * p - effective_filter_size(f, d)) % s == 0:
                continue
            out = "OH" if dim == "h" else "OW"
            for q in sug[f"pads_{dim}"]:
                lines.append(f"  • P{dim.upper()} = {q} with S{dim.upper()} = {s} → {out} = {_out(size, f, q, s, d)}")
            for t in sug[f"strides_{dim}"]:
                lines.append(f"  • S{dim.upper()} = {t} with P{dim.upper()} = {p} → {out} = {_out(size, f, p, t, d)}"
                             f"{skip if skips_pixels(t, f, d) else ''}")
    same = f"P = {PH}, S = {SH}" if PH == PW and SH == SW else f"PH = {PH}, PW = {PW}, SH = {SH}, SW = {SW}"
    if (H + 2 * PH - effective_filter_size(FH, DH)) % SH and sug["FH"]:
        lines.append(f"  • FH = {' or '.join(map(str, sorted(sug['FH'])))} with {same}")
    if (W + 2 * PW - effective_filter_size(FW, DW)) % SW and sug["FW"]:
        lines.append(f"  • FW = {' or '.join(map(str, sorted(sug['FW'])))} with {same}")
    return lines


def explain_output_size(H, W, FH, FW, P, S, D=1):
    """The explorer's text for an (H, W) input, an (FH, FW) filter, pad P, stride S and dilation D.

    P, S and D: an int or an (h, w) pair. Never raises: sizes that do not divide are
    explained (flooring, never-seen rows and columns, suggestions), and so are the rows
    a stride larger than the (dilated) filter skips, a filter that does not fit, and
    invalid numbers (e.g. H = 0: "No output: H must be >= 1, got H = 0").

    Returns:
        str, several lines; the first starts with "Output size:" when there is one.
    """
    try:
        _check_sizes(H, W, FH, FW)
        P, S, D = pair(P, "pad"), pair(S, "stride", 1), pair(D, "dilation", 1)
        problem = _fit_problem(H, W, FH, FW, P, D)
        if problem:
            return "No output: the filter does not fit inside the padded input.\n" + problem
        rh, rw = size_report(H, FH, S[0], P[0], D[0]), size_report(W, FW, S[1], P[1], D[1])
    except (TypeError, ValueError) as error:
        return f"No output: {error}"
    lines = [f"Output size: {rh.output_size} × {rw.output_size}"]
    if not (rh.divides and rw.divides):
        lines[0] += (f" after flooring (the formula gives {_number(rh.span + S[0], S[0])} × "
                     f"{_number(rw.span + S[1], S[1])})")
    ph, pw, sh, sw = ("P", "P", "S", "S") if P[0] == P[1] and S[0] == S[1] else ("PH", "PW", "SH", "SW")
    lines += ["", _formula_line("OH", "H", "FH", rh, ph, sh, _letter("D", D, 0)),
              _formula_line("OW", "W", "FW", rw, pw, sw, _letter("D", D, 1)), ""]
    if rh.divides and rw.divides:
        lines.append(f"Both divide exactly: the filter fits {rh.output_size} × {rw.output_size} positions and "
                     f"its last position ends exactly at the bottom-right corner of the padded input.")
        for name, r in (("height", rh), ("width", rw)):
            if r.unseen:
                lines += _gap_note(name, r)
        return "\n".join(lines)
    for name, out, r, s in (("height", "OH", rh, sh), ("width", "OW", rw, sw)):
        lines += _floor_note(name, out, r, s) if not r.divides else (_gap_note(name, r) if r.unseen else [])
    return "\n".join(lines + [""] + _suggestion_lines(H, W, FH, FW, P, S, D))


@dataclass(frozen=True)
class WindowPosition:
    """Window number ``index`` (reading order) of the explorer.

    ``out_row``, ``out_col``: the output cell it produces; ``out_shape``: (OH, OW);
    ``rows``, ``cols``: the input indices its taps read (negative or >= H: padding).
    """

    index: int
    out_row: int
    out_col: int
    out_shape: tuple
    rows: tuple
    cols: tuple


def window_at(H, W, FH, FW, P, S, D=1, index=0):
    """Where window ``index`` (0 .. OH*OW-1, clipped to that range) lies and which output
    cell it produces; None when there is no output (the filter does not fit, bad numbers).
    P, S, D: an int or an (h, w) pair.

    >>> w = window_at(5, 5, 3, 3, 0, 2, index=3)
    >>> (w.out_row, w.out_col), w.rows, w.cols
    ((1, 1), (2, 3, 4), (2, 3, 4))
    """
    try:
        (PH, PW), (SH, SW), (DH, DW) = pair(P, "pad"), pair(S, "stride", 1), pair(D, "dilation", 1)
        OH, OW = _out(H, FH, PH, SH, DH), _out(W, FW, PW, SW, DW)
    except (TypeError, ValueError):
        return None
    index = min(max(int(index), 0), OH * OW - 1)
    i, j = divmod(index, OW)
    rows = tuple(i * SH + k * DH - PH for k in range(FH))
    cols = tuple(j * SW + k * DW - PW for k in range(FW))
    return WindowPosition(index, i, j, (OH, OW), rows, cols)


def describe_window(window):
    """One line for the position control: 'Window 1 of 576: input rows 0–4, columns 1–5 →
    output cell (0, 1)' (with dilation the taps are listed: 'rows 0, 2, 4'); '' for None."""
    if window is None:
        return ""

    def taps(idx):
        return f"{idx[0]}–{idx[-1]}" if len(idx) > 1 and idx[1] - idx[0] == 1 else ", ".join(map(str, idx))

    OH, OW = window.out_shape
    return (f"Window {window.index} of {OH * OW}: input rows {taps(window.rows)}, columns {taps(window.cols)} → "
            f"output cell ({window.out_row}, {window.out_col})")
