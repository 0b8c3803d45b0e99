"""Checkpoints: damage is refused, missing entries are named, loading never downloads, resume checks settings."""

from __future__ import annotations

import pytest
import torch

import paperzoo.training
from paperzoo.training import CheckpointError, load_checkpoint, load_trained_model, save_checkpoint
from tests.reliability.conftest import make_trainer
from tests.training.tiny_detector import TinyDetector


def _flip_one_bit_in_the_weights(source, target):
    data = bytearray(source.read_bytes())
    data[-2000] ^= 0x40  # inside the last tensor's storage, before the zip's central directory
    target.write_bytes(bytes(data))


def test_a_flipped_bit_is_refused(tmp_path, checkpoint):
    damaged = tmp_path / "damaged.pt"
    _flip_one_bit_in_the_weights(checkpoint, damaged)
    with pytest.raises(
        CheckpointError, match=r"damaged\.pt is corrupt: its part .* fails its CRC-32 checksum"
    ):
        load_checkpoint(damaged)


def test_every_single_bit_flip_in_a_small_checkpoint_is_refused_or_harmless(tmp_path):
    path = save_checkpoint({"model": {"w": torch.arange(64.0)}}, tmp_path / "c.pt")
    data = path.read_bytes()
    damaged = tmp_path / "d.pt"
    for position in range(0, len(data), 7):
        flipped = bytearray(data)
        flipped[position] ^= 1
        damaged.write_bytes(bytes(flipped))
        try:
            state = load_checkpoint(damaged)
        except CheckpointError:
            continue
        assert torch.equal(state["model"]["w"], torch.arange(64.0)), position


@pytest.mark.parametrize("key", ["num_classes", "model"])
def test_a_checkpoint_missing_an_entry_names_it(tmp_path, checkpoint, tiny_registry, key):
    state = load_checkpoint(checkpoint)
    del state[key], state["format"]
    save_checkpoint(state, tmp_path / "partial.pt")
    with pytest.raises(CheckpointError, match=f"lacks '{key}', needed to rebuild the model"):
        load_trained_model(tmp_path / "partial.pt")


def test_resume_names_missing_entries(tmp_path, checkpoint):
    state = load_checkpoint(checkpoint)
    del state["optimizer"], state["format"]
    save_checkpoint(state, tmp_path / "partial.pt")
    with pytest.raises(CheckpointError, match="lacks 'optimizer', needed to resume training"):
        make_trainer(tmp_path).resume(tmp_path / "partial.pt")


def test_loading_never_passes_weight_downloading_arguments(tmp_path, checkpoint, monkeypatch):
    state = load_checkpoint(checkpoint)
    del state["format"]
    crafted = {"weights": "DEFAULT", "weights_backbone": "IMAGENET1K_V1", "pretrained": True,
               "progress": True, "model_url": "http://example.invalid", "width_mult": 0.5}  # fmt: skip
    save_checkpoint({**state, "model_kwargs": crafted}, tmp_path / "crafted.pt")
    received = {}

    def build_model(name, num_classes, model_kwargs):
        received.update(model_kwargs)
        return TinyDetector(num_classes)

    monkeypatch.setattr(paperzoo.training, "build_model", build_model)
    load_trained_model(tmp_path / "crafted.pt")
    assert received == {"width_mult": 0.5}


@pytest.mark.parametrize(
    ("change", "message"),
    [({"seed": 1}, "seed 0 -> 1"), ({"settings": {"image_size": 64}}, "image_size None -> 64"),
     ({"model_kwargs": {"width_mult": 0.5}}, "model_kwargs {} -> {'width_mult': 0.5}")],
    ids=["seed", "image size", "builder arguments"],
)  # fmt: skip
def test_resume_with_other_settings_is_refused_unless_forced(tmp_path, change, message):
    make_trainer(tmp_path, recipe=make_trainer(None).recipe.replace(epochs=1)).fit()
    other = make_trainer(tmp_path, **change)
    with pytest.raises(CheckpointError, match=f"trained with other settings \\({message}"):
        other.resume()
    other.resume(force=True)
    assert other.epoch == 1


def test_resume_with_another_dataset_is_refused(tmp_path):
    make_trainer(
        tmp_path, recipe=make_trainer(None).recipe.replace(epochs=1), settings={"data": "shapes"}
    ).fit()
    with pytest.raises(CheckpointError, match="data 'shapes' -> 'voc:/data'"):
        make_trainer(tmp_path, settings={"data": "voc:/data"}).resume()
