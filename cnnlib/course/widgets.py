"""The output-size explorer: sliders wired to a pure explanation and a figure.

The logic is in plain functions (:mod:`cnnlib.course.explain`), so it can be tested
without a browser:

- :func:`explain_output_size` -> the text the explorer shows (never raises);
- :func:`suggestions` -> nearest pads, strides and filter sizes that make the sizes divide;
- :func:`window_at` -> where one window lies and which output cell it produces;
- :func:`output_size_explorer` -> the ipywidgets box: sliders "H", "W", "FH", "FW",
  "PH", "PW" (padding), "SH", "SW" (stride), "D" (dilation) and "window" (which window
  to show: it moves one window over the input and lights the output cell it makes); an
  ``HTML`` widget with the text; an ``Output`` widget with the figure.

The formula, along each dimension (see :mod:`cnnlib.sizes`)::

    OH = (H + 2PH − (D(FH−1)+1)) / SH + 1        OW = (W + 2PW − (D(FW−1)+1)) / SW + 1
"""

import base64
import html
import io

from ..sizes import pair
from .explain import describe_window, explain_output_size, suggestions, window_at

__all__ = ["explain_output_size", "suggestions", "window_at", "output_size_explorer", "SLIDER_RANGES",
           "explorer_state"]

# (min, max) of each slider; the explorer explains every combination, none raises.
# "window" is the position control: its maximum follows the output size (OH*OW - 1).
SLIDER_RANGES = {"H": (1, 64), "W": (1, 64), "FH": (1, 15), "FW": (1, 15), "PH": (0, 8), "PW": (0, 8),
                 "SH": (1, 8), "SW": (1, 8), "D": (1, 4), "window": (0, 0)}
ROWS = (("H", "W"), ("FH", "FW"), ("PH", "PW"), ("SH", "SW"), ("D", "window"))


def explain_output_size_html(H, W, FH, FW, P, S, D=1, font_size=12, position=None):
    """:func:`explain_output_size` as HTML: a ``<pre>`` block, escaped, first line in bold;
    then, if ``position`` is given, the window it shows (:func:`describe_window`)."""
    first, _, rest = explain_output_size(H, W, FH, FW, P, S, D).partition("\n")
    text = f"<b>{html.escape(first)}</b>\n{html.escape(rest)}"  # the output size in bold
    if position is not None and window_at(H, W, FH, FW, P, S, D, position) is not None:
        text += "\n\n" + html.escape(describe_window(window_at(H, W, FH, FW, P, S, D, position)))
    return f'<pre class="output-size-text" style="font-size: {font_size}px; line-height: 1.35">{text}</pre>'


def explorer_state(values):
    """From slider values (a dict keyed like :data:`SLIDER_RANGES`) to the arguments of the
    text and the figure, and the window slider's maximum (``OH*OW - 1``, 0 without output).

    Returns:
        ``(args, window_max)``: args ``(H, W, FH, FW, (PH, PW), (SH, SW), D)``.
    """
    args = (values["H"], values["W"], values["FH"], values["FW"], (values["PH"], values["PW"]),
            (values["SH"], values["SW"]), values["D"])
    window = window_at(*args, index=0)
    return args, 0 if window is None else window.out_shape[0] * window.out_shape[1] - 1


def _one_dilation(D):
    """The explorer draws one dilation for both dimensions (one D slider): refuse an (h, w) pair clearly."""
    if isinstance(D, (tuple, list)):
        raise TypeError(f"D must be one int here (the explorer has one D slider), got D = {tuple(D)}; "
                        f"explain_output_size and window_at take an (h, w) pair")


def figure_output(H, W, FH, FW, P, S, D=1, position=0, dpi=72):
    """The explorer's figure as one Jupyter output (a dict holding a PNG), ready for
    ``Output.outputs``; drawn with :func:`cnnlib.course.viz.plot_output_size`."""
    import matplotlib.pyplot as plt

    from .viz import plot_output_size

    _one_dilation(D)

    fig = plot_output_size(H, W, FH, FW, P, S, D, position)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    text = f"<padded grid {H}×{W}, filter {FH}×{FW}, P={P}, S={S}, D={D}, window {position}>"
    return {"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": text}}


def output_size_explorer(H=28, W=28, FH=5, FW=5, P=0, S=1, D=1, font_size=12, dpi=72):
    """Sliders for H, W, FH, FW, PH, PW, SH, SW, D and the window shown; the formula, the
    output size, the padded grid and the output grid.

    Args:
        H, W, FH, FW, D: the starting values (ints); P, S: an int or an (h, w) pair.
        font_size, dpi: larger for projecting in class (the app notebook uses 18 and 110).

    Returns:
        an ``ipywidgets.VBox``. For tests and notebooks it also carries ``.sliders``
        (dict name -> IntSlider), ``.text`` (the ``HTML`` widget) and ``.figure`` (the
        ``Output`` widget holding the PNG); setting a slider's ``.value`` updates both.
    """
    import ipywidgets as widgets

    _one_dilation(D)
    (PH, PW), (SH, SW) = pair(P, "P"), pair(S, "S", 1)
    start = {"H": H, "W": W, "FH": FH, "FW": FW, "PH": PH, "PW": PW, "SH": SH, "SW": SW, "D": D, "window": 0}
    sliders = {name: widgets.IntSlider(value=start[name], min=lo, max=hi, description=name, continuous_update=False,
                                       layout=widgets.Layout(width="300px"))
               for name, (lo, hi) in SLIDER_RANGES.items()}
    text = widgets.HTML()
    text.add_class("output-size-text")
    figure = widgets.Output()
    figure.add_class("output-size-figure")

    def update(change=None):
        values = {name: slider.value for name, slider in sliders.items()}
        args, window_max = explorer_state(values)
        if sliders["window"].max != window_max:
            sliders["window"].max = window_max      # may clip the value, which calls update again
            if sliders["window"].value != values["window"]:
                return
        text.value = explain_output_size_html(*args, font_size=font_size, position=sliders["window"].value)
        figure.outputs = (figure_output(*args, position=sliders["window"].value, dpi=dpi),)

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    rows = [widgets.HBox([sliders[a], sliders[b]]) for a, b in ROWS]
    box = widgets.VBox([widgets.VBox(rows), text, figure])
    box.sliders, box.text, box.figure = sliders, text, figure
    return box
