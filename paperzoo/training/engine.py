"""The training loop: optimiser and schedule from a recipe, progress, metrics, checkpoints, resume, DDP.

Any model that follows torchvision's detection contract trains here: in train mode
`model(images, targets)` returns a dict of losses (summed for the backward pass), in eval mode a
list of `{"boxes", "scores", "labels"}`.

Resuming is exact. The sampling order of an epoch is a function of `(seed, epoch)` (a
`DistributedSampler`, also for one process), so a run interrupted after `b` batches of an epoch
resumes at batch `b + 1` with the same order, and the random states are those from just before
that batch was drawn: with `num_workers=0` a resumed run reproduces the uninterrupted one bit for
bit on the same machine.

Whatever ends a run leaves its work on disk. Before the first step `fit` checks what can be checked
(the output folder is writable, both datasets are non-empty and readable, every image file exists, the
last batch of an epoch is not too small for the model); it saves after training each epoch and before
evaluating it; on any exception (a diverging loss, a file that vanished, a failed evaluation, an
interrupt) it saves the state of the last completed step, in a temporary folder if the output folder
cannot be written, and adds where to the exception's notes. SIGINT and SIGTERM wait for the step being
committed to finish (`paperzoo.training.interrupts`), so that state is never a mixture of two steps.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm.auto import tqdm

from paperzoo.atomic_files import write_bytes_atomically
from paperzoo.data import collate_detection
from paperzoo.evaluation import evaluate_detector
from paperzoo.training.checkpoint import (
    CheckpointError,
    capture_rng_state,
    load_checkpoint,
    load_model_state,
    require_keys,
    restore_rng_state,
    save_checkpoint,
)
from paperzoo.training.distributed import DistributedContext
from paperzoo.training.interrupts import DeferredInterrupts
from paperzoo.training.recipes import Recipe

__all__ = ["Trainer", "build_optimizer", "lr_factor"]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.jsonl"
RUN_FILES = (CHECKPOINT_NAME, METRICS_NAME)
# Checkpoint entries `resume` needs besides the weights.
RESUME_KEYS = ("recipe", "world_size", "optimizer", "scheduler", "epoch", "batches_done", "global_step",
               "train_time_s", "rng")  # fmt: skip


def add_note(exc: BaseException, note: str) -> None:
    """Attach `note` to `exc` (PEP 678's `__notes__`, also on Python 3.10)."""
    exc.__notes__ = [*getattr(exc, "__notes__", []), note]


def build_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """SGD with momentum (the papers) or AdamW (the from-scratch CPU recipes), as the recipe says."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            parameters, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
        )
    return torch.optim.AdamW(parameters, lr=recipe.lr, weight_decay=recipe.weight_decay)


def lr_factor(recipe: Recipe, total_steps: int) -> Callable[[int], float]:
    """Learning-rate multiplier at each step: linear warm-up, then `gamma` at each milestone (`"step"`)
    or half a cosine to 0 at `total_steps` (`"cosine"`)."""
    boundaries = [round(m * total_steps) for m in recipe.milestones]

    def factor(step: int) -> float:
        warmup = min(1.0, (step + 1) / recipe.warmup_steps) if recipe.warmup_steps else 1.0
        if recipe.schedule == "cosine":
            return warmup * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
        return warmup * recipe.gamma ** sum(step >= b for b in boundaries)

    return factor


class Trainer:
    """Train a detector with a recipe, writing metrics and checkpoints to `out_dir`.

    Args:
        model: A detector following torchvision's contract (not yet wrapped in DDP).
        train_set: Training dataset of `(image, target)` pairs.
        val_set: Validation dataset, evaluated every `recipe.eval_every` epochs (`None`: never).
        recipe: Optimiser, schedule and batch size; `recipe.batch_size` is the global batch, split
            evenly over the processes.
        out_dir: Folder for `checkpoint.pt` and `metrics.jsonl` (`None`: write nothing).
        context: Rank, world size and device (see `init_distributed`); default one CPU process.
        seed: Seed of the sampling order (and of nothing else: seed torch yourself for the weights).
        num_workers: DataLoader worker processes.
        progress: Show tqdm progress bars (on rank 0).
        model_name: Registered model name, stored in checkpoints and checked on resume.
        model_kwargs: Builder arguments, stored so that `paperzoo eval` can rebuild the model.
        settings: What else defines the run (data spec, image size, ...), stored with the seed,
            model and builder arguments; `resume` refuses a checkpoint whose settings differ.
    """

    def __init__(
        self,
        model: nn.Module,
        train_set: torch.utils.data.Dataset,
        val_set: torch.utils.data.Dataset | None,
        recipe: Recipe,
        *,
        out_dir: str | Path | None = None,
        context: DistributedContext | None = None,
        seed: int = 0,
        num_workers: int = 0,
        progress: bool = True,
        model_name: str | None = None,
        model_kwargs: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.context = context or DistributedContext()
        if recipe.batch_size % self.context.world_size:
            raise ValueError(
                f"batch size {recipe.batch_size} is not divisible by the {self.context.world_size} processes"
            )
        for name, dataset in (("training", train_set), ("validation", val_set)):
            if dataset is not None and len(dataset) == 0:
                raise ValueError(f"the {name} set is empty")
        self.module = model.to(self.context.device)
        self.model: nn.Module = self.module
        if self.context.enabled:
            device_ids = [self.context.device] if self.context.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.module, device_ids=device_ids)
        self.train_set, self.val_set, self.recipe = train_set, val_set, recipe
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.seed, self.num_workers, self.progress = seed, num_workers, progress
        self.model_name, self.model_kwargs = model_name, dict(model_kwargs or {})
        self.settings = {"model": model_name, "model_kwargs": self.model_kwargs, "seed": seed,
                         **(settings or {})}  # fmt: skip
        self.local_batch = recipe.batch_size // self.context.world_size
        per_rank = math.ceil(len(train_set) / self.context.world_size)
        self.steps_per_epoch = math.ceil(per_rank / self.local_batch)
        self.total_steps = recipe.epochs * self.steps_per_epoch
        self.optimizer = build_optimizer(self.module, recipe)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_factor(recipe, self.total_steps)
        )
        self.epoch = 0  # completed epochs
        self.batches_done = 0  # completed batches of the current epoch
        self.global_step = 0
        self.train_time_s = 0.0
        self.history: list[dict[str, Any]] = []
        self._rng_before_batch = capture_rng_state()
        self._interrupts = DeferredInterrupts()  # installed by `fit`
        self._committing = False  # inside the updates of one optimiser step

    @property
    def checkpoint_path(self) -> Path | None:
        """Where checkpoints are written (`out_dir/checkpoint.pt`)."""
        return None if self.out_dir is None else self.out_dir / CHECKPOINT_NAME

    def fit(self) -> list[dict[str, Any]]:
        """Check, then train up to `recipe.epochs`, saving each epoch before evaluating it; on any
        exception save the last completed step (see the module docstring) and re-raise.

        Returns:
            One metrics record per epoch trained in this call (also appended to `metrics.jsonl`).

        Raises:
            ValueError: If a check before the first step fails (see `check`).
        """
        self.check()
        first_step, record = self.global_step, None
        self._committing = False
        with self._interrupts:
            try:
                while self.epoch < self.recipe.epochs:
                    record = self.train_epoch()
                    self.save()  # an evaluation that fails loses no training
                    if self.val_set is not None and (
                        self.epoch % self.recipe.eval_every == 0 or self.epoch == self.recipe.epochs
                    ):
                        record.update(self.evaluate())
                        self._rng_before_batch = capture_rng_state()
                        self.save()
                    self._log(record)
                    record = None
            except BaseException as exc:
                self._save_after_failure(exc, record, trained=self.global_step > first_step)
                raise
        return self.history

    def check(self) -> None:
        """The checks `fit` runs before the first step; each failure names what to change.

        Raises:
            ValueError: If an image file is missing, or the last batch of an epoch is too small
                for the model.
            OSError: If the output folder cannot be created or written, or the first image of a
                dataset cannot be read.
        """
        for name, dataset in (("training", self.train_set), ("validation", self.val_set)):
            if dataset is None:
                continue
            missing = [path for path in getattr(dataset, "image_files", list)() if not path.is_file()]
            if missing:
                raise FileNotFoundError(
                    f"{len(missing)} image files of the {name} set are missing, e.g. {missing[0]}"
                )
            dataset[0]  # decodes one image: a folder that cannot be read fails here, not mid-epoch
        self._check_last_batch()
        if self.out_dir is not None and self.context.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.out_dir):
                pass  # the folder is writable

    def _check_last_batch(self) -> None:
        per_rank = math.ceil(len(self.train_set) / self.context.world_size)
        if per_rank % self.local_batch != 1:
            return
        # A lone image trips batch normalisation over 1 x 1 maps; one forward pass of a copy tells.
        probe = copy.deepcopy(self.module).train()
        image, target = self.train_set[0]
        device = self.context.device
        try:
            probe([image.to(device)], [{k: v.to(device) for k, v in target.items()}])
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"the last batch of each epoch holds 1 image ({len(self.train_set)} images, batch size "
                f"{self.recipe.batch_size}), and the model cannot train on 1 image ({str(exc).splitlines()[0]}); "
                "choose a batch size that leaves 0 or at least 2 images over"
            ) from None

    def _save_after_failure(self, exc: BaseException, record: dict[str, Any] | None, trained: bool) -> None:
        """Save the last completed step after `exc`, and note where in `exc`."""
        if self.out_dir is None or not self.context.is_main:
            return
        if record is not None:  # the epoch trained, its evaluation did not finish
            with contextlib.suppress(OSError):  # the save below matters more
                self._log(record)
        if self._committing:  # an error (not a signal) inside optimizer.step(): the weights are mixed
            add_note(exc, f"the previous checkpoint in {self.out_dir} is kept")
            return
        if not trained:
            return
        where = f"step {self.global_step}: " + (
            f"epoch {self.epoch + 1}, batch {self.batches_done}"
            if self.batches_done
            else f"end of epoch {self.epoch}"
        )
        try:
            path = self.save()
        except OSError as save_error:
            rescue = Path(tempfile.mkdtemp(prefix="paperzoo-rescue-")) / CHECKPOINT_NAME
            try:
                path = save_checkpoint(self.state_dict(), rescue)
            except OSError as rescue_error:
                add_note(exc, f"the last completed step could not be saved ({save_error}; {rescue_error})")
                return
            add_note(exc, f"{self.out_dir} could not be written ({save_error.strerror or save_error})")
        add_note(exc, f"the last completed step ({where}) is saved in {path}; resume from it")

    def train_epoch(self) -> dict[str, Any]:
        """Train the rest of the current epoch; return its metrics record."""
        self.model.train()
        sampler = DistributedSampler(
            self.train_set, self.context.world_size, self.context.rank, shuffle=True, seed=self.seed
        )
        sampler.set_epoch(self.epoch)
        indices = list(sampler)[self.batches_done * self.local_batch :]
        loader = DataLoader(
            self.train_set, self.local_batch, sampler=indices, num_workers=self.num_workers,
            collate_fn=collate_detection,
        )  # fmt: skip
        sums: dict[str, float] = {}
        batches = 0
        started = time.perf_counter()
        bar = tqdm(
            total=self.steps_per_epoch, initial=self.batches_done, unit="batch", dynamic_ncols=True,
            desc=f"epoch {self.epoch + 1}/{self.recipe.epochs}", disable=not (self.progress and self.context.is_main),
        )  # fmt: skip
        self._rng_before_batch = capture_rng_state()
        for images, targets in loader:
            losses = self.train_step(images, targets)
            for key, value in losses.items():
                sums[key] = sums.get(key, 0.0) + value
            batches += 1
            bar.update(1)
            bar.set_postfix(loss=f"{losses['loss']:.3f}", lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
        bar.close()
        elapsed = time.perf_counter() - started
        self.train_time_s += elapsed
        self.epoch, self.batches_done = self.epoch + 1, 0
        return {
            "epoch": self.epoch,
            "step": self.global_step,
            "lr": self.scheduler.get_last_lr()[0],
            **{key: value / max(batches, 1) for key, value in sums.items()},  # means over the epoch
            "epoch_time_s": elapsed,
            "train_time_s": self.train_time_s,
        }

    def train_step(self, images: list[Tensor], targets: list[dict[str, Tensor]]) -> dict[str, float]:
        """One optimiser step on one batch; returns the loss values (`"loss"` is their sum)."""
        device = self.context.device
        images = [image.to(device, non_blocking=True) for image in images]
        targets = [{"boxes": t["boxes"].to(device), "labels": t["labels"].to(device)} for t in targets]
        losses = self.model(images, targets)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            values = {key: value.item() for key, value in losses.items()}
            raise FloatingPointError(
                f"loss is {loss.item()} at epoch {self.epoch + 1}, batch {self.batches_done + 1}: {values}"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.recipe.grad_clip_norm is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), self.recipe.grad_clip_norm)
        self._committing = True
        with self._interrupts.deferred():  # a checkpoint must never hold half of this step
            self.optimizer.step()
            self.scheduler.step()
            self.batches_done += 1
            self.global_step += 1
            self._rng_before_batch = capture_rng_state()  # the state the next batch is drawn with
            self._committing = False  # complete: a deferred interrupt raised on leaving saves this step
        return {"loss": loss.item(), **{key: value.item() for key, value in losses.items()}}

    def evaluate(self) -> dict[str, float]:
        """VOC and COCO metrics of the model on `val_set` (computed on rank 0, empty elsewhere)."""
        metrics: dict[str, float] = {}
        if self.context.is_main and self.val_set is not None:
            started = time.perf_counter()
            metrics = evaluate_detector(
                self.module,
                self.val_set,
                self.context.device,
                batch_size=self.local_batch,
                progress=self.progress,
            )
            metrics["eval_time_s"] = time.perf_counter() - started
        self.context.barrier()
        return metrics

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: weights, optimiser, schedule, position and random states."""
        return {
            "model_name": self.model_name,
            "model_kwargs": self.model_kwargs,
            "num_classes": getattr(self.train_set, "num_classes", None),
            "classes": list(getattr(self.train_set, "classes", ())),
            "recipe": asdict(self.recipe),
            "model": self.module.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": self.epoch,
            "batches_done": self.batches_done,
            "global_step": self.global_step,
            "train_time_s": self.train_time_s,
            "world_size": self.context.world_size,
            "rng": self._rng_before_batch,
            "settings": self.settings,
        }

    def save(self) -> Path | None:
        """Write the checkpoint atomically (rank 0 only); return its path."""
        if self.checkpoint_path is None or not self.context.is_main:
            return None
        return save_checkpoint(self.state_dict(), self.checkpoint_path)

    def resume(self, path: str | Path | None = None, *, force: bool = False) -> None:
        """Restore a checkpoint (default `out_dir/checkpoint.pt`) so that training continues from it.

        Args:
            path: The checkpoint.
            force: Resume even if the checkpoint's settings (seed, data, image size, builder
                arguments) differ from this trainer's.

        Raises:
            FileNotFoundError: If there is no checkpoint.
            CheckpointError: If it is corrupt, lacks entries, does not fit this model, batch size or
                process count, or (unless `force`) was trained with other settings.
        """
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("resume needs a checkpoint path or an out_dir")
        state = load_checkpoint(path, map_location=self.context.device)
        require_keys(state, RESUME_KEYS, path, "resume training")
        load_model_state(self.module, state, path, self.model_name)
        if not force:
            self._check_settings(state.get("settings"), path)
        saved = (state["recipe"]["batch_size"], state["world_size"])
        if state["batches_done"] and saved != (self.recipe.batch_size, self.context.world_size):
            raise CheckpointError(
                f"checkpoint {path} stopped inside an epoch with batch size {saved[0]} on {saved[1]} "
                f"process(es); resume with the same (got {self.recipe.batch_size} on {self.context.world_size})"
            )
        try:
            self.optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError) as exc:
            raise CheckpointError(f"checkpoint {path}: optimiser state does not fit: {exc}") from None
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.batches_done = state["epoch"], state["batches_done"]
        self.global_step, self.train_time_s = state["global_step"], state["train_time_s"]
        self._rng_before_batch = state["rng"]
        restore_rng_state(state["rng"])

    def _check_settings(self, saved: dict[str, Any] | None, path: Path) -> None:
        if saved is None:  # written before settings were stored: nothing to compare
            return
        mine = json.loads(json.dumps(self.settings, default=list))  # tuples as lists, as saved
        theirs = json.loads(json.dumps(saved, default=list))
        differ = [key for key in sorted(set(mine) | set(theirs)) if mine.get(key) != theirs.get(key)]
        if differ:
            changes = ", ".join(f"{key} {theirs.get(key)!r} -> {mine.get(key)!r}" for key in differ)
            raise CheckpointError(
                f"checkpoint {path} was trained with other settings ({changes}); resuming would mix two "
                "runs: use the same options, or force it (--force-resume)"
            )

    def _log(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        if self.out_dir is None or not self.context.is_main:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # Rewritten whole and renamed (a few hundred bytes an epoch): a killed run never leaves half a line.
        path = self.out_dir / METRICS_NAME
        previous = path.read_bytes() if path.is_file() else b""
        write_bytes_atomically(path, previous + (json.dumps(record) + "\n").encode())
