"""The `paperzoo` command line.

Each sub-command is a module of this package with `NAME`, `HELP`, `add_arguments(parser)` and
`run(args) -> int`; the modules are imported only when their command runs, so `paperzoo --version`
does not import torch.

Exit status: 0 on success; 2 for an error the user can fix (a bad option, an unknown model, a missing
or unwritable file, a corrupt checkpoint, a diverging run), printed as one line on stderr, never as a
traceback; 130 when interrupted (Ctrl-C, or SIGTERM during training); 1 for a bug in paperzoo, printed
with its traceback and where to report it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import NoReturn

from paperzoo.__about__ import __version__

__all__ = ["CliError", "COMMANDS", "EXIT_BUG", "EXIT_INTERRUPTED", "EXIT_USER_ERROR", "build_parser", "main"]

# Sub-command name -> module implementing it.
COMMANDS: dict[str, str] = {
    "list": "paperzoo.cli.list_models",
    "info": "paperzoo.cli.info",
    "train": "paperzoo.cli.train",
    "eval": "paperzoo.cli.eval",
    "detect": "paperzoo.cli.detect",
    "export": "paperzoo.cli.export",
    "weights": "paperzoo.cli.weights",
}

EXIT_BUG, EXIT_USER_ERROR, EXIT_INTERRUPTED = 1, 2, 130
ISSUES_URL = "https://github.com/paperzoo/paperzoo/issues"


class CliError(Exception):
    """An error the user can fix; `main` prints its message and exits with status 2."""


class UsageError(CliError):
    """A command line argparse refuses (unknown option, value out of range, missing argument)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(f"{message} (see {prog} --help)")
        self.prog = prog


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (`prog: error: message`), exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command attached."""
    parser = OneLineParser(
        prog="paperzoo",
        description="Checked PyTorch reference implementations of deep-learning papers.",
        epilog="Exit status: 0 success, 2 an error you can fix (one line on stderr), "
        "130 interrupted, 1 a bug in paperzoo (with a traceback to report).",
    )
    parser.add_argument("--version", action="version", version=f"paperzoo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def describe_user_error(exc: BaseException) -> str | None:
    """The one-line message of an error the user can fix, or `None` for a bug.

    Expected errors: the `ValueError`/`TypeError` raised by paperzoo's input checks (their message
    names the bad value), file-system errors (missing, unwritable, a file where a folder should be),
    a diverging run (`FloatingPointError`), running out of memory, an optional dependency that is
    not installed (the message names the extra) and a weights file that cannot be fetched or fails
    its hash check (`WeightsError`, whose message says what to do).
    """
    from paperzoo.extras import MissingExtraError
    from paperzoo.weights import WeightsError

    torch = sys.modules.get("torch")
    out_of_memory = (MemoryError,) + ((torch.OutOfMemoryError,) if torch is not None else ())
    if isinstance(exc, out_of_memory):
        message = (
            f"out of memory ({' '.join(str(exc).split()[:12]) or type(exc).__name__}); use smaller sizes"
        )
    elif isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        message = f"{exc.filename}: {exc.strerror}"
    elif isinstance(
        exc, (CliError, ValueError, TypeError, OSError, FloatingPointError, MissingExtraError, WeightsError)
    ):
        message = str(exc) or type(exc).__name__
    else:
        return None
    notes = getattr(exc, "__notes__", None) or []
    return " ".join("; ".join([message, *notes]).split())  # one line, whatever the exception held


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`) and return the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    prefix = f"paperzoo {args.command}"
    try:
        with warnings.catch_warnings():  # restores the hook on return: main() may run inside a program
            warnings.showwarning = lambda message, *_, **__: print(
                f"{prefix}: warning: {message}", file=sys.stderr
            )
            return int(args._run(args) or 0)
    except KeyboardInterrupt as exc:
        notes = "; ".join(getattr(exc, "__notes__", None) or [])
        print(f"{prefix}: interrupted" + (f"; {notes}" if notes else ""), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        message = describe_user_error(exc)
        if message is None:
            traceback.print_exc()
            print(f"{prefix}: internal error: this is a bug in paperzoo {__version__}; please report it "
                  f"with the command line and the traceback above at {ISSUES_URL}", file=sys.stderr)  # fmt: skip
            return EXIT_BUG
        print(f"{prefix}: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
