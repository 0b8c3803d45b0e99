"""Multi-process training through PyTorch's own engine: torchrun, `torch.distributed`, DDP.

`torchrun --nproc-per-node N -m paperzoo train ...` starts N processes and sets `RANK`,
`LOCAL_RANK` and `WORLD_SIZE`; [`init_distributed`][paperzoo.training.distributed.init_distributed]
reads them and joins the process group with gloo on the CPU or NCCL on GPUs (multi-node runs use
torchrun's rendezvous options unchanged). Without those variables the run is a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistributedContext", "init_distributed"]


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in the run.

    Attributes:
        rank: Global rank (0 writes checkpoints, logs and progress bars).
        world_size: Number of processes.
        device: The device this process trains on.
    """

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and shows progress."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """Whether a process group is in use."""
        return self.world_size > 1

    def barrier(self) -> None:
        """Wait for every process (no-op for a single process)."""
        if self.enabled:
            dist.barrier()


def init_distributed(device: str = "cpu") -> DistributedContext:
    """Join the process group described by torchrun's environment, or run as a single process.

    Args:
        device: `"cpu"` (gloo backend) or `"cuda"` (NCCL; each process takes GPU `LOCAL_RANK`).

    Raises:
        ValueError: If `device` is unknown or CUDA is asked for but unavailable.
    """
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch.cuda.is_available() is False")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    torch_device = torch.device(f"cuda:{local_rank}") if device == "cuda" else torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        if device == "cuda":
            torch.cuda.set_device(torch_device)
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return DistributedContext(rank=rank, world_size=world_size, device=torch_device)
