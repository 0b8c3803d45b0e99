"""A run survives whatever ends it after an epoch of work, and what can be checked is checked first."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from torch import nn

from paperzoo.data import ShapesDataset
from paperzoo.training import load_checkpoint
from tests.reliability.conftest import RECIPE, make_trainer
from tests.training.tiny_detector import TinyDetector


def _notes(info):
    return " ".join(getattr(info.value, "__notes__", []))


def _fail_in_epoch_2(trainer, exception):
    """Make the first batch of epoch 2 raise `exception` (epoch 1 has 3 batches of 2 images)."""
    original, calls = trainer.train_step, {"n": 0}

    def step(images, targets):
        calls["n"] += 1
        if calls["n"] == 5:
            raise exception
        return original(images, targets)

    trainer.train_step = step


def test_nan_loss_after_an_epoch_keeps_the_last_completed_step(tmp_path):
    trainer = make_trainer(tmp_path)
    original, calls = trainer.module.forward, {"n": 0}

    def forward(images, targets=None):
        losses = original(images, targets)
        calls["n"] += 1
        return {k: v * float("nan") for k, v in losses.items()} if calls["n"] == 5 else losses

    trainer.module.forward = forward
    with pytest.raises(FloatingPointError, match="loss is nan at epoch 2, batch 2") as info:
        trainer.fit()
    assert "step 4: epoch 2, batch 1" in _notes(info)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert (state["epoch"], state["batches_done"], state["global_step"]) == (1, 1, 4)
    assert [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [
        1
    ]


def test_missing_image_mid_epoch_keeps_the_last_completed_step(tmp_path):
    trainer = make_trainer(tmp_path)
    _fail_in_epoch_2(trainer, FileNotFoundError("image file x.jpg does not exist"))
    with pytest.raises(FileNotFoundError) as info:
        trainer.fit()
    assert f"is saved in {tmp_path / 'checkpoint.pt'}" in _notes(info)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["global_step"] == 4


def test_unwritable_output_folder_after_an_epoch_saves_to_a_rescue_folder(tmp_path):
    out = tmp_path / "run"
    trainer = make_trainer(out)
    original = trainer.train_step

    def step(images, targets):
        if trainer.global_step == 4:  # the output folder turns into a file: nothing can be written there
            shutil.rmtree(out)
            out.write_text("not a folder")
            raise FloatingPointError("loss is nan")
        return original(images, targets)

    trainer.train_step = step
    with pytest.raises(FloatingPointError) as info:
        trainer.fit()
    notes = _notes(info)
    assert f"{out} could not be written" in notes
    rescue = notes.split("is saved in ")[1].split(";")[0]
    assert "paperzoo-rescue-" in rescue and load_checkpoint(rescue)["global_step"] == 4
    shutil.rmtree(rescue.rsplit("/", 1)[0])


def test_failed_evaluation_loses_no_training(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path, val=ShapesDataset("val", num_images=2, image_size=32))
    monkeypatch.setattr(trainer, "evaluate", lambda: (_ for _ in ()).throw(IndexError("in evaluate_voc")))
    with pytest.raises(IndexError):
        trainer.fit()
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 1
    record = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert record["epoch"] == 1 and "loss" in record and "voc_map" not in record


class _NoObjects(torch.utils.data.Dataset):
    """Validation images without a single object."""

    num_classes, classes = 5, ("a", "b", "c", "d")

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return torch.rand(3, 32, 32), {
            "boxes": torch.zeros(0, 4),
            "labels": torch.zeros(0, dtype=torch.int64),
        }


def test_validation_split_with_no_objects_evaluates(tmp_path):
    history = make_trainer(tmp_path, val=_NoObjects()).fit()
    assert history[-1]["voc_map"] == 0.0  # no class has ground truth
    assert history[-1]["coco_map"] == -1.0  # COCOeval's value for "no ground truth"


class _BatchNormDetector(TinyDetector):
    """The tiny detector with batch norm over pooled features: it cannot train on one image."""

    def __init__(self, num_classes):
        super().__init__(num_classes)
        self.norm = nn.BatchNorm1d(8)
        self.classifier = nn.Sequential(self.norm, nn.Linear(8, num_classes))


def test_final_batch_too_small_for_the_model_is_refused_before_the_first_step(tmp_path):
    train = ShapesDataset("train", num_images=5, image_size=32)  # batches of 2, 2, 1
    trainer = make_trainer(tmp_path, train=train, model=_BatchNormDetector(5))
    with pytest.raises(
        ValueError, match=r"the last batch of each epoch holds 1 image \(5 images, batch size 2\)"
    ):
        trainer.fit()
    assert trainer.global_step == 0 and not list(tmp_path.iterdir())
    make_trainer(
        tmp_path, train=train, recipe=RECIPE.replace(batch_size=3), model=_BatchNormDetector(5)
    ).fit()


class _Files(ShapesDataset):
    def __init__(self, files):
        super().__init__("train", num_images=4, image_size=32)
        self.files = files

    def image_files(self):
        return self.files


def test_missing_image_files_and_empty_sets_are_found_before_the_first_step(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"")
    trainer = make_trainer(tmp_path / "run", train=_Files([tmp_path / "a.jpg", tmp_path / "b.jpg"]))
    with pytest.raises(
        FileNotFoundError, match=r"1 image files of the training set are missing, e.g. .*b\.jpg"
    ):
        trainer.fit()
    empty = type("Empty", (_NoObjects,), {"__len__": lambda self: 0})()
    with pytest.raises(ValueError, match="the validation set is empty"):
        make_trainer(None, val=empty)
    with pytest.raises(ValueError, match="the training set is empty"):  # was a ZeroDivisionError
        make_trainer(None, train=empty)


def test_unwritable_output_is_found_before_the_first_step(tmp_path):
    (tmp_path / "file").write_text("")
    trainer = make_trainer(tmp_path / "file" / "run")
    with pytest.raises(OSError):
        trainer.fit()
    assert trainer.global_step == 0
