"""Training: the loop that turns a network and data into learned weights.

- ``trainer.py``  ``Trainer``: epochs of shuffled mini-batches, evaluation, snapshots,
                  checkpoints to resume
- ``progress.py`` ``Progress``: one line updated in place (a notebook stores its final state)
- ``plots.py``    ``plot_history`` and the live learning curves; ``quick_mode`` (the short
                  runs of CI)
- ``cli.py``      the training command, ``python -m cnnlib.train`` or ``cnnlib-train``
                  (``__main__.py`` runs it)

Training uses the network core and the data; the network core never imports training.
"""

from .plots import plot_history, quick_mode
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "plot_history", "quick_mode"]
