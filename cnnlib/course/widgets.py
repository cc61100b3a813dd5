"""The output-size explorer: six sliders wired to a pure explanation and a figure.

The logic is in plain functions, so it can be tested without a browser:

- :func:`explain_output_size` -> the text the explorer shows (never raises);
- :func:`suggestions` -> nearest pads, strides and filter sizes that make the sizes divide;
- :func:`output_size_explorer` -> the ipywidgets box (sliders "H", "W", "FH", "FW",
  "P", "S"; an ``HTML`` widget with the text; an ``Output`` widget with the figure).

The formula, along each dimension (see :mod:`cnnlib.sizes`)::

    OH = (H + 2P - FH) / S + 1        OW = (W + 2P - FW) / S + 1
"""

import base64
import html
import io

from ..sizes import conv_output_size, size_report, suggest

__all__ = ["explain_output_size", "suggestions", "output_size_explorer", "SLIDER_RANGES"]

# (min, max) of each slider; the explorer explains every combination, none raises
SLIDER_RANGES = {"H": (1, 64), "W": (1, 64), "FH": (1, 15), "FW": (1, 15), "P": (0, 8), "S": (1, 8)}


def _number(x):
    """12 for a whole number, 12.50 otherwise."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def _ranges(indices):
    """(25, 26, 27, 30) -> '25–27, 30'."""
    parts, start = [], None
    for i, v in enumerate(indices):
        start = v if start is None else start
        if i + 1 == len(indices) or indices[i + 1] != v + 1:
            parts.append(f"{start}" if start == v else f"{start}–{v}")
            start = None
    return ", ".join(parts)


def _fit_problem(H, W, FH, FW, P):
    """A sentence saying why the filter does not fit the padded input, or None if it fits."""
    for name, size, fname, f in (("height", H, "FH", FH), ("width", W, "FW", FW)):
        padded = size + 2 * P
        if f > padded:
            need = -(-(f - size) // 2)
            return (f"The filter does not fit: {fname} = {f} is larger than the padded {name} "
                    f"{'H' if name == 'height' else 'W'} + 2P = {size} + 2×{P} = {padded}.\n"
                    f"Make {fname} ≤ {padded}, or pad P ≥ {need}.")
    return None


def _formula_line(out, size, filt, r):
    """'OH = (H + 2P − FH) / S + 1 = (28 + 2×0 − 5) / 2 + 1 = 12.50'."""
    exact = r.span / r.stride + 1
    return (f"{out} = ({size} + 2P − {filt}) / S + 1 = ({r.input_size} + 2×{r.pad} − {r.filter_size}) / "
            f"{r.stride} + 1 = {r.span}/{r.stride} + 1 = {_number(exact)}")


def _floor_note(name, out, r):
    """Why one dimension does not divide, what flooring does, and which rows are lost."""
    axis, edge = ("row", "bottom") if name == "height" else ("column", "right")
    lines = [f"{name.capitalize()}: {r.input_size} + 2×{r.pad} − {r.filter_size} = {r.span} is not divisible by "
             f"S = {r.stride}: the last step would make the filter hang over the {edge} edge "
             f"({r.span}/{r.stride} = {r.span / r.stride:.2f} steps)."]
    if r.unseen:
        plural = "s" if len(r.unseen) > 1 else ""
        lost = f"input {axis}{plural} {_ranges(r.unseen)} {'are' if plural else 'is'} never seen"
    else:
        lost = f"only padding is left out, every input {axis} is still seen"
    lines.append(f"  Flooring (PyTorch's rule) gives {out} = {r.output_size}; {lost}.")
    return lines


def suggestions(H, W, FH, FW, P, S, k=2):
    """Nearest settings for which both dimensions divide (the filter must fit): the
    explorer's view of :func:`cnnlib.sizes.suggest`.

    Returns:
        dict with lists: ``"pads"`` (with stride S), ``"strides"`` (with pad P),
        ``"FH"`` and ``"FW"`` (filter sizes, with P and S), each sorted by distance to
        the current value, at most ``k`` each; the current value is never suggested;
        ``"skips"``: the suggested strides that are larger than a filter side.
    """
    sug = suggest((H, W), (FH, FW), S, P, k)
    return {"pads": list(sug.pads), "strides": list(sug.strides), "FH": list(sug.filters[0]),
            "FW": list(sug.filters[1]), "skips": list(sug.skips)}


def _out(size, f, p, s):
    return conv_output_size(size, f, s, p, strict=False)


def _suggestion_lines(H, W, FH, FW, P, S):
    sug = suggestions(H, W, FH, FW, P, S)
    lines = ["Suggestions:"]
    for p in sug["pads"]:
        lines.append(f"  • P = {p} with S = {S} → output {_out(H, FH, p, S)} × {_out(W, FW, p, S)}")
    if not sug["pads"]:
        odd = [n for n, span in (("H + 2P − FH", H - FH), ("W + 2P − FW", W - FW)) if span % 2]
        if odd and S % 2 == 0:
            lines.append(f"  • no padding works with S = {S}: {' and '.join(odd)} {'stays' if len(odd) == 1 else 'stay'} "
                         f"odd whatever P is (2P is even), and an even stride needs an even number")
        else:
            lines.append(f"  • no padding within {S} of P = {P} makes both dimensions divide by S = {S}")
    for s in sug["strides"]:
        skip = " (larger than the filter: it skips rows or columns)" if s in sug["skips"] else ""
        lines.append(f"  • S = {s} with P = {P} → output {_out(H, FH, P, s)} × {_out(W, FW, P, s)}{skip}")
    if (H + 2 * P - FH) % S and sug["FH"]:
        lines.append(f"  • FH = {' or '.join(map(str, sorted(sug['FH'])))} with P = {P}, S = {S}")
    if (W + 2 * P - FW) % S and sug["FW"]:
        lines.append(f"  • FW = {' or '.join(map(str, sorted(sug['FW'])))} with P = {P}, S = {S}")
    return lines


def explain_output_size(H, W, FH, FW, P, S):
    """The explorer's text for an (H, W) input, an (FH, FW) filter, pad P and stride S.

    Never raises: sizes that do not divide are explained (flooring, never-seen rows and
    columns, suggestions), and so are a filter that does not fit and invalid numbers.

    Returns:
        str, several lines; the first starts with "Output size:" when there is one.
    """
    try:
        problem = _fit_problem(H, W, FH, FW, P)
        if problem:
            return "No output: the filter does not fit inside the padded input.\n" + problem
        rh, rw = size_report(H, FH, S, P), size_report(W, FW, S, P)
    except (TypeError, ValueError) as error:
        return f"No output: {error}"
    lines = [f"Output size: {rh.output_size} × {rw.output_size}"]
    if not (rh.divides and rw.divides):
        exact_h, exact_w = rh.span / S + 1, rw.span / S + 1
        lines[0] += f" after flooring (the formula gives {_number(exact_h)} × {_number(exact_w)})"
    lines += ["", _formula_line("OH", "H", "FH", rh), _formula_line("OW", "W", "FW", rw), ""]
    if rh.divides and rw.divides:
        lines.append(f"Both divide exactly: the filter fits {rh.output_size} × {rw.output_size} positions and "
                     f"its last position ends exactly at the bottom-right corner of the padded input.")
        return "\n".join(lines)
    if not rh.divides:
        lines += _floor_note("height", "OH", rh)
    if not rw.divides:
        lines += _floor_note("width", "OW", rw)
    return "\n".join(lines + [""] + _suggestion_lines(H, W, FH, FW, P, S))


def explain_output_size_html(H, W, FH, FW, P, S):
    """:func:`explain_output_size` as HTML: a ``<pre>`` block, escaped, first line in bold."""
    first, _, rest = explain_output_size(H, W, FH, FW, P, S).partition("\n")
    text = f"<b>{html.escape(first)}</b>\n{html.escape(rest)}"  # the output size in bold
    return f'<pre class="output-size-text" style="font-size: 12px; line-height: 1.35">{text}</pre>'


def figure_output(H, W, FH, FW, P, S, dpi=72):
    """The explorer's figure as one Jupyter output (a dict holding a PNG), ready for
    ``Output.outputs``; drawn with :func:`cnnlib.course.viz.plot_output_size`."""
    import matplotlib.pyplot as plt

    from .viz import plot_output_size

    fig = plot_output_size(H, W, FH, FW, P, S)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": f"<padded grid {H}×{W}, filter {FH}×{FW}, P={P}, S={S}>"}}


def output_size_explorer(H=28, W=28, FH=5, FW=5, P=0, S=1):
    """Sliders for H, W, FH, FW, P, S; the formula, the output size and the padded grid.

    Returns:
        an ``ipywidgets.VBox``. For tests and notebooks it also carries ``.sliders``
        (dict name -> IntSlider), ``.text`` (the ``HTML`` widget) and ``.figure`` (the
        ``Output`` widget holding the PNG); setting a slider's ``.value`` updates both.
    """
    import ipywidgets as widgets

    start = {"H": H, "W": W, "FH": FH, "FW": FW, "P": P, "S": S}
    sliders = {name: widgets.IntSlider(value=start[name], min=lo, max=hi, description=name, continuous_update=False,
                                       layout=widgets.Layout(width="260px"))
               for name, (lo, hi) in SLIDER_RANGES.items()}
    text = widgets.HTML()
    text.add_class("output-size-text")
    figure = widgets.Output()
    figure.add_class("output-size-figure")

    def update(change=None):
        values = {name: slider.value for name, slider in sliders.items()}
        text.value = explain_output_size_html(**values)
        figure.outputs = (figure_output(**values),)

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    rows = [widgets.HBox([sliders[a], sliders[b]]) for a, b in (("H", "W"), ("FH", "FW"), ("P", "S"))]
    box = widgets.VBox([widgets.VBox(rows), text, figure])
    box.sliders, box.text, box.figure = sliders, text, figure
    return box
