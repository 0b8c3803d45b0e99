"""Stand-ins for published weights files: a state dict saved locally, with its own SHA-256 recorded."""

from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import save_file

from paperzoo.weights import Weights, get_weights
from paperzoo.weights.download import sha256_of


def local_weights(
    folder: Path, model: str, tag: str, state_dict: dict[str, torch.Tensor], part: str = "model"
) -> Weights:
    """The catalog entry `model.tag`, loading `state_dict` from a file in `folder` instead of downloading."""
    entry = get_weights(model, tag, part)
    path = folder / entry.file_name
    if path.suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in state_dict.items()}, path)
    else:
        torch.save(state_dict, path)
    return replace(entry, sha256=sha256_of(path)).using(file=path)
