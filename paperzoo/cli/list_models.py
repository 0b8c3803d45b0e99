"""`paperzoo list`: the registered models, one per line, or as JSON."""

from __future__ import annotations

import argparse
import json

from paperzoo.registry import TASKS, get_model_info, list_models

NAME = "list"
HELP = "List the registered models."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?", help="shell-style wildcard, e.g. 'ssd*'")
    parser.add_argument("--task", choices=TASKS, help="only models of this task")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    names = list_models(args.pattern, task=args.task)
    if not names:
        from paperzoo.cli import CliError

        task = f" of task {args.task!r}" if args.task else ""
        raise CliError(f"no registered model{task} matches {args.pattern!r}; `paperzoo list` shows them all")
    if args.json:
        rows = []
        for name in names:
            info = get_model_info(name)
            rows.append(
                {
                    "name": name,
                    "task": info.task,
                    "paper": info.paper.title,
                    "arxiv": info.paper.arxiv,
                    "input_size": list(info.input_size),
                    "docs": info.docs,
                }
            )
        print(json.dumps(rows, indent=2))
        return 0
    for name in names:
        info = get_model_info(name)
        print(f"{name:<24} {info.task:<15} arXiv:{info.paper.arxiv}  {info.paper.title}")
    return 0
