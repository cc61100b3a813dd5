"""Matplotlib drawings used by the notebooks and the output-size explorer.

Every function draws on an ``ax`` you pass in (or returns a new ``Figure``) and never
calls ``plt.show()``, so a notebook decides when a figure appears. Arrays follow the
course's layout: one image is (H, W) or (C, H, W); a batch is (N, C, H, W).

- :func:`draw_matrix`        a small 2-D array as coloured cells with its numbers
- :func:`draw_padded_grid`   the padded input with the filter at its first and last positions
                             (and, optionally, one window of the explorer's position control)
- :func:`draw_output_grid`   the output grid, the cell that window produces highlighted
- :func:`plot_output_size`   the explorer's figure: both grids side by side (also when the
                             filter does not fit)
- :func:`show_images`        a grid of images, each normalized on its own
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

__all__ = ["draw_matrix", "draw_padded_grid", "draw_output_grid", "plot_output_size", "show_images", "to_display"]

# colours of the padded grid: padding, input seen by some window, input never seen
GRID_COLORS = ("#d9d9d9", "#ffffff", "#f4a6a6")
FIRST_COLOR, LAST_COLOR, BAD_COLOR, CURRENT_COLOR = "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c"
MAX_GRID_LINES = 40  # above this many cells per side, cell borders would only add noise


def draw_matrix(ax, values, labels=None, highlight=(), cmap="Blues", fmt="{:g}", title=None, fontsize=None,
                vlim=None):
    """Draw a 2-D array as a grid of coloured cells with its numbers written in them.

    Args:
        ax: matplotlib Axes.
        values: array (R, K); sets the colour of each cell.
        labels: optional array (R, K) of strings written instead of the values.
        highlight: rectangles ``(row, col, height, width)`` to outline, e.g. a window;
            an optional 5th item is the colour.
        cmap, fmt, title, fontsize: cosmetics.
        vlim: (vmin, vmax) of the colour map; default: light colours from the values'
            range. For a diverging ``cmap`` such as "RdBu_r" pass ``(-m, m)``.

    Returns:
        ax.
    """
    values = np.asarray(values, dtype=float)
    R, K = values.shape
    spread = max(np.ptp(values), 1e-12)  # light colours, so that the numbers stay readable
    vmin, vmax = vlim if vlim is not None else (values.min() - 0.2 * spread, values.max() + 1.2 * spread)
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    text = labels if labels is not None else np.vectorize(fmt.format)(values)
    size = fontsize or max(6, 12 - max(R, K) // 3)
    for r in range(R):
        for k in range(K):
            ax.text(k, r, str(text[r][k]), ha="center", va="center", fontsize=size)
    for rect in highlight:
        row, col, h, w, *color = rect
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), w, h, fill=False, lw=3,
                               edgecolor=color[0] if color else BAD_COLOR))
    _cell_lines(ax, R, K, offset=0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _cell_lines(ax, rows, cols, offset):
    """Thin lines between cells; ``offset`` shifts the grid (padding drawn at negative indices)."""
    if max(rows, cols) > MAX_GRID_LINES:
        return
    for r in range(rows + 1):
        ax.axhline(r - 0.5 - offset, color="#888888", lw=0.5)
    for k in range(cols + 1):
        ax.axvline(k - 0.5 - offset, color="#888888", lw=0.5)


def _pairs(P):
    return (P, P) if np.ndim(P) == 0 else tuple(P)


def _grid_image(H, W, P, unseen_rows=(), unseen_cols=()):
    """Category of each cell of the padded grid (H+2PH, W+2PW): 0 padding, 1 input, 2 never seen."""
    PH, PW = _pairs(P)
    grid = np.zeros((H + 2 * PH, W + 2 * PW), dtype=int)
    grid[PH:PH + H, PW:PW + W] = 1
    for r in unseen_rows:
        grid[PH + r, PW:PW + W] = 2
    for k in unseen_cols:
        grid[PH:PH + H, PW + k] = 2
    return grid


def _draw_grid(ax, grid, P):
    """Draw the category grid with input pixel (0, 0) at coordinates (0, 0)."""
    (PH, PW), (Hp, Wp) = _pairs(P), grid.shape
    ax.imshow(grid, cmap=ListedColormap(GRID_COLORS), vmin=0, vmax=2, interpolation="nearest",
              extent=(-PW - 0.5, Wp - PW - 0.5, Hp - PH - 0.5, -PH - 0.5))
    if max(Hp, Wp) <= MAX_GRID_LINES:
        for r in range(Hp + 1):
            ax.axhline(r - 0.5 - PH, color="#888888", lw=0.5)
        for k in range(Wp + 1):
            ax.axvline(k - 0.5 - PW, color="#888888", lw=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("input column")
    ax.set_ylabel("input row")


def _window(ax, top, left, FH, FW, P, color, label, D=1):
    """Outline the filter whose top-left corner is at padded index (top, left); with
    dilation D, its span, and a dot on each of its taps."""
    (PH, PW), eh, ew = _pairs(P), D * (FH - 1) + 1, D * (FW - 1) + 1
    ax.add_patch(Rectangle((left - PW - 0.5, top - PH - 0.5), ew, eh, facecolor=color, alpha=0.2 if D == 1 else 0.06,
                           edgecolor=color, lw=2.5, label=label))
    ax.add_patch(Rectangle((left - PW - 0.5, top - PH - 0.5), ew, eh, fill=False, edgecolor=color, lw=2.5))
    if D > 1:
        for i in range(FH):
            for j in range(FW):
                ax.add_patch(Rectangle((left - PW - 0.5 + j * D, top - PH - 0.5 + i * D), 1, 1, facecolor=color,
                                       alpha=0.45, edgecolor="none"))


def draw_padded_grid(ax, report_h, report_w, position=None):
    """Draw the padded input with the filter at its first and last positions.

    Args:
        ax: matplotlib Axes.
        report_h, report_w: :class:`cnnlib.sizes.SizeReport` for the height and the
            width (from ``size_report(H, FH, SH, PH, D)`` and ``size_report(W, FW, SW, PW, D)``).
        position: optional :class:`cnnlib.course.explain.WindowPosition`, one more
            window drawn in green (the explorer's position control).

    Grey cells are padding, white cells input pixels that some window covers, red cells
    input rows/columns that no window covers (after the last window, or in the gaps a
    stride larger than the (dilated) filter leaves). Axis ticks are input indices:
    padding sits at negative indices and at H, H+1, ... With dilation the taps are dots.

    Returns:
        ax.
    """
    P, S, D = (report_h.pad, report_w.pad), (report_h.stride, report_w.stride), report_h.dilation
    H, W, FH, FW = report_h.input_size, report_w.input_size, report_h.filter_size, report_w.filter_size
    _draw_grid(ax, _grid_image(H, W, P, report_h.unseen, report_w.unseen), P)
    _window(ax, 0, 0, FH, FW, P, FIRST_COLOR, "filter, first position", D)
    _window(ax, report_h.last_start, report_w.last_start, FH, FW, P, LAST_COLOR, "filter, last position", D)
    handles = [*_padding_handle(P), Patch(facecolor=GRID_COLORS[1], edgecolor="#888888", label="input"),
               Patch(facecolor=FIRST_COLOR, alpha=0.4, label="filter, first position"),
               Patch(facecolor=LAST_COLOR, alpha=0.4, label="filter, last position")]
    if position is not None:
        top, left = position.rows[0] + P[0], position.cols[0] + P[1]
        _window(ax, top, left, FH, FW, P, CURRENT_COLOR, f"window {position.index}", D)
        handles.append(Patch(facecolor=CURRENT_COLOR, alpha=0.4,
                             label=f"window {position.index} → output ({position.out_row}, {position.out_col})"))
    if report_h.unseen or report_w.unseen:
        handles.insert(len(_padding_handle(P)) + 1,
                       Patch(facecolor=GRID_COLORS[2], edgecolor="#888888", label="never seen"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    dilation = f", dilation {D}" if D > 1 else ""
    ax.set_title(f"{H}×{W} input, pad {_label(P)}, {FH}×{FW} filter, stride {_label(S)}{dilation}", fontsize=10)
    return ax


def _padding_handle(P):
    """The legend entry for padding, or none when there is no padding (P = 0) to see."""
    if not any(_pairs(P)):
        return []
    return [Patch(facecolor=GRID_COLORS[0], edgecolor="#888888", label=f"padding (P={_label(_pairs(P))})")]


def _label(pair):
    """2 for (2, 2), (2, 1) otherwise."""
    return f"{pair[0]}" if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def draw_output_grid(ax, position):
    """The output grid (OH, OW), the cell produced by ``position``'s window in green.

    Args:
        ax: matplotlib Axes.
        position: :class:`cnnlib.course.explain.WindowPosition`.

    Returns:
        ax.
    """
    OH, OW = position.out_shape
    grid = np.zeros((OH, OW), dtype=int)
    grid[position.out_row, position.out_col] = 1
    ax.imshow(grid, cmap=ListedColormap(["#ffffff", CURRENT_COLOR]), vmin=0, vmax=1, interpolation="nearest")
    _cell_lines(ax, OH, OW, offset=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"output {OH}×{OW}: cell ({position.out_row}, {position.out_col})", fontsize=10)
    ax.set_xlabel("output column")
    ax.set_ylabel("output row")
    return ax


def plot_output_size(H, W, FH, FW, P, S, D=1, position=0, figsize=(9.6, 4.2)):
    """The explorer's figure: the padded input (:func:`draw_padded_grid`) with window
    number ``position`` in green, and beside it the output grid (:func:`draw_output_grid`)
    with the cell that window produces; or the overhanging filter in red when it is larger
    than the padded input. P and S: ints or (h, w) pairs. Never raises for positive sizes.

    Returns:
        a new matplotlib Figure (not shown; close it when done); ``fig.axes[0]`` is the input.
    """
    from ..sizes import size_report  # local imports keep viz importable on its own
    from .explain import window_at

    (PH, PW), (SH, SW) = _pairs(P), _pairs(S)
    eh, ew = D * (FH - 1) + 1, D * (FW - 1) + 1
    if eh <= H + 2 * PH and ew <= W + 2 * PW:
        fig, (ax, out_ax) = plt.subplots(1, 2, figsize=figsize, layout="constrained", width_ratios=(3, 2))
        window = window_at(H, W, FH, FW, (PH, PW), (SH, SW), D, position)
        draw_padded_grid(ax, size_report(H, FH, SH, PH, D), size_report(W, FW, SW, PW, D), window)
        draw_output_grid(out_ax, window)
        return fig
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    _draw_grid(ax, _grid_image(H, W, (PH, PW)), (PH, PW))
    ax.patch.set_hatch("//")  # the area outside the padded input
    ax.patch.set_edgecolor("#bbbbbb")
    _window(ax, 0, 0, FH, FW, (PH, PW), BAD_COLOR, "filter", D)
    ax.legend(handles=[*_padding_handle((PH, PW)), Patch(facecolor=GRID_COLORS[1], edgecolor="#888888", label="input"),
                       Patch(facecolor="white", hatch="//", edgecolor="#bbbbbb", label="outside"),
                       Patch(facecolor=BAD_COLOR, alpha=0.4, label="filter")],
              loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set_xlim(-PW - 0.5, max(W + PW, ew - PW) - 0.5)
    ax.set_ylim(max(H + PH, eh - PH) - 0.5, -PH - 0.5)
    span = f"{FH}×{FW} filter" + (f" (dilated: spans {eh}×{ew})" if D > 1 else "")
    ax.set_title(f"the {span} does not fit the padded {H + 2 * PH}×{W + 2 * PW} input", fontsize=10, color=BAD_COLOR)
    return fig


def to_display(image):
    """One image as something ``imshow`` draws: (H, W) stays, (1, H, W) -> (H, W),
    (3, H, W) -> (H, W, 3)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] == 1:
        return image[0]
    if image.ndim == 3 and image.shape[0] == 3:
        return image.transpose(1, 2, 0)
    if image.ndim != 2:
        raise ValueError(f"an image must have shape (H, W), (1, H, W) or (3, H, W), got {image.shape}")
    return image


def _normalize(image, signed):
    """Scale one image to [0, 1] (or to [-1, 1] around 0 when ``signed``)."""
    image = image.astype(np.float64)
    if signed:
        return image / max(np.abs(image).max(), 1e-12)
    return (image - image.min()) / max(np.ptp(image), 1e-12)


def show_images(images, titles=None, ncols=None, size=2.0, cmap="gray", signed=False, suptitle=None):
    """Show images in a grid, each normalized on its own (per-image min-max).

    Args:
        images: array (N, H, W), (N, 1, H, W) or (N, 3, H, W), or a list of images of
            shape (H, W), (1, H, W) or (3, H, W) (sizes may differ).
        titles: optional list of N strings.
        ncols: images per row (default: all in one row, at most 8).
        size: inches per image.
        cmap: colour map for one-channel images.
        signed: for filter responses: scale by the largest absolute value so that 0 is
            the middle colour of a diverging map ("RdBu_r" instead of a gray ``cmap``).
            One bool for all images, or a list with one bool per image.
        suptitle: optional title above the grid.

    Returns:
        the matplotlib Figure.
    """
    images = [to_display(im) for im in images]
    N = len(images)
    ncols = ncols or min(N, 8)
    nrows = -(-N // ncols)
    signed = list(signed) if isinstance(signed, (list, tuple)) else [signed] * N
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)),
                             squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= N:
            continue
        image_cmap = "RdBu_r" if signed[i] and cmap == "gray" else cmap
        ax.imshow(_normalize(images[i], signed[i]), cmap=image_cmap, vmin=-1 if signed[i] else 0, vmax=1,
                  interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig
