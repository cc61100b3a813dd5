"""Two real photographs for filter demos and AlexNet, and the crops and resizing they need.

The photographs ship with cnnlib (``embedded/china.jpg``, ``embedded/flower.jpg``: the
scikit-learn sample images, CC BY 2.0; attribution in ``embedded/README.md``).
"""

import numpy as np

from .embedded import embedded_file

__all__ = ["sample_image", "center_crop", "resize_image", "SAMPLE_IMAGES"]

SAMPLE_IMAGES = ("china", "flower")


def _size_pair(size):
    """``size`` (an int s for (s, s), or an (h, w) pair of ints, each >= 1) as (h, w)."""
    values = tuple(size) if isinstance(size, (tuple, list)) or np.ndim(size) == 1 else (size, size)
    if len(values) != 2 or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"size must be None, an int or an (h, w) pair of ints, got size={size!r} ({type(size).__name__})")
    if min(values) < 1:
        raise ValueError(f"size must be positive (>= 1 pixel), got size={size!r}")
    return int(values[0]), int(values[1])


def center_crop(image, size=None):
    """The centered ``(h, w)`` region of an image ``(C, H, W)`` or ``(H, W)``.

    ``size``: None for the largest square (side ``min(H, W)``), an int ``s`` for
    ``(s, s)``, or a pair ``(h, w)``; it must fit inside the image.
    """
    H, W = image.shape[-2:]
    h, w = (min(H, W),) * 2 if size is None else _size_pair(size)
    if not (h <= H and w <= W):
        raise ValueError(f"crop size ({h}, {w}) must fit inside the image ({H}, {W})")
    top, left = (H - h) // 2, (W - w) // 2
    return image[..., top:top + h, left:left + w]


def resize_image(image, size):
    """Resize an image ``(C, H, W)`` or ``(H, W)`` to ``size`` (an int for a square, or
    ``(h, w)``) with Pillow's bicubic filter, channel by channel in float32.

    Returns float32 ``(C, h, w)`` or ``(h, w)``, clipped to the input's value range
    (bicubic interpolation overshoots slightly at sharp edges).
    """
    from PIL import Image  # only needed here

    h, w = _size_pair(size)
    channels = image.reshape(-1, *image.shape[-2:]).astype(np.float32)
    out = np.stack([np.asarray(Image.fromarray(c).resize((w, h), Image.Resampling.BICUBIC))
                    for c in channels])
    return np.clip(out, image.min(), image.max()).reshape(*image.shape[:-2], h, w)


def sample_image(name, gray=False, size=None):
    """A real photograph (scikit-learn's sample images, shipped with cnnlib, CC BY 2.0) for
    filter demos and AlexNet.

    Args:
        name: "china" (a temple) or "flower"; "china.jpg"/"flower.jpg" also work.
            Both are 427 x 640 pixels.
        gray: True gives the luma ``0.299 R + 0.587 G + 0.114 B`` as one channel.
        size: None keeps the whole photo; an int ``s`` crops the centered square and
            resizes it to ``(s, s)`` (``size=227`` for AlexNet); a pair ``(h, w)`` crops
            the centered region of that aspect ratio and resizes it to ``(h, w)``.

    Returns:
        float32 in [0, 1], shape ``(3, H, W)`` (CHW: one image of an NCHW batch), or
        ``(H, W)`` when ``gray``. Add the batch axis with ``x[None]``.

    Raises:
        ValueError: unknown ``name``, a ``size`` below 1, or the shipped JPEG does not match its SHA-256.
        TypeError: a ``size`` that is not an int or a pair of ints.
    """
    stem = str(name).removesuffix(".jpg")
    if stem not in SAMPLE_IMAGES:
        raise ValueError(f"name must be one of {SAMPLE_IMAGES}, got name={name!r}")
    h, w = (None, None) if size is None else _size_pair(size)  # checked before the photo is read
    path = embedded_file(f"{stem}.jpg")  # checked against its SHA-256
    from PIL import Image  # loaded on use: `import cnnlib` stays light

    with Image.open(path) as photo:
        image = np.asarray(photo.convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255  # HWC -> CHW
    if gray:
        R, G, B = image
        # element by element, not a matrix product: BLAS kernels differ by CPU in the last bit
        luma = np.float32(0.299) * R + np.float32(0.587) * G + np.float32(0.114) * B
        image = np.clip(luma, 0, 1)  # float rounding may give 1.0000001
    if size is not None:
        H, W = image.shape[-2:]
        scale = min(H / h, W / w)  # the largest centered region with the aspect ratio h : w
        image = resize_image(center_crop(image, (max(1, round(h * scale)), max(1, round(w * scale)))), (h, w))
    return np.ascontiguousarray(image, dtype=np.float32)
