"""Where ONNX Runtime spends its time on the benchmark's models, and how close that is to the CPU's limit.

For each case of `bench_deploy.py` (same seeded weights, same input) the exported file runs under
ONNX Runtime's profiler; the kernel time is summed per operator type, with convolutions split by their
weight shape into depthwise (`C, 1, k, k`), pointwise (`C', C, 1, 1`) and other (full `k×k`) ones. The
network's multiply-accumulates (`paperzoo.analysis.count_macs`) over the median run time give the rate
the runtime reaches, next to the best float32 rate this machine reaches at all: a 2048² matrix product
in PyTorch (oneDNN) and in ONNX Runtime (MLAS), on the same threads. A speed-up target whose required
rate exceeds that product's is out of reach for float32 convolutions.

    python benchmarks/profile_deploy.py             # about 3 min on 2 cores

The table goes to `benchmarks/results/deploy-profile.md`, which the Deploy page includes.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_deploy  # this folder's, which Python puts first on the path; it also finds paperzoo
import numpy as np
import onnxruntime as ort
import torch

from paperzoo.analysis import count_macs
from paperzoo.deploy import export, onnx_session


def _conv_kind(weight_shape: list[int]) -> str:
    _, per_group, *kernel = weight_shape
    if per_group == 1 and kernel != [1, 1]:
        return "Conv depthwise"
    return "Conv pointwise" if kernel == [1, 1] else "Conv full"


def _profile(path: Path, x: np.ndarray, threads: int, runs: int) -> tuple[float, dict[str, float]]:
    """Median run time (ms) without the profiler, and the profiler's share of kernel time per kind."""
    session = onnx_session(path, threads=threads)
    session.run(None, {"images": x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {"images": x})
        times.append(time.perf_counter() - start)
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(path.with_suffix(""))
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    profiled = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    for _ in range(runs):
        profiled.run(None, {"images": x})
    kinds: collections.Counter[str] = collections.Counter()
    for event in json.loads(Path(profiled.end_profiling()).read_text()):
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        op = event["args"]["op_name"]
        if op in ("Conv", "FusedConv", "NchwcConv"):
            op = _conv_kind(list(event["args"]["input_type_shape"][1].values())[0])
        kinds[op] += event["dur"]
    total = sum(kinds.values())
    return 1e3 * statistics.median(times), {op: time_ / total for op, time_ in kinds.most_common()}


def _gemm_gflops(threads: int, size: int = 2048) -> dict[str, float]:
    """The best float32 rate: GFLOP/s of a `size`² matrix product in PyTorch and in ONNX Runtime."""
    import onnx.helper as helper

    a = torch.randn(size, size)
    flops = 2 * size**3

    def rate(call) -> float:
        call(), call()
        times = []
        for _ in range(10):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return flops / statistics.median(times) / 1e9

    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["C"])],
        "matmul",
        [value("A", 1, [size, size]), value("B", 1, [size, size])],
        [value("C", 1, [size, size])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "matmul.onnx"
        path.write_bytes(model.SerializeToString())
        session = onnx_session(path, threads=threads)
        array = a.numpy()
        return {
            "PyTorch": rate(lambda: a @ a),
            "ONNX Runtime": rate(lambda: session.run(None, {"A": array, "B": array})),
        }


def _network_macs(model: torch.nn.Module, x: torch.Tensor) -> int:
    if hasattr(model, "backbone"):  # SSD: the network without pre- and post-processing
        size = tuple(model.size)
        return count_macs(model, lambda m: m.head(m.backbone(torch.zeros(1, 3, *size))))
    if hasattr(model, "trunk"):  # R-FCN: data-dependent RoIs; not a convolution-rate case
        return 0
    return count_macs(model, x[:1]) * len(x)


def markdown(peak: dict[str, float], rows: list[dict], threads: int) -> str:
    best = max(peak.values())
    lines = [
        f"Profiled {datetime.date.today().isoformat()}, {threads} threads, load average "
        f"{os.getloadavg()[0]:.2f}; the best float32 rate here, a 2048² matrix product: "
        + ", ".join(f"{name} {rate:.0f} GFLOP/s" for name, rate in peak.items())
        + ". Command: `python benchmarks/profile_deploy.py`.",
        "",
        "| case | ONNX Runtime | network GMACs | GFLOP/s (of the matrix product's) | kernel time by operator |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        rate = (
            f"{row['gflops']:.0f} ({100 * row['gflops'] / best:.0f} %)" if row["macs"] else "n/a (RoIs vary)"
        )
        macs = f"{row['macs'] / 1e9:.2f}" if row["macs"] else "n/a"
        top = ", ".join(f"{op} {100 * share:.1f} %" for op, share in list(row["shares"].items())[:5])
        lines.append(f"| {row['case']} | {row['ms']:.1f} ms | {macs} | {rate} | {top} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20, help="runs timed and profiled per case")
    parser.add_argument("--out", type=Path, default=bench_deploy.RESULTS / "deploy-profile.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    peak = _gemm_gflops(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for index, (title, build, shape) in enumerate(bench_deploy.cases(quick=False)):
            model, _, _ = build()
            x = torch.rand(*shape, generator=torch.Generator().manual_seed(1))
            path = export(model, Path(folder) / f"{index}.onnx", input_size=tuple(x.shape[-2:]))
            ms, shares = _profile(path, x.numpy(), args.threads, args.runs)
            macs = _network_macs(model, x)
            rows.append(
                {"case": title, "ms": ms, "macs": macs, "gflops": 2 * macs / ms / 1e6, "shares": shares}
            )
            print(rows[-1]["case"], f"{ms:.1f} ms", flush=True)
    table = markdown(peak, rows, args.threads)
    args.out.write_text(table)
    print(table, f"wrote {args.out}", sep="\n")


if __name__ == "__main__":
    sys.exit(main())
