"""Matplotlib drawings used by the notebooks and the output-size explorer.

Every function draws on an ``ax`` you pass in (or returns a new ``Figure``) and never
calls ``plt.show()``, so a notebook decides when a figure appears. Arrays follow the
course's layout: one image is (H, W) or (C, H, W); a batch is (N, C, H, W).

- :func:`draw_matrix`        a small 2-D array as coloured cells with its numbers
- :func:`draw_padded_grid`   the padded input with the filter at its first and last positions
- :func:`plot_output_size`   the explorer's figure (also when the filter does not fit)
- :func:`show_images`        a grid of images, each normalized on its own
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

__all__ = ["draw_matrix", "draw_padded_grid", "plot_output_size", "show_images", "to_display"]

# colours of the padded grid: padding, input seen by some window, input never seen
GRID_COLORS = ("#d9d9d9", "#ffffff", "#f4a6a6")
FIRST_COLOR, LAST_COLOR, BAD_COLOR = "#1f77b4", "#ff7f0e", "#d62728"
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


def _grid_image(H, W, P, unseen_rows=(), unseen_cols=()):
    """Category of each cell of the padded grid (H+2P, W+2P): 0 padding, 1 input, 2 never seen."""
    grid = np.zeros((H + 2 * P, W + 2 * P), dtype=int)
    grid[P:P + H, P:P + W] = 1
    for r in unseen_rows:
        grid[P + r, P:P + W] = 2
    for k in unseen_cols:
        grid[P:P + H, P + k] = 2
    return grid


def _draw_grid(ax, grid, P):
    """Draw the category grid with input pixel (0, 0) at coordinates (0, 0)."""
    Hp, Wp = grid.shape
    ax.imshow(grid, cmap=ListedColormap(GRID_COLORS), vmin=0, vmax=2, interpolation="nearest",
              extent=(-P - 0.5, Wp - P - 0.5, Hp - P - 0.5, -P - 0.5))
    _cell_lines(ax, Hp, Wp, offset=P)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("input column")
    ax.set_ylabel("input row")


def _window(ax, top, left, FH, FW, P, color, label):
    """Outline the filter whose top-left corner is at padded index (top, left)."""
    ax.add_patch(Rectangle((left - P - 0.5, top - P - 0.5), FW, FH, facecolor=color, alpha=0.2, edgecolor=color,
                           lw=2.5, label=label))
    ax.add_patch(Rectangle((left - P - 0.5, top - P - 0.5), FW, FH, fill=False, edgecolor=color, lw=2.5))


def draw_padded_grid(ax, report_h, report_w):
    """Draw the padded input with the filter at its first and last positions.

    Args:
        ax: matplotlib Axes.
        report_h, report_w: :class:`cnnlib.sizes.SizeReport` for the height and the
            width (from ``size_report(H, FH, S, P)`` and ``size_report(W, FW, S, P)``;
            both must have the same pad and stride).

    Grey cells are padding, white cells input pixels that some window covers, red cells
    input rows/columns that no window covers when the division is floored. Axis ticks
    are input indices: padding sits at negative indices and at H, H+1, ...

    Returns:
        ax.
    """
    P, S = report_h.pad, report_h.stride
    H, W, FH, FW = report_h.input_size, report_w.input_size, report_h.filter_size, report_w.filter_size
    _draw_grid(ax, _grid_image(H, W, P, report_h.unseen, report_w.unseen), P)
    _window(ax, 0, 0, FH, FW, P, FIRST_COLOR, "filter, first position")
    _window(ax, report_h.last_start, report_w.last_start, FH, FW, P, LAST_COLOR, "filter, last position")
    handles = [Patch(facecolor=GRID_COLORS[0], edgecolor="#888888", label=f"padding (P={P})"),
               Patch(facecolor=GRID_COLORS[1], edgecolor="#888888", label="input"),
               Patch(facecolor=FIRST_COLOR, alpha=0.4, label="filter, first position"),
               Patch(facecolor=LAST_COLOR, alpha=0.4, label="filter, last position")]
    if report_h.unseen or report_w.unseen:
        handles.insert(2, Patch(facecolor=GRID_COLORS[2], edgecolor="#888888", label="never seen"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set_title(f"{H}×{W} input, pad {P}, {FH}×{FW} filter, stride {S}", fontsize=10)
    return ax


def plot_output_size(H, W, FH, FW, P, S, figsize=(6.4, 4.2)):
    """The explorer's figure: :func:`draw_padded_grid`, or the overhanging filter in red
    when it is larger than the padded input. Never raises for positive sizes.

    Returns:
        a new matplotlib Figure (not shown; close it when done).
    """
    from ..sizes import size_report  # local import keeps viz importable on its own

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    if FH <= H + 2 * P and FW <= W + 2 * P:
        draw_padded_grid(ax, size_report(H, FH, S, P), size_report(W, FW, S, P))
        return fig
    _draw_grid(ax, _grid_image(H, W, P), P)
    ax.patch.set_hatch("//")  # the area outside the padded input
    ax.patch.set_edgecolor("#bbbbbb")
    _window(ax, 0, 0, FH, FW, P, BAD_COLOR, "filter")
    ax.legend(handles=[Patch(facecolor=GRID_COLORS[0], edgecolor="#888888", label=f"padding (P={P})"),
                       Patch(facecolor=GRID_COLORS[1], edgecolor="#888888", label="input"),
                       Patch(facecolor="white", hatch="//", edgecolor="#bbbbbb", label="outside"),
                       Patch(facecolor=BAD_COLOR, alpha=0.4, label="filter")],
              loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set_xlim(-P - 0.5, max(W + P, FW - P) - 0.5)
    ax.set_ylim(max(H + P, FH - P) - 0.5, -P - 0.5)
    ax.set_title(f"the {FH}×{FW} filter does not fit the padded {H + 2 * P}×{W + 2 * P} input",
                 fontsize=10, color=BAD_COLOR)
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
