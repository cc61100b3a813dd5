"""Training progress: one display updated in place in a notebook, one \\r line in a terminal."""

import io

import numpy as np

import cnnlib.train.progress as progress_module
from cnnlib.models import SimpleConvNet
from cnnlib.train import Trainer
from cnnlib.train.progress import Progress


class FakeDisplay:
    """Stands in for IPython's display: records the first object and every update, as text."""

    def __init__(self):
        self.shown, self.updates = [], []

    def __call__(self, obj, display_id=False):
        assert display_id is True  # the display must be updatable in place
        self.shown.append(repr(obj))
        return self

    def update(self, obj):
        self.updates.append(repr(obj))


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def tiny_run(epochs=2, **kw):
    rng = np.random.default_rng(0)
    x = rng.random((80, 1, 12, 12), dtype=np.float32)
    t = rng.integers(0, 4, 80)
    net = SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                        hidden_size=8, output_size=4, rng=0)
    return Trainer(net, x[:60], t[:60], x[60:], t[60:], epochs=epochs, batch_size=16, **kw)


def test_in_a_notebook_one_display_ends_in_the_final_state(monkeypatch):
    fake = FakeDisplay()
    monkeypatch.setattr(progress_module, "notebook_display", lambda: fake)
    trainer = tiny_run(epochs=2)
    history = trainer.train()
    assert len(fake.shown) == 1  # one display, then updates of it
    final = fake.updates[-1]
    train_acc, test_acc = history["train_acc"][-1], history["test_acc"][-1]
    assert final.startswith("epoch 2/2 · 8/8 batches · loss ")  # 60 images / 16 = 4 batches per epoch
    assert f"train {train_acc:.1%} · test {test_acc:.1%}" in final
    assert f"loss {np.mean(history['loss'][4:]):.3f}" in final  # the mean loss of the last epoch
    assert "epoch 1/2" in " ".join(fake.updates)  # it showed the first epoch on the way


def test_in_a_terminal_one_line_rewritten_and_ended(monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "notebook_display", lambda: None)
    history = tiny_run(epochs=2).train()
    err = capsys.readouterr().err
    assert err.startswith("\r") and err.endswith("\n") and err.count("\n") == 1  # one line, updated
    last = err.rstrip("\n").split("\r")[-1].rstrip()
    assert last.startswith("epoch 2/2 · 8/8 batches")
    assert f"test {history['test_acc'][-1]:.1%}" in last


def test_progress_false_shows_nothing(monkeypatch, capsys):
    fake = FakeDisplay()
    monkeypatch.setattr(progress_module, "notebook_display", lambda: fake)
    tiny_run(epochs=1, progress=False).train()
    assert fake.shown == fake.updates == []
    assert capsys.readouterr() == ("", "")


def test_updates_are_throttled_but_each_epoch_end_is_shown():
    fake, clock = FakeDisplay(), FakeClock()
    progress = Progress(epochs=2, total_batches=2000, display=fake, interval=0.2, clock=clock)
    for epoch in (1, 2):
        for _ in range(1000):  # 1,000 batches in 1 s: at most about 5 updates
            clock.now += 0.001
            progress.batch(epoch, loss=0.5)
        progress.epoch_end(0.9, 0.8)
    progress.close()
    assert 2 * 2 <= len(fake.updates) <= 2 * (5 + 1) + 1
    assert fake.updates[-1] == "epoch 2/2 · 2000/2000 batches · loss 0.500 · train 90.0% · test 80.0% · 2 s"


def test_a_shorter_terminal_line_covers_the_longer_one():
    stream, clock = io.StringIO(), FakeClock()
    progress = Progress(epochs=1, total_batches=3, stream=stream, interval=0.0, clock=clock)
    progress.batch(1, loss=12345.678)
    long_line = len(stream.getvalue()) - 1
    progress.batch(1, loss=0.0)  # mean 6172.839: shorter
    assert len(stream.getvalue().split("\r")[-1]) >= long_line
