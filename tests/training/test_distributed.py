"""DDP on 2 CPU processes (gloo): identical weights on both ranks, equal to one process, same batch."""

import socket

import pytest
import torch
import torch.multiprocessing as mp

from paperzoo.data import ShapesDataset
from paperzoo.training import Recipe, Trainer, init_distributed
from tests.training.tiny_detector import TinyDetector

RECIPE = Recipe("tiny", "tiny", "shapes", "test", epochs=2, batch_size=4, lr=0.05, momentum=0.9)


def train_tiny(out_dir, context=None):
    torch.manual_seed(0)
    dataset = ShapesDataset("train", num_images=8, image_size=32, seed=0)
    trainer = Trainer(
        TinyDetector(5), dataset, None, RECIPE, out_dir=out_dir, context=context, progress=False
    )
    trainer.fit()
    return trainer


def worker(rank, world_size, port, out_dir):
    import os

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size))  # fmt: skip
    context = init_distributed("cpu")
    trainer = train_tiny(out_dir, context)
    torch.save(trainer.module.state_dict(), f"{out_dir}/rank{rank}.pt")
    torch.distributed.destroy_process_group()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process_with_the_same_global_batch(tmp_path):
    # spawn, not fork: earlier tests in this process have run autograd, whose threads a forked child
    # cannot use ("Unable to handle autograd's threading in combination with fork-based multiprocessing").
    mp.start_processes(
        worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True, start_method="spawn"
    )
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    single = train_tiny(tmp_path / "single").module.state_dict()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["checkpoint.pt", "metrics.jsonl", "rank0.pt", "rank1.pt", "single"]  # only rank 0 wrote
    for key, value in single.items():
        assert torch.equal(rank0[key], rank1[key]), key  # DDP keeps the replicas bit-identical
        # Averaging two half-batch gradients equals the full-batch gradient up to float rounding.
        torch.testing.assert_close(rank0[key], value, rtol=1e-5, atol=1e-6)
    torch.manual_seed(0)
    assert not torch.allclose(
        TinyDetector(5).box.weight, single["box.weight"]
    )  # training did move the weights
