"""CPU inference latency: paperzoo's MobileNetV2 vs torchvision's, same weights, same inputs.

Runs alternate between the two models (the order swaps every round) so that load changes on a shared
machine hit both alike. For each model the script prints the median wall-clock time and the median
CPU time of the process (`time.process_time`, which other processes' load disturbs much less), the
ratios paperzoo / torchvision of those medians, and the median of the per-round CPU-time ratios (each
round's two runs are back to back, under the same load). Batch size 1 gets four times the rounds.
`--control` adds a second, identical torchvision model to the rotation and prints its ratio to the
first: the noise floor of the machine (an A/A comparison), against which paperzoo's ratio is read.
`--compile` also checks that `torch.compile` works on both paperzoo MobileNets (slow on 2 cores).

    python benchmarks/bench_mobilenet.py [--batch-sizes 1 32] [--rounds 25] [--threads N] [--channels-last] [--control] [--compile]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import time

import torch
import torchvision

import paperzoo


def _time_once(model: torch.nn.Module, x: torch.Tensor) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    model(x)
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(
    batch_size: int, resolution: int, rounds: int, channels_last: bool, control: bool
) -> dict[str, float]:
    """Median wall and CPU seconds per forward pass of paperzoo's and torchvision's MobileNetV2 1.0."""
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2().eval()
    model = paperzoo.create_model("mobilenet_v2").eval()
    model.load_state_dict(reference.state_dict())
    x = torch.rand(batch_size, 3, resolution, resolution)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        reference = reference.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    nets = {"paperzoo": model, "torchvision": reference}
    if control:
        nets["control"] = copy.deepcopy(reference)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in nets}
    with torch.inference_mode():
        torch.testing.assert_close(model(x), reference(x), atol=1e-5, rtol=0)
        for _ in range(2):  # warm-up
            model(x), reference(x)
        names = list(nets)
        for index in range(rounds):
            shift = index % len(names)  # rotate the order so that no model always runs first
            for name in names[shift:] + names[:shift]:
                runs[name].append(_time_once(nets[name], x))
    ours, theirs = runs["paperzoo"], runs["torchvision"]
    result = {
        "wall_ours": statistics.median(wall for wall, _ in ours),
        "wall_theirs": statistics.median(wall for wall, _ in theirs),
        "cpu_ours": statistics.median(cpu for _, cpu in ours),
        "cpu_theirs": statistics.median(cpu for _, cpu in theirs),
        "paired_cpu_ratio": statistics.median(a[1] / b[1] for a, b in zip(ours, theirs, strict=True)),
    }
    if control:
        result["control_wall_ratio"] = (
            statistics.median(c for c, _ in runs["control"]) / result["wall_theirs"]
        )
        result["control_cpu_ratio"] = statistics.median(c for _, c in runs["control"]) / result["cpu_theirs"]
    return result


def check_compile(resolution: int) -> None:
    """`torch.compile` on both paperzoo MobileNets gives the eager logits."""
    torch.manual_seed(0)
    x = torch.rand(2, 3, resolution, resolution)
    for name in ("mobilenet_v1", "mobilenet_v2"):
        model = paperzoo.create_model(name).eval()
        start = time.perf_counter()
        with torch.inference_mode():
            compiled = torch.compile(model)
            torch.testing.assert_close(compiled(x), model(x), atol=1e-4, rtol=1e-4)
        print(
            f"torch.compile {name}: OK, logits match eager (compile + first run {time.perf_counter() - start:.0f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=25, help="timed runs per model (x4 at batch size 1)")
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format for both models")
    parser.add_argument("--compile", action="store_true", help="also check torch.compile on both MobileNets")
    parser.add_argument("--control", action="store_true", help="also time a second torchvision copy (A/A)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, {os.cpu_count()} CPUs "
        f"({platform.machine()}), {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f} (start)"
    )
    layout = "channels_last" if args.channels_last else "contiguous (NCHW)"
    print(f"MobileNetV2 1.0-{args.resolution}, {layout}, medians in ms; ratio = paperzoo / torchvision")
    print(
        f"{'batch':>5} {'wall pz':>9} {'wall tv':>9} {'ratio':>6} {'cpu pz':>9} {'cpu tv':>9} {'ratio':>6} {'paired':>7}"
        + (f" {'A/A wall':>9} {'A/A cpu':>8}" if args.control else "")
    )
    for batch_size in args.batch_sizes:
        rounds = args.rounds * 4 if batch_size == 1 else args.rounds
        r = compare(batch_size, args.resolution, rounds, args.channels_last, args.control)
        print(
            f"{batch_size:>5} {r['wall_ours'] * 1e3:>9.1f} {r['wall_theirs'] * 1e3:>9.1f} "
            f"{r['wall_ours'] / r['wall_theirs']:>6.3f} {r['cpu_ours'] * 1e3:>9.1f} {r['cpu_theirs'] * 1e3:>9.1f} "
            f"{r['cpu_ours'] / r['cpu_theirs']:>6.3f} {r['paired_cpu_ratio']:>7.3f}"
            + (f" {r['control_wall_ratio']:>9.3f} {r['control_cpu_ratio']:>8.3f}" if args.control else "")
        )
    print(f"load average {os.getloadavg()[0]:.2f} (end)")
    if args.compile:
        check_compile(args.resolution)


if __name__ == "__main__":
    main()
