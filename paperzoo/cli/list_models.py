"""`paperzoo list`: the registered models, one per line, or as JSON; `--weights` adds their weights.

Answers from `paperzoo.model_index` and the weights catalog, both literal data: no model module and no
torch is imported, so the command returns in about 0.1 s.
"""

from __future__ import annotations

import argparse
import json

from paperzoo.model_index import MODEL_INDEX, PAPER_TITLES
from paperzoo.registry import TASKS, list_models
from paperzoo.weights import list_weights

NAME = "list"
HELP = "List the registered models (with --weights, the published weights each can load)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="*", help="shell-style wildcards, e.g. 'ssd*' (any may match)")
    parser.add_argument("--task", choices=TASKS, help="only models of this task")
    parser.add_argument(
        "--pretrained", action="store_true", help="only models with published whole-model weights"
    )
    parser.add_argument("--weights", action="store_true", help="also list each model's weights tags")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _weights_tags(name: str) -> list[str]:
    """`TAG` (whole model) or `backbone:TAG`, the default first, as `create_model` takes them."""
    return [
        f"{'' if w.part == 'model' else 'backbone:'}{w.tag}{' (default)' if w.default else ''}"
        for w in list_weights(name)
    ]


def run(args: argparse.Namespace) -> int:
    names = list_models(args.pattern or None, task=args.task, pretrained=args.pretrained)
    if not names:
        from paperzoo.cli import CliError

        task = f" of task {args.task!r}" if args.task else ""
        weights = " with published weights" if args.pretrained else ""
        patterns = " ".join(map(repr, args.pattern or ["*"]))
        raise CliError(
            f"no registered model{task}{weights} matches {patterns}; `paperzoo list` shows them all"
        )
    if args.json:
        rows = []
        for name in names:
            entry = MODEL_INDEX[name]
            row = {
                "name": name,
                "task": entry.task,
                "paper": PAPER_TITLES[entry.arxiv],
                "arxiv": entry.arxiv,
                "input_size": list(entry.input_size),
                "docs": entry.docs,
            }
            if args.weights:
                row["weights"] = [
                    {"tag": w.tag, "part": w.part, "default": w.default} for w in list_weights(name)
                ]
            rows.append(row)
        print(json.dumps(rows, indent=2))
        return 0
    for name in names:
        entry = MODEL_INDEX[name]
        line = f"{name:<22} {entry.task:<15} arXiv:{entry.arxiv}  {PAPER_TITLES[entry.arxiv]}"
        if args.weights:
            line = f"{name:<22} {entry.task:<15} {', '.join(_weights_tags(name)) or '-'}"
        print(line)
    return 0
