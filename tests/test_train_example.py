"""The digits training example (minitorch/examples/train_digits.py): accuracy, checkpoint round trip, resume."""
import pytest

import minitorch
from minitorch.datasets import load_digits
from minitorch.examples import train_digits


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """kind -> (model, test accuracy, checkpoint path) of a full default run; each trained once per module."""
    runs = {}

    def run(kind):
        if kind not in runs:
            path = tmp_path_factory.mktemp(kind) / "checkpoint.safetensors"
            runs[kind] = (*train_digits.train(kind, checkpoint=path, show_progress=False), path)
        return runs[kind]
    return run


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_reaches_97_percent(kind, trained):
    model, accuracy, path = trained(kind)
    assert accuracy >= 0.97
    assert minitorch.load(path)["epoch"] == train_digits.EPOCHS[kind]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_checkpoint_round_trip_and_resume(kind, tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    interrupted, _ = train_digits.train(kind, epochs=2, checkpoint=path, stop_after=1, show_progress=False)

    model = train_digits.build_model(kind)
    optimizer = minitorch.optim.Adam(model.parameters())
    scheduler = minitorch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=2)
    generator = minitorch.Generator()
    assert train_digits.load_checkpoint(path, model, optimizer, scheduler, generator) == 1
    images, _ = load_digits(train=False)
    with minitorch.no_grad():
        assert minitorch.equal(model(images), interrupted(images))
    assert optimizer.state_dict()["state"][0]["step"].item() == 46  # one epoch: ceil(1442 / 32) steps
    assert scheduler.last_epoch == 1

    resumed, resumed_accuracy = train_digits.train(kind, epochs=2, resume=path, show_progress=False)
    straight, straight_accuracy = train_digits.train(kind, epochs=2, show_progress=False)
    for (name, a), (_, b) in zip(resumed.named_parameters(), straight.named_parameters()):
        assert minitorch.equal(a, b), name
    assert resumed_accuracy == straight_accuracy


def test_checkpoint_matches_torch_state_dict_layout(torch, trained):
    """The saved model weights have the names and shapes of the same network built with PyTorch."""
    saved = minitorch.load(trained("cnn")[2])["model"]
    nn = torch.nn
    reference = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(128, 10))
    expected = {name: tuple(t.shape) for name, t in reference.state_dict().items()}
    assert {name: tuple(t.shape) for name, t in saved.items()} == expected


def test_progress_line_without_tqdm(monkeypatch, capsys):
    monkeypatch.setattr(train_digits, "tqdm", None)
    monkeypatch.setattr(train_digits, "_stderr_is_terminal", lambda: True)
    train_digits.train("mlp", epochs=1)
    captured = capsys.readouterr()
    assert "\repoch 1/1 46/46 loss " in captured.err
    assert "epoch 1/1: train loss " in captured.out


def test_progress_with_tqdm(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(train_digits, "_stderr_is_terminal", lambda: True)
    train_digits.train("mlp", epochs=1)
    captured = capsys.readouterr()
    assert "epoch 1/1:   0%| " in captured.err and " 0/46 [" in captured.err  # tqdm draws on stderr
    assert "epoch 1/1: train loss " in captured.out


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_no_progress_fragments_when_stderr_is_not_a_terminal(monkeypatch, capsys, with_tqdm):
    if not with_tqdm:
        monkeypatch.setattr(train_digits, "tqdm", None)
    train_digits.train("mlp", epochs=1)  # under capsys, stderr is not a terminal
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("epoch 1/1: train loss ") and "\r" not in captured.out


def test_command_line(capsys):
    train_digits.main(["--model", "mlp", "--epochs", "1"])
    assert "mlp: test accuracy " in capsys.readouterr().out


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'rnn'"):
        train_digits.build_model("rnn")
