"""The output-size explorer's logic, in plain functions the tests call without a browser.

- :func:`explain_output_size` -> the text the explorer shows (never raises);
- :func:`suggestions` -> nearest pads, strides and filter sizes that make the sizes divide;
- :func:`window_at` -> where window number ``index`` lies and which output cell it makes.

Pad P and stride S are an int (the same for height and width) or an ``(h, w)`` pair; D is
the dilation (the filter's taps D pixels apart, spanning ``D*(F-1)+1``). Along each
dimension (see :mod:`cnnlib.sizes`)::

    OH = (H + 2PH − (D(FH−1)+1)) / SH + 1        OW = (W + 2PW − (D(FW−1)+1)) / SW + 1
"""

from dataclasses import dataclass

from ..sizes import conv_output_size, effective_filter_size, pair, size_report, skips_pixels, suggest

__all__ = ["explain_output_size", "suggestions", "window_at", "WindowPosition", "describe_window"]


def _number(x):
    """12 for a whole number, 12.50 otherwise."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def _fit_problem(H, W, FH, FW, P, D):
    """A sentence saying why the (dilated) filter does not fit the padded input, or None if it fits."""
    for name, size, fname, f, p in (("height", H, "FH", FH, P[0]), ("width", W, "FW", FW, P[1])):
        padded, eff = size + 2 * p, effective_filter_size(f, D)
        if eff > padded:
            need = -(-(eff - size) // 2)
            pname = "P" if P[0] == P[1] else ("PH" if name == "height" else "PW")
            what = f"{fname} = {f}" if D == 1 else f"the dilated filter, D×({fname} − 1) + 1 = {D}×({f} − 1) + 1 = {eff},"
            fix = f"Make {fname} ≤ {padded}" if D == 1 else f"Make {fname} ≤ {(padded - 1) // D + 1} or D smaller"
            return (f"The filter does not fit: {what} is larger than the padded {name} "
                    f"{'H' if name == 'height' else 'W'} + 2{pname} = {size} + 2×{p} = {padded}.\n"
                    f"{fix}, or pad {pname} ≥ {need}.")
    return None


def _formula_line(out, size, filt, r, p="P", s="S"):
    """'OH = (H + 2P − FH) / S + 1 = (28 + 2×0 − 5) / 2 + 1 = 12.50' (with D: the effective filter)."""
    exact = r.span / r.stride + 1
    f = filt if r.dilation == 1 else f"(D({filt}−1)+1)"
    eff = "" if r.dilation == 1 else f"   [D({filt}−1)+1 = {r.dilation}×({r.filter_size}−1)+1 = {r.effective_filter}]"
    return (f"{out} = ({size} + 2{p} − {f}) / {s} + 1 = ({r.input_size} + 2×{r.pad} − {r.effective_filter}) / "
            f"{r.stride} + 1 = {r.span}/{r.stride} + 1 = {_number(exact)}{eff}")


def _unseen_words(axis, unseen):
    plural = "s" if len(unseen) > 1 else ""
    return f"input {axis}{plural} {unseen} {'are' if plural else 'is'} never seen"


def _floor_note(name, out, r, s="S"):
    """Why one dimension does not divide, what flooring does, and which rows are lost."""
    axis, edge = ("row", "bottom") if name == "height" else ("column", "right")
    lines = [f"{name.capitalize()}: {r.input_size} + 2×{r.pad} − {r.effective_filter} = {r.span} is not divisible by "
             f"{s} = {r.stride}: the last step would make the filter hang over the {edge} edge "
             f"({r.span}/{r.stride} = {r.span / r.stride:.2f} steps)."]
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
    explorer's view of :func:`cnnlib.sizes.suggest`.

    Returns:
        dict with lists: ``"pads"`` (with stride S), ``"strides"`` (with pad P), the same in
        both dimensions (empty when P or S differ between them), ``"pads_h"``,
        ``"pads_w"``, ``"strides_h"``, ``"strides_w"`` (one dimension alone), ``"FH"`` and
        ``"FW"`` (filter sizes, with P and S), each sorted by distance to the current
        value, at most ``k`` each; the current value is never suggested; ``"skips"``: the
        suggested strides that skip rows or columns between windows.
    """
    sug = suggest((H, W), (FH, FW), pair(S, "S"), pair(P, "P"), k, dilation=D)
    return {"pads": list(sug.pads), "strides": list(sug.strides), "FH": list(sug.filters[0]),
            "FW": list(sug.filters[1]), "skips": list(sug.skips), "pads_h": list(sug.pads_each[0]),
            "pads_w": list(sug.pads_each[1]), "strides_h": list(sug.strides_each[0]),
            "strides_w": list(sug.strides_each[1])}


def _out(size, f, p, s, d):
    return conv_output_size(size, f, s, p, d, strict=False)


def _suggestion_lines(H, W, FH, FW, P, S, D):
    (PH, PW), (SH, SW) = P, S
    sug = suggestions(H, W, FH, FW, P, S, D=D)
    skip = " (larger than the filter: it skips rows or columns)"  # see skips_pixels
    lines = ["Suggestions:"]
    if PH == PW and SH == SW:                      # one P and one S: suggest one value for both
        p0, s0 = PH, SH
        for p in sug["pads"]:
            lines.append(f"  • P = {p} with S = {s0} → output {_out(H, FH, p, s0, D)} × {_out(W, FW, p, s0, D)}")
        if not sug["pads"]:
            eh, ew = effective_filter_size(FH, D), effective_filter_size(FW, D)
            odd = [n for n, span in (("H + 2P − FH", H - eh), ("W + 2P − FW", W - ew)) if span % 2]
            if odd and s0 % 2 == 0:
                lines.append(f"  • no value of P works with S = {s0}: {' and '.join(odd)} {'stays' if len(odd) == 1 else 'stay'} "
                             f"odd whatever P is (2P is even), and an even stride needs an even number")
            else:
                lines.append(f"  • no padding within {s0} of P = {p0} makes both dimensions divide by S = {s0}")
        for s in sug["strides"]:
            lines.append(f"  • S = {s} with P = {p0} → output {_out(H, FH, p0, s, D)} × {_out(W, FW, p0, s, D)}"
                         f"{skip if s in sug['skips'] else ''}")
    else:                                          # separate height and width settings
        for dim, size, f, p, s, in (("h", H, FH, PH, SH), ("w", W, FW, PW, SW)):
            if (size + 2 * p - effective_filter_size(f, D)) % s == 0:
                continue
            out = "OH" if dim == "h" else "OW"
            for q in sug[f"pads_{dim}"]:
                lines.append(f"  • P{dim.upper()} = {q} with S{dim.upper()} = {s} → {out} = {_out(size, f, q, s, D)}")
            for t in sug[f"strides_{dim}"]:
                lines.append(f"  • S{dim.upper()} = {t} with P{dim.upper()} = {p} → {out} = {_out(size, f, p, t, D)}"
                             f"{skip if skips_pixels(t, f, D) else ''}")
    same = f"P = {PH}, S = {SH}" if PH == PW and SH == SW else f"PH = {PH}, PW = {PW}, SH = {SH}, SW = {SW}"
    if (H + 2 * PH - effective_filter_size(FH, D)) % SH and sug["FH"]:
        lines.append(f"  • FH = {' or '.join(map(str, sorted(sug['FH'])))} with {same}")
    if (W + 2 * PW - effective_filter_size(FW, D)) % SW and sug["FW"]:
        lines.append(f"  • FW = {' or '.join(map(str, sorted(sug['FW'])))} with {same}")
    return lines


def explain_output_size(H, W, FH, FW, P, S, D=1):
    """The explorer's text for an (H, W) input, an (FH, FW) filter, pad P, stride S and dilation D.

    P and S: an int or an (h, w) pair. Never raises: sizes that do not divide are
    explained (flooring, never-seen rows and columns, suggestions), and so are the rows
    a stride larger than the (dilated) filter skips, a filter that does not fit, and
    invalid numbers.

    Returns:
        str, several lines; the first starts with "Output size:" when there is one.
    """
    try:
        P, S, D = pair(P, "pad"), pair(S, "stride", 1), pair(D, "dilation", 1)[0]
        problem = _fit_problem(H, W, FH, FW, P, D)
        if problem:
            return "No output: the filter does not fit inside the padded input.\n" + problem
        rh, rw = size_report(H, FH, S[0], P[0], D), size_report(W, FW, S[1], P[1], D)
    except (TypeError, ValueError) as error:
        return f"No output: {error}"
    lines = [f"Output size: {rh.output_size} × {rw.output_size}"]
    if not (rh.divides and rw.divides):
        lines[0] += f" after flooring (the formula gives {_number(rh.span / S[0] + 1)} × {_number(rw.span / S[1] + 1)})"
    ph, pw, sh, sw = ("P", "P", "S", "S") if P[0] == P[1] and S[0] == S[1] else ("PH", "PW", "SH", "SW")
    lines += ["", _formula_line("OH", "H", "FH", rh, ph, sh), _formula_line("OW", "W", "FW", rw, pw, sw), ""]
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

    >>> w = window_at(5, 5, 3, 3, 0, 2, index=3)
    >>> (w.out_row, w.out_col), w.rows, w.cols
    ((1, 1), (2, 3, 4), (2, 3, 4))
    """
    try:
        (PH, PW), (SH, SW), D = pair(P, "pad"), pair(S, "stride", 1), pair(D, "dilation", 1)[0]
        OH, OW = _out(H, FH, PH, SH, D), _out(W, FW, PW, SW, D)
    except (TypeError, ValueError):
        return None
    index = min(max(int(index), 0), OH * OW - 1)
    i, j = divmod(index, OW)
    rows = tuple(i * SH + k * D - PH for k in range(FH))
    cols = tuple(j * SW + k * D - PW for k in range(FW))
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
