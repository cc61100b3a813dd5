"""What shows training progress: learning curves, drawn once or redrawn live.

The Trainer only calls :class:`LivePlot`; matplotlib loads when a plot is drawn.
"""

import os

import numpy as np

__all__ = ["plot_history", "LivePlot", "quick_mode"]


class LivePlot:
    """Learning curves in a notebook, redrawn in place after each epoch."""

    def __init__(self):
        from IPython.display import display
        import matplotlib.pyplot as plt

        self.fig, self.axes = plt.subplots(1, 2, figsize=(9, 3))
        plt.close(self.fig)  # shown through the display handle only, not again at cell end
        self.handle = display(self.fig, display_id=True)

    def update(self, history, iters_per_epoch):
        plot_history(history, self.axes, iters_per_epoch)
        self.fig.tight_layout()
        self.handle.update(self.fig)


def plot_history(history, axes=None, iters_per_epoch=None):
    """Draw the loss per iteration and the accuracies per epoch on two matplotlib axes.

    Args:
        history: ``Trainer.history`` (or the dict saved by the training command).
        axes: two axes; new ones are created if None.
        iters_per_epoch: if given, the loss is plotted against epochs instead of iterations.

    Returns the two axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3))
    ax_loss, ax_acc = axes
    ax_loss.clear()
    ax_acc.clear()
    loss = np.asarray(history["loss"])
    steps = np.arange(1, len(loss) + 1) / (iters_per_epoch or 1)
    ax_loss.plot(steps, loss, lw=0.8)
    ax_loss.set(xlabel="epoch" if iters_per_epoch else "iteration", ylabel="loss", title="training loss")
    epochs = np.arange(1, len(history["test_acc"]) + 1)
    ax_acc.plot(epochs, history["train_acc"], "o-", label="train")
    ax_acc.plot(epochs, history["test_acc"], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    ax_acc.legend()
    return axes


def quick_mode(what="1 epoch per training run"):
    """True when ``CNNLIB_QUICK=1`` is set: the short mode in which CI runs the notebooks.

    It then prints one line saying so (``what`` tells what is shortened), so that
    nobody takes the numbers that follow for the real results.
    """
    quick = os.environ.get("CNNLIB_QUICK") == "1"
    if quick:
        print(f"CNNLIB_QUICK=1: short mode, {what}; the numbers below are NOT the real results")
    return quick
