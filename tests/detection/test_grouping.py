"""`first_k_per_group` against a plain loop over the groups."""

from __future__ import annotations

import torch

from paperzoo.detection.grouping import first_k_per_group


def _by_loop(group: torch.Tensor, k: int) -> list[int]:
    kept = []
    for g in sorted(set(group.tolist())):
        kept += [i for i, value in enumerate(group.tolist()) if value == g][:k]
    return kept


def test_first_k_of_each_group_in_score_order():
    generator = torch.Generator().manual_seed(0)
    group = torch.randint(0, 5, (200,), generator=generator)  # score order: position 0 is the best
    for k in (0, 1, 3, 50, 500):
        positions, counts = first_k_per_group(group, k, num_groups=7)
        assert positions.tolist() == _by_loop(group, k)
        assert counts.tolist() == [int((group == g).sum()) for g in range(7)]  # before the limit


def test_empty_input():
    positions, counts = first_k_per_group(torch.zeros(0, dtype=torch.long), 3, num_groups=2)
    assert positions.numel() == 0 and counts.tolist() == [0, 0]
