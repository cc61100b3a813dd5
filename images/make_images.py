"""Make every figure of images/: ``python images/make_images.py [OUT_DIR]`` (default: images/).

Deterministic: matplotlib's defaults with fixed sizes and dpi, rendered to pixels by Agg
and written by Pillow (PNG without metadata, GIF frames with fixed durations), so the
same versions of the pinned packages give the same pixels. ``tests/test_images.py``
re-makes them into a temporary folder and fails when a committed figure is stale.

- ``conv_no_padding.gif``, ``conv_same_padding.gif``, ``conv_stride_2.gif``,
  ``conv_dilation_2.gif``, ``pool_2x2.gif``: convolution arithmetic in the manner of
  Dumoulin and Visin's guide (blue: the input, dashed: padding, shaded: the window;
  green: the output cell it makes), window positions from :func:`cnnlib.course.explain.window_at`;
- ``im2col.png``: windows become rows of ``col``, the book's (9, 75) example, computed by
  :func:`cnnlib.im2col`;
- ``lenet5.png``, ``alexnet.png``: the architectures, shapes from :func:`cnnlib.summary`;
- ``conv_arithmetic.png``: the README's figure, one frame of each animation.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

import cnnlib  # noqa: E402
from cnnlib.course.explain import window_at  # noqa: E402
from cnnlib.layers import Affine, Convolution, Pooling  # noqa: E402

INPUT, PAD, WINDOW, OUTPUT, EDGE = "#6baed6", "#ffffff", "#08306b", "#74c476", "#333333"
DPI = 80
FRAME_MS = 700

# (file, title, H, W, F, P, S, D, pooling): the guide's cases, and a 2x2 max pooling
ANIMATIONS = [
    ("conv_no_padding", "3×3 filter, no padding", 4, 4, 3, 0, 1, 1, False),
    ("conv_same_padding", '"same" padding: P = 1', 5, 5, 3, 1, 1, 1, False),
    ("conv_stride_2", "stride 2, P = 1", 5, 5, 3, 1, 2, 1, False),
    ("conv_dilation_2", "dilation 2", 7, 7, 3, 0, 1, 2, False),
    ("pool_2x2", "2×2 max pooling, stride 2", 4, 4, 2, 0, 2, 1, True),
]


def _settings():
    plt.rcdefaults()
    plt.rcParams.update({"font.size": 10, "font.family": "DejaVu Sans", "savefig.dpi": DPI, "figure.dpi": DPI})


def _pixels(fig):
    """The figure as an RGB Pillow image (Agg's pixels, no file format in between)."""
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    return image


def _cell(ax, row, col, face, dashed=False, alpha=1.0):
    return ax.add_patch(Rectangle((col, -row - 1), 1, 1, facecolor=face, edgecolor=EDGE, lw=1,
                                  linestyle="--" if dashed else "-", alpha=alpha))


def animation_frames(case):
    """One Pillow image per window position of ``case``: the grids are drawn once, the
    window and the output cell it makes are added, rendered and removed frame by frame."""
    _, title, H, W, F, P, S, D, pooling = case
    OH, OW = window_at(H, W, F, F, P, S, D).out_shape
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(5.0, 2.8))
    fig.suptitle(title, fontsize=10)
    for r in range(-P, H + P):
        for c in range(-P, W + P):
            inside = 0 <= r < H and 0 <= c < W
            _cell(ax_in, r + P, c + P, INPUT if inside else PAD, dashed=not inside)
    for r in range(OH):
        for c in range(OW):
            _cell(ax_out, r, c, "#e5f5e0")
    size = H + 2 * P
    for ax in (ax_in, ax_out):
        ax.set_xlim(-0.2, size + 0.2)
        ax.set_ylim(-size - 0.2, 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
    ax_in.set_title(f"input {H}×{W}" + (f", pad {P}" if P else ""), fontsize=9)
    ax_out.set_title(f"output {OH}×{OW}", fontsize=9)
    frames = []
    for index in range(OH * OW):
        window = window_at(H, W, F, F, P, S, D, index)
        moving = [_cell(ax_in, r + P, c + P, WINDOW, alpha=0.45) for r in window.rows for c in window.cols]
        moving.append(_cell(ax_out, window.out_row, window.out_col, OUTPUT))
        fig.canvas.draw()
        frames.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
        for patch in moving:
            patch.remove()
    plt.close(fig)
    return frames


def save_gif(frames, path):
    frames = [f.convert("P", palette=Image.Palette.ADAPTIVE, colors=64) for f in frames]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0, optimize=False)


def save_png(image, path):
    image.save(path, format="PNG", optimize=False)  # Pillow writes no metadata unless asked


def im2col_figure():
    """The book's example: x (1, 3, 7, 7), a 5×5 filter -> col (9, 75)."""
    x = np.arange(3 * 7 * 7, dtype=np.float64).reshape(1, 3, 7, 7)
    col = cnnlib.im2col(x, 5, 5, stride=1, pad=0)
    fig, (ax_x, ax_col) = plt.subplots(1, 2, figsize=(9.0, 3.2), width_ratios=(1, 3))
    colors = plt.get_cmap("tab10")(np.arange(9))
    for r in range(7):
        for c in range(7):
            _cell(ax_x, r, c, "#f0f0f0")
    for k, (i, j) in enumerate([(0, 0), (1, 1), (2, 2)]):  # three of the nine windows
        ax_x.add_patch(Rectangle((j, -i - 5), 5, 5, fill=False, lw=2.5,
                                 edgecolor=colors[4 * k]))
    ax_x.set_xlim(-0.3, 7.5)
    ax_x.set_ylim(-7.5, 0.3)
    ax_x.set_aspect("equal")
    ax_x.axis("off")
    ax_x.set_title(f"x {x.shape}: 9 windows of 5×5×3", fontsize=9)
    shade = np.tile(colors[:, None, :3], (1, col.shape[1], 1)) * 0.55 + 0.45
    ax_col.imshow(shade, aspect="auto", interpolation="nearest")
    for k in (0, 4, 8):
        ax_col.text(col.shape[1] / 2, k, f"window {k} → row {k}", ha="center", va="center", fontsize=8)
    ax_col.set_yticks(range(9))
    ax_col.set_xticks([0, 25, 50, 74])
    for edge in (24.5, 49.5):                                 # the channels' blocks of 25 columns
        ax_col.axvline(edge, color=EDGE, lw=1.5)
    ax_col.set_xlabel("C·FH·FW = 75 columns: channel 0 | channel 1 | channel 2")
    ax_col.set_title(f"col = im2col(x, 5, 5): shape {col.shape}", fontsize=9)
    fig.tight_layout()
    return _pixels(fig)


def _describe(layer, row):
    if isinstance(layer, Convolution):
        FN, C, FH, FW = layer.params["W"].shape
        return f"conv {FH}×{FW}" + (f"/{layer.stride}" if layer.stride != 1 else "") + f"\n{FN}@{row.output_shape[1]}×{row.output_shape[2]}"
    if isinstance(layer, Pooling):
        return f"pool {layer.pool_h}×{layer.pool_w}/{layer.stride}\n{row.output_shape[0]}@{row.output_shape[1]}×{row.output_shape[2]}"
    return f"fc\n{row.output_shape[0]}"


def architecture_figure(model, input_shape, title):
    """Boxes for the convolutions, poolings and affine layers of ``model``, labelled from
    :func:`cnnlib.summary` (output shapes) and the layers themselves (filter sizes)."""
    rows = cnnlib.summary(model, input_shape).rows
    kept = [(layer, row) for layer, row in zip(model.layers, rows) if isinstance(layer, (Convolution, Pooling, Affine))]
    fig, ax = plt.subplots(figsize=(1.15 * (len(kept) + 1), 3.0))
    heights = [np.sqrt(r.output_shape[1]) if len(r.output_shape) == 3 else 1.2 for _, r in kept]
    scale = 2.2 / max([np.sqrt(input_shape[1])] + heights)
    h0 = np.sqrt(input_shape[1]) * scale
    ax.add_patch(Rectangle((0, -h0 / 2), 0.6, h0, facecolor="#f0f0f0", edgecolor=EDGE))
    ax.text(0.3, -1.45, f"input\n{input_shape[0]}@{input_shape[1]}×{input_shape[2]}", ha="center", va="top", fontsize=8)
    for k, ((layer, row), h) in enumerate(zip(kept, heights), 1):
        face = {Convolution: "#6baed6", Pooling: "#fd8d3c", Affine: "#74c476"}[type(layer)]
        ax.add_patch(Rectangle((k * 1.0, -h * scale / 2), 0.6, h * scale, facecolor=face, edgecolor=EDGE))
        ax.annotate("", xy=(k * 1.0, 0), xytext=(k * 1.0 - 0.4, 0), arrowprops={"arrowstyle": "->", "lw": 1})
        ax.text(k * 1.0 + 0.3, -1.45, _describe(layer, row), ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.2, len(kept) + 0.8)
    ax.set_ylim(-2.3, 1.3)
    ax.axis("off")
    total = cnnlib.summary(model, input_shape)
    ax.set_title(f"{title}: {total.total_params:,} parameters, {total.total_macs:,} multiply-adds", fontsize=10)
    return _pixels(fig)


def banner(frames_by_case):
    """One frame of each convolution animation side by side (the README's figure)."""
    picks = [frames_by_case[name][min(1, len(frames_by_case[name]) - 1)] for name, *_ in ANIMATIONS[:4]]
    width, height = sum(p.width for p in picks), max(p.height for p in picks)
    strip = Image.new("RGB", (width, height), "white")
    x = 0
    for p in picks:
        strip.paste(p, (x, 0))
        x += p.width
    return strip.resize((width * 3 // 4, height * 3 // 4), Image.Resampling.LANCZOS)


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _settings()
    frames_by_case = {}
    for case in ANIMATIONS:
        frames_by_case[case[0]] = animation_frames(case)
        save_gif(frames_by_case[case[0]], out / f"{case[0]}.gif")
    save_png(im2col_figure(), out / "im2col.png")
    save_png(architecture_figure(cnnlib.LeNet5(), (1, 28, 28), "LeNet-5 (classic)"), out / "lenet5.png")
    save_png(architecture_figure(cnnlib.AlexNet(), (3, 227, 227), "AlexNet"), out / "alexnet.png")
    save_png(banner(frames_by_case), out / "conv_arithmetic.png")
    return sorted(p.name for p in out.iterdir() if p.suffix in (".png", ".gif"))


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)))
