"""The `paperzoo` command line.

Each sub-command is a module of this package with `NAME`, `HELP`, `add_arguments(parser)` and
`run(args) -> int`; the modules are imported only when their command runs, so `paperzoo --version`
does not import torch. Errors the user can fix (an unknown model, a missing file) are printed as one
line on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from paperzoo.__about__ import __version__

__all__ = ["CliError", "COMMANDS", "build_parser", "main"]

# Sub-command name -> module implementing it.
COMMANDS: dict[str, str] = {
    "list": "paperzoo.cli.list_models",
    "info": "paperzoo.cli.info",
    "train": "paperzoo.cli.train",
    "eval": "paperzoo.cli.eval",
    "detect": "paperzoo.cli.detect",
    "export": "paperzoo.cli.export",
    "new-paper": "paperzoo.cli.new_paper",
}


class CliError(Exception):
    """An error the user can fix; `main` prints its message and exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command attached."""
    parser = argparse.ArgumentParser(
        prog="paperzoo",
        description="Checked PyTorch reference implementations of deep-learning papers.",
    )
    parser.add_argument("--version", action="version", version=f"paperzoo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`) and return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (CliError, ValueError, TypeError, FileNotFoundError) as exc:
        print(f"paperzoo {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"paperzoo {args.command}: interrupted", file=sys.stderr)
        return 130
