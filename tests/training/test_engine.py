"""The training loop: metrics, schedule, atomic checkpoints, exact resume, and clear checkpoint errors."""

import json
import math

import pytest
import torch

from paperzoo.data import ShapesDataset
from paperzoo.training import CheckpointError, Recipe, Trainer, load_checkpoint, save_checkpoint
from paperzoo.training.engine import lr_factor
from tests.training.tiny_detector import TinyDetector

RECIPE = Recipe("tiny", "tiny", "shapes", "test", epochs=2, batch_size=2, lr=0.05, milestones=(0.5,),
                eval_every=1)  # fmt: skip


def make_trainer(out_dir, recipe=RECIPE, num_classes=5, name="tiny", evaluate=False):
    torch.manual_seed(0)
    train = ShapesDataset("train", num_images=6, image_size=32, seed=0)
    val = ShapesDataset("val", num_images=4, image_size=32, seed=0) if evaluate else None
    return Trainer(
        TinyDetector(num_classes), train, val, recipe, out_dir=out_dir, progress=False, model_name=name
    )


def test_fit_logs_metrics_and_writes_a_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, evaluate=True)
    step_losses = []
    train_step = trainer.train_step
    trainer.train_step = lambda images, targets: (
        step_losses.append(train_step(images, targets)) or step_losses[-1]
    )
    history = trainer.fit()
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines == json.loads(json.dumps(history)) and [r["epoch"] for r in lines] == [1, 2]
    assert lines[-1]["step"] == 6  # 3 batches of 2 per epoch
    assert {"loss", "classification", "bbox_regression", "voc_map", "coco_map", "train_time_s"} <= set(
        lines[0]
    )
    assert lines[0]["loss"] == pytest.approx(sum(s["loss"] for s in step_losses[:3]) / 3)  # the epoch's mean
    assert lines[0]["lr"] == pytest.approx(0.05 * 0.1)  # the milestone at half of 6 steps has passed
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["epoch"] == 2 and state["batches_done"] == 0 and state["model_name"] == "tiny"
    assert not list(tmp_path.glob("*.tmp"))


def test_lr_factor_warmup_and_milestones():
    recipe = RECIPE.replace(warmup_steps=4, milestones=(0.5, 0.75), gamma=0.5)
    factor = lr_factor(recipe, total_steps=100)
    assert [factor(s) for s in (0, 1, 3, 49, 50, 74, 75, 99)] == [0.25, 0.5, 1, 1, 0.5, 0.5, 0.25, 0.25]


def test_lr_factor_cosine():
    factor = lr_factor(RECIPE.replace(milestones=(), schedule="cosine", warmup_steps=10), total_steps=100)
    assert factor(0) == pytest.approx(0.1 * (1 + math.cos(0)) / 2)
    assert [factor(s) for s in (9, 50, 100)] == pytest.approx([(1 + math.cos(math.pi * 0.09)) / 2, 0.5, 0])
    with pytest.raises(ValueError, match="a cosine schedule takes no milestones"):
        RECIPE.replace(schedule="cosine")
    with pytest.raises(ValueError, match="schedule must be 'step' or 'cosine', got 'linear'"):
        RECIPE.replace(schedule="linear")


def final_weights(trainer):
    return {k: v.clone() for k, v in trainer.module.state_dict().items()}


@pytest.mark.parametrize(("interrupt_at", "position"), [(4, (1, 0, 3)), (5, (1, 1, 4))])
def test_ctrl_c_checkpoints_and_resume_equals_the_uninterrupted_run(
    tmp_path, monkeypatch, interrupt_at, position
):
    """Interrupted at the first (epoch boundary) or second batch of epoch 2 of 2, then resumed."""
    reference = make_trainer(tmp_path / "a")
    reference.fit()
    interrupted = make_trainer(tmp_path / "b")
    calls = {"n": 0}
    original = interrupted.train_step

    def step_then_interrupt(images, targets):
        calls["n"] += 1
        if calls["n"] == interrupt_at:
            raise KeyboardInterrupt
        return original(images, targets)

    monkeypatch.setattr(interrupted, "train_step", step_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit()
    state = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert (state["epoch"], state["batches_done"], state["global_step"]) == position
    resumed = make_trainer(tmp_path / "b")
    resumed.resume()
    assert resumed.epoch == 1
    resumed.fit()
    for key, value in final_weights(reference).items():
        assert torch.equal(value, final_weights(resumed)[key]), key


def test_atomic_write_keeps_the_old_checkpoint_when_saving_fails(tmp_path, monkeypatch):
    path = save_checkpoint({"epoch": 1}, tmp_path / "checkpoint.pt")

    def crash(obj, file):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"epoch": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_corrupt_foreign_and_mismatched_checkpoints_name_the_file(tmp_path):
    trainer = make_trainer(tmp_path, RECIPE.replace(epochs=1))
    trainer.fit()
    path = tmp_path / "checkpoint.pt"
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=r"truncated\.pt is corrupt or truncated"):
        make_trainer(tmp_path).resume(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(1)}, foreign)
    with pytest.raises(CheckpointError, match=r"foreign\.pt is not a paperzoo training checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt was written for model 'tiny', not 'other'"):
        make_trainer(tmp_path, name="other").resume()
    with pytest.raises(
        CheckpointError,
        match=r"checkpoint\.pt does not fit the model: 2 shape mismatches "
        r"\(e\.g\. classifier\.weight: checkpoint \[5, 8\] vs model \[3, 8\]",
    ):
        make_trainer(tmp_path, num_classes=3).resume()  # fmt: skip
    with pytest.raises(FileNotFoundError, match="missing.pt does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_nan_loss_stops_with_the_epoch_and_batch(tmp_path):
    trainer = make_trainer(None)
    with torch.no_grad():
        trainer.module.box.bias.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, batch 1"):
        trainer.fit()
