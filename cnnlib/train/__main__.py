"""``python -m cnnlib.train``: the training command (see :mod:`cnnlib.train.cli`)."""

import sys

from .cli import main

sys.exit(main())
