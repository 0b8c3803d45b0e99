"""CPU inference latency: paperzoo's MobileNetV2 vs torchvision's, same weights, same inputs.

Runs alternate between the two models (and swap order every round) so that load changes on a shared
machine hit both alike; the script prints medians and the ratio paperzoo / torchvision. `--compile`
also checks that `torch.compile` works on both paperzoo MobileNets (slow: it compiles four graphs).

    python benchmarks/bench_mobilenet.py [--batch-sizes 1 32] [--rounds 21] [--threads N] [--channels-last] [--compile]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torchvision

import paperzoo


def _time_once(model: torch.nn.Module, x: torch.Tensor) -> float:
    start = time.perf_counter()
    model(x)
    return time.perf_counter() - start


def compare(batch_size: int, resolution: int, rounds: int, channels_last: bool) -> tuple[float, float]:
    """Median seconds per forward pass of (paperzoo, torchvision) MobileNetV2 1.0."""
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2().eval()
    model = paperzoo.create_model("mobilenet_v2").eval()
    model.load_state_dict(reference.state_dict())
    x = torch.rand(batch_size, 3, resolution, resolution)
    if channels_last:
        model, reference = (
            model.to(memory_format=torch.channels_last),
            reference.to(memory_format=torch.channels_last),
        )
        x = x.contiguous(memory_format=torch.channels_last)
    times: dict[str, list[float]] = {"paperzoo": [], "torchvision": []}
    with torch.inference_mode():
        torch.testing.assert_close(model(x), reference(x), atol=1e-5, rtol=0)
        for _ in range(2):  # warm-up
            model(x), reference(x)
        for index in range(rounds):
            order = [("paperzoo", model), ("torchvision", reference)]
            for name, net in order if index % 2 == 0 else order[::-1]:
                times[name].append(_time_once(net, x))
    return statistics.median(times["paperzoo"]), statistics.median(times["torchvision"])


def check_compile(resolution: int) -> None:
    """`torch.compile` on both paperzoo MobileNets gives the eager logits."""
    torch.manual_seed(0)
    x = torch.rand(2, 3, resolution, resolution)
    for name in ("mobilenet_v1", "mobilenet_v2"):
        model = paperzoo.create_model(name).eval()
        start = time.perf_counter()
        with torch.inference_mode():
            compiled = torch.compile(model)
            compiled_out = compiled(x)
            torch.testing.assert_close(compiled_out, model(x), atol=1e-4, rtol=1e-4)
        print(
            f"torch.compile {name}: OK, logits match eager (compile + first run {time.perf_counter() - start:.1f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=21, help="timed runs per model and batch size")
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format for both models")
    parser.add_argument("--compile", action="store_true", help="also check torch.compile on both MobileNets")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f} (start)"
    )
    print(
        f"MobileNetV2 1.0-{args.resolution}, {'channels_last' if args.channels_last else 'contiguous (NCHW)'}"
    )
    print(f"{'batch':>5} {'paperzoo ms':>12} {'torchvision ms':>15} {'ratio':>6}")
    for batch_size in args.batch_sizes:
        ours, theirs = compare(batch_size, args.resolution, args.rounds, args.channels_last)
        print(f"{batch_size:>5} {ours * 1e3:>12.1f} {theirs * 1e3:>15.1f} {ours / theirs:>6.3f}")
    print(f"load average {os.getloadavg()[0]:.2f} (end)")
    if args.compile:
        check_compile(args.resolution)


if __name__ == "__main__":
    main()
