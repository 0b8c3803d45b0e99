"""Shared pieces of the reliability suite: a tiny registered detector and a trained checkpoint of it."""

from __future__ import annotations

import pytest
import torch

import paperzoo.training
from paperzoo.data import ShapesDataset
from paperzoo.training import Recipe, Trainer
from tests.training.tiny_detector import TinyDetector

RECIPE = Recipe("tiny", "tiny", "shapes", "test", epochs=2, batch_size=2, lr=0.05, eval_every=1)
# CLI options that keep a `paperzoo train` run of the tiny model to a fraction of a second.
TINY = ["--num-train", "4", "--num-val", "2", "--image-size", "32", "--batch-size", "2", "--no-progress"]


def make_trainer(out_dir, *, recipe=RECIPE, train=None, val=None, model=None, **kwargs) -> Trainer:
    torch.manual_seed(0)
    train = train if train is not None else ShapesDataset("train", num_images=6, image_size=32, seed=0)
    return Trainer(model or TinyDetector(5), train, val, recipe, out_dir=out_dir, progress=False,
                   model_name="tiny", **kwargs)  # fmt: skip


@pytest.fixture
def tiny_registry(monkeypatch):
    """`paperzoo.training.build_model` builds the tiny detector for "tiny", the real models otherwise."""
    real = paperzoo.training.build_model

    def build_model(name, num_classes, model_kwargs=None, **weights):
        return (
            TinyDetector(num_classes) if name == "tiny" else real(name, num_classes, model_kwargs, **weights)
        )

    monkeypatch.setattr(paperzoo.training, "build_model", build_model)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of the tiny detector after one epoch on shapes (32 x 32)."""
    out = tmp_path_factory.mktemp("run")
    make_trainer(out, recipe=RECIPE.replace(epochs=1)).fit()
    return out / "checkpoint.pt"
