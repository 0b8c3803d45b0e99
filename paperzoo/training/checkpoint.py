"""Training checkpoints: atomic writes, verified and safe loading, errors that name the file and the mismatch.

A checkpoint is a plain dict of tensors and Python primitives, so it loads with
`torch.load(weights_only=True)` (no arbitrary unpickling). It is written to a temporary file in the
same folder, flushed to disk, then renamed over the old one with `os.replace`, which is atomic: an
interrupted or crashed run leaves either the previous checkpoint or the new one, never a truncated
file (and the temporary files of a killed writer are removed by the next save).

`torch.save` writes a zip archive whose members carry CRC-32 checksums, but `torch.load` does not
check them: a file with one flipped bit loads with a wrong weight. `load_checkpoint` verifies every
member's checksum first, so damage after writing (a bad disk, a broken copy) is refused.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from paperzoo.atomic_files import write_atomically

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "capture_rng_state",
    "load_checkpoint",
    "load_model_state",
    "require_keys",
    "restore_rng_state",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "paperzoo-checkpoint-1"


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, not a paperzoo checkpoint, or does not fit the model."""


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write `state` to `path` atomically (temporary file in the same folder, fsync, `os.replace`).

    Temporary files left beside `path` by a writer that was killed mid-save are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, lambda file: torch.save({"format": CHECKPOINT_FORMAT, **state}, file))


def _verify_checksums(path: Path) -> None:
    """Check the CRC-32 of every member of the zip archive `torch.save` wrote."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except Exception as exc:  # a damaged archive fails in many ways: BadZipFile, UnicodeDecodeError, ...
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated: {exc or type(exc).__name__}"
        ) from None
    if damaged is not None:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: its part {damaged!r} fails its CRC-32 checksum "
            "(the file was damaged after it was written); use another copy"
        )


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by [`save_checkpoint`][paperzoo.training.checkpoint.save_checkpoint].

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointError: If the file is truncated or corrupt, holds objects that `weights_only`
            loading refuses, or is not a paperzoo checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    _verify_checksums(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated: {first_line}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            f"checkpoint {path} is not a paperzoo training checkpoint (format {found!r}, "
            f"expected {CHECKPOINT_FORMAT!r})"
        )
    return state


def require_keys(state: dict[str, Any], keys: tuple[str, ...], path: str | Path, purpose: str) -> None:
    """Check that a loaded checkpoint holds `keys`.

    Raises:
        CheckpointError: Naming the file, the missing keys and what they are needed for.
    """
    missing = [key for key in keys if key not in state]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} lacks {', '.join(map(repr, missing))}, needed to {purpose} "
            "(it was written by another tool or edited)"
        )


def load_model_state(
    model: nn.Module, state: dict[str, Any], path: str | Path, model_name: str | None
) -> None:
    """Load the model weights of a checkpoint, checking that it was written for this model.

    Raises:
        CheckpointError: If the checkpoint's model name, number of classes or tensors differ from
            the model's; the message names the file and the first differences.
    """
    if model_name is not None and state.get("model_name") not in (None, model_name):
        raise CheckpointError(
            f"checkpoint {path} was written for model {state['model_name']!r}, not {model_name!r}"
        )
    require_keys(state, ("model",), path, "load the weights")
    saved = state["model"]
    if not isinstance(saved, dict) or not all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise CheckpointError(f"checkpoint {path}: its 'model' entry is not a dict of tensors")
    current = model.state_dict()
    missing = sorted(set(current) - set(saved))
    unexpected = sorted(set(saved) - set(current))
    shapes = [
        f"{key}: checkpoint {list(saved[key].shape)} vs model {list(current[key].shape)}"
        for key in current
        if key in saved and saved[key].shape != current[key].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} tensors (e.g. {', '.join(missing[:3])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensors (e.g. {', '.join(unexpected[:3])})")
    if shapes:
        problems.append(f"{len(shapes)} shape mismatches (e.g. {'; '.join(shapes[:3])})")
    if problems:
        raise CheckpointError(f"checkpoint {path} does not fit the model: " + "; ".join(problems))
    model.load_state_dict(saved)


def capture_rng_state() -> dict[str, Any]:
    """The Python and torch (CPU and CUDA) random states, as checkpoint-safe values."""
    version, internal, gauss = random.getstate()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore the random states captured by [`capture_rng_state`][paperzoo.training.checkpoint.capture_rng_state]."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
