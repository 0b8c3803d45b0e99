"""CPU inference side by side: torchvision eager, paperzoo eager, optimised eager, torch.compile, ONNX Runtime.

For each case every runtime gets the same weights and the same input; the runtimes alternate in
blocks of calls (the order rotates every round, with a pause before each block so that no runtime's
spinning threads slow the next one) so that load changes on a shared machine hit all alike, and the table reports
median wall-clock milliseconds and speed-ups against the case's reference (torchvision's eager model of
the same architecture where one exists, else paperzoo's eager model). Detectors run end to end: the
eager models' `model(images)` (preprocessing, network, decoding, NMS) against the ONNX graph that holds
all of it. Weights are seeded random ones whose prediction layers are rescaled to a trained model's
output range (`tests/deploy/models.py`), so that NMS sees a realistic number of candidates.

The results go to `benchmarks/results/deploy.json` (with the machine, threads, date and versions) and
`benchmarks/results/deploy.md`, the table the site's Deploy page includes. Regenerate both with

    python benchmarks/bench_deploy.py            # about 12 min on 2 cores; --rounds 2 --no-compile for a check

MobileNetV1's peer is timm's `mobilenetv1_100` when timm is installed (`pip install timm`); torchvision
has none.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torchvision

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.deploy.models (the output-range rescaling)

import paperzoo  # noqa: E402
from paperzoo.deploy import OnnxModel, export, optimize  # noqa: E402
from paperzoo.weights.convert import convert_torchvision_ssd300_state_dict  # noqa: E402
from tests.deploy.models import spread_scores  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
#: Issue 15's speed-up targets on 2 threads, against each case's reference, for paperzoo's fastest runtime.
TARGETS = {
    "MobileNetV2 1.0-224, batch 1": 5.0,
    "MobileNetV1 1.0-224, batch 1": 4.0,
    "SSDLite-MobileNetV2 320, end to end": 3.0,
    "SSD300-VGG16, end to end": 2.0,
}
PAUSE_S = 0.2  # between blocks: time for the previous runtime's threads to stop spinning and sleep
RUNTIMES = ("peer eager", "paperzoo eager", "paperzoo optimised", "torch.compile", "ONNX Runtime")


def _median_ms(runners: dict[str, Callable[[], object]], rounds: int, calls: int) -> dict[str, float]:
    """Median milliseconds per call; each round times a block of `calls` calls of every runtime in turn.

    PyTorch's OpenMP workers and ONNX Runtime's thread pool both spin for a while after a call: run
    back to back, one runtime's spinning threads take the two cores from the next one's first call
    (measured on MobileNetV2: torchvision 60 ms instead of 21, ONNX Runtime 10 ms instead of 5.2).
    So each block starts after a pause, with one untimed call that wakes the runtime's own threads.
    """
    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    with torch.inference_mode():
        for name in names:  # warm-up (and torch.compile's compilation)
            runners[name](), runners[name]()
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                time.sleep(PAUSE_S)
                runners[name]()
                for _ in range(calls):
                    start = time.perf_counter()
                    runners[name]()
                    times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(values) for name, values in times.items()}


def _fast_runners(
    model: torch.nn.Module, x: torch.Tensor, folder: Path, compile_: bool, threads: int
) -> dict:
    """paperzoo eager, optimised, torch.compile (of the optimised network) and ONNX Runtime."""
    fast = optimize(model)
    runners = {"paperzoo eager": lambda: model(x), "paperzoo optimised": lambda: fast(x)}
    if compile_:
        compiled = copy.deepcopy(fast)
        if hasattr(compiled, "backbone"):  # SSD: compile the network, the post-processing stays eager
            compiled.backbone, compiled.head = torch.compile(compiled.backbone), torch.compile(compiled.head)
        elif hasattr(compiled, "trunk"):  # R-FCN
            compiled.trunk, compiled.conv5 = torch.compile(compiled.trunk), torch.compile(compiled.conv5)
        else:
            compiled = torch.compile(compiled)
        runners["torch.compile"] = lambda: compiled(x)
    path = export(model, folder / "model.onnx", input_size=tuple(x.shape[-2:]))
    session = OnnxModel(path, threads=threads)
    array = x.numpy()
    runners["ONNX Runtime"] = lambda: session.run(array)
    return runners


def _classifier(name: str, batch: int) -> tuple[torch.nn.Module, torch.nn.Module | None, str]:
    torch.manual_seed(0)
    model = paperzoo.create_model(name).eval()
    if name == "mobilenet_v2":
        peer = torchvision.models.mobilenet_v2().eval()
        peer.load_state_dict(model.state_dict())
        return model, peer, "torchvision mobilenet_v2 (same weights)"
    try:
        import timm
    except ImportError:
        return (
            model,
            None,
            "no torchvision MobileNetV1 and timm is not installed: reference is paperzoo eager",
        )
    return (
        model,
        timm.create_model("mobilenetv1_100").eval(),
        "timm mobilenetv1_100 (same architecture, own weights)",
    )


def cases(quick: bool) -> list[dict]:
    """(name, builder of (paperzoo model, peer, peer note), input shape)."""
    specs = [
        ("MobileNetV2 1.0-224, batch 1", lambda: _classifier("mobilenet_v2", 1), (1, 3, 224, 224)),
        ("MobileNetV2 1.0-224, batch 8", lambda: _classifier("mobilenet_v2", 8), (8, 3, 224, 224)),
        ("MobileNetV1 1.0-224, batch 1", lambda: _classifier("mobilenet_v1", 1), (1, 3, 224, 224)),
        ("SSDLite-MobileNetV2 320, end to end", _ssdlite, (1, 3, 320, 320)),
        ("SSD300-VGG16, end to end", _ssd300, (1, 3, 300, 300)),
        ("R-FCN-ResNet-50 600x800, end to end", _rfcn, (1, 3, 600, 800)),
    ]
    return specs[:1] + specs[3:4] if quick else specs


def _ssdlite() -> tuple[torch.nn.Module, torch.nn.Module, str]:
    torch.manual_seed(0)
    model = paperzoo.create_model("ssdlite_mobilenet_v2", size=(320, 320)).eval()
    spread_scores(model, torch.rand(2, 3, 320, 320))
    peer = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights_backbone=None).eval()
    return (
        model,
        peer,
        "torchvision ssdlite320_mobilenet_v3_large: a different backbone (MobileNetV3); reference is paperzoo eager",
    )


def _ssd300() -> tuple[torch.nn.Module, torch.nn.Module, str]:
    torch.manual_seed(0)
    peer = torchvision.models.detection.ssd300_vgg16(weights_backbone=None).eval()
    model = paperzoo.create_model("ssd300_vgg16").eval()
    spread_scores(model, torch.rand(2, 3, 300, 300))
    peer.load_state_dict(_to_torchvision(model, peer))
    return model, peer, "torchvision ssd300_vgg16 (same weights)"


def _to_torchvision(model: torch.nn.Module, peer: torch.nn.Module) -> dict:
    """paperzoo's SSD300 weights under torchvision's names (the converter renamed the other way)."""
    ours = model.state_dict()
    names = convert_torchvision_ssd300_state_dict({key: key for key in peer.state_dict()})  # ours -> theirs
    return {theirs: ours[mine] for mine, theirs in names.items()}


def _rfcn() -> tuple[torch.nn.Module, None, str]:
    torch.manual_seed(0)
    model = paperzoo.create_model("rfcn_resnet50").eval()
    spread_scores(model, torch.rand(1, 3, 600, 800))
    return model, None, "torchvision has no R-FCN: reference is paperzoo eager"


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    # Seeded random weights leave MobileNets' activations tiny; without this, eager PyTorch would run
    # on denormal floats (tens of times slower), which trained weights never do. ONNX Runtime
    # is not affected either way.
    torch.set_flush_denormal(True)
    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (title, build, shape) in enumerate(cases(args.quick)):
            model, peer, note = build()
            x = torch.rand(*shape, generator=torch.Generator().manual_seed(1))
            runners = _fast_runners(model, x, Path(tmp) / str(index), not args.no_compile, args.threads)
            if peer is not None:
                runners = {"peer eager": lambda peer=peer, x=x: peer(x), **runners}
            reference = (
                "peer eager" if peer is not None and "different backbone" not in note else "paperzoo eager"
            )
            medians = _median_ms(runners, args.rounds, args.calls)
            speedups = {name: medians[reference] / ms for name, ms in medians.items()}
            results.append(
                {"case": title, "peer": note, "reference": reference, "ms": medians, "speedup": speedups}
            )
            print(
                title,
                {name: f"{ms:.1f} ms ({speedups[name]:.2f}x)" for name, ms in medians.items()},
                flush=True,
            )
    return {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "threads": args.threads,
        "rounds": args.rounds,
        "calls": args.calls,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "versions": _versions(),
        "command": " ".join(["python", "benchmarks/bench_deploy.py", *sys.argv[1:]]),
        "cases": results,
    }


def _versions() -> dict[str, str]:
    import onnxruntime

    versions = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    try:
        import timm

        versions["timm"] = timm.__version__
    except ImportError:
        pass
    return versions


def markdown(results: dict) -> str:
    """The Deploy page's table: median ms and speed-up against each case's reference."""
    lines = [
        f"Measured {results['date']} on {results['machine']}, {results['threads']} threads "
        f"(`torch.set_num_threads`, ONNX Runtime `intra_op_num_threads`), {results['rounds']} alternating rounds of "
        f"{results.get('calls', 1)} timed calls per runtime, "
        f"load average {results['load_average'][0]} at the start and {results['load_average'][1]} at the end; "
        + ", ".join(f"{name} {version}" for name, version in results["versions"].items())
        + f". Command: `{results['command']}`.",
        "",
        "| case | " + " | ".join(RUNTIMES) + " | target | reference / peer |",
        "|---|" + "---:|" * len(RUNTIMES) + "---|---|",
    ]
    for case in results["cases"]:
        cells = [
            f"{case['ms'][name]:.1f} ms ({case['speedup'][name]:.2f}×)" if name in case["ms"] else "n/a"
            for name in RUNTIMES
        ]
        lines.append(f"| {case['case']} | " + " | ".join(cells) + f" | {_target(case)} | {case['peer']} |")
    return "\n".join(lines) + "\n"


def _target(case: dict) -> str:
    """Whether paperzoo's fastest runtime reaches the case's target speed-up."""
    if case["case"] not in TARGETS:
        return "—"
    target = TARGETS[case["case"]]
    ours = {name: value for name, value in case["speedup"].items() if name != "peer eager"}
    best = max(ours, key=ours.get)
    verdict = "met" if ours[best] >= target else "**missed**"
    return f"{target:g}×: {verdict} ({ours[best]:.2f}×, {best})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="blocks per runtime and case")
    parser.add_argument("--calls", type=int, default=5, help="timed calls per block")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (minutes to compile)")
    parser.add_argument("--quick", action="store_true", help="two cases only (a check of the script)")
    parser.add_argument("--out", type=Path, default=RESULTS / "deploy.json")
    parser.add_argument(
        "--table-only", action="store_true", help="rewrite the .md table from the saved .json, timing nothing"
    )
    args = parser.parse_args()
    if args.table_only:
        args.out.with_suffix(".md").write_text(markdown(json.loads(args.out.read_text())))
        return
    results = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
