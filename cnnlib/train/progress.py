"""Training progress as one line that is updated in place.

In a notebook the line is one display that ``Progress`` updates (IPython's
``display(..., display_id=True)`` and ``handle.update``), so a saved notebook stores its
final state, e.g. ``epoch 8/8 · 800/800 batches · loss 0.052 · train 98.9% · test 97.1% · 27 s``,
which is what GitHub and nbviewer show. In a terminal it is one line rewritten with ``\\r``.
Updates are throttled (at most one per ``interval`` seconds, plus one at each epoch end).
"""

import sys
import time

__all__ = ["Progress", "notebook_display"]


def notebook_display():
    """IPython's ``display`` when running in a notebook kernel, else None.

    IPython is looked up only if already loaded: in a plain terminal nothing heavy loads.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":  # a Jupyter kernel
        return None
    from IPython.display import display
    return display


class _Line:
    """The progress text with a plain repr, so a notebook shows it without quotes."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


class Progress:
    """Where a training run is: epoch, batches, mean loss of the epoch so far, last accuracies, time.

    Args:
        epochs: the epoch the run ends at (``Trainer.epochs``).
        total_batches: batches this run will do.
        enabled: False shows nothing at all.
        display: ``"auto"``: IPython's ``display`` in a notebook (:func:`notebook_display`), else
            the terminal; or a function like it (called as ``display(obj, display_id=True)``,
            returning a handle with ``update(obj)``); None: the terminal, ``stream``.
        stream: where the terminal line goes (default ``sys.stderr``).
        interval: at least this many seconds between two updates within an epoch.
        clock: the time source, seconds (``time.monotonic``).
    """

    def __init__(self, epochs, total_batches, enabled=True, display="auto", stream=None, interval=0.2,
                 clock=time.monotonic):
        self.epochs, self.total, self.enabled = epochs, total_batches, enabled
        self.stream, self.interval, self.clock = stream, interval, clock
        self.batches, self.epoch, self.losses, self.accuracies = 0, None, [], None
        self.start = self.last_shown = clock()
        self.text, self._width = "", 0
        if display == "auto":
            display = notebook_display() if enabled else None
        self._handle = display(_Line(self._format()), display_id=True) if enabled and display else None

    def _format(self):
        parts = [f"epoch {self.epoch}/{self.epochs}" if self.epoch else f"epoch -/{self.epochs}",
                 f"{self.batches}/{self.total} batches"]
        if self.losses:
            parts.append(f"loss {sum(self.losses) / len(self.losses):.3f}")
        if self.accuracies:
            parts += [f"train {self.accuracies[0]:.1%}", f"test {self.accuracies[1]:.1%}"]
        parts.append(f"{self.clock() - self.start:.0f} s")
        return " · ".join(parts)

    def batch(self, epoch, loss):
        """One batch of ``epoch`` (counted from 1) is done, with this loss."""
        if epoch != self.epoch:
            self.epoch, self.losses = epoch, []
        self.batches += 1
        self.losses.append(float(loss))
        if self.clock() - self.last_shown >= self.interval:
            self._show()

    def epoch_end(self, train_acc, test_acc):
        """The epoch is done and evaluated: always shown."""
        self.accuracies = (train_acc, test_acc)
        self._show()

    def close(self):
        """Show the final state (and end the terminal line)."""
        if self.enabled:
            self._show()
            if self._handle is None:
                (self.stream or sys.stderr).write("\n")

    def _show(self):
        if not self.enabled:
            return
        self.last_shown = self.clock()
        self.text = self._format()
        if self._handle is not None:
            self._handle.update(_Line(self.text))
        else:
            stream = self.stream or sys.stderr
            stream.write("\r" + self.text.ljust(self._width))  # spaces cover a longer previous line
            self._width = len(self.text)
            stream.flush()
