"""Start-up time of the `paperzoo` command: the commands that must answer at once, against `import torch`.

Each command runs as a fresh process (`python -m paperzoo ...`, so the console script's location does
not matter) `--rounds` times, in rotation; the script prints the median wall-clock time of each and its
ratio to the median of `python -c "import torch"`, the least every command cost before the command
line stopped importing torch to build its parser (`list` also imported every model module).

    python benchmarks/cli_startup.py [--rounds 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "paperzoo --version": ["-m", "paperzoo", "--version"],
    "paperzoo --help": ["-m", "paperzoo", "--help"],
    "paperzoo list": ["-m", "paperzoo", "list"],
    "paperzoo list --weights": ["-m", "paperzoo", "list", "--weights"],
    "paperzoo weights": ["-m", "paperzoo", "weights"],
    'python -c "import torch"': ["-c", "import torch"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, *argv], check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    baseline = statistics.median(times['python -c "import torch"'])
    print(f"{'command':<28} {'median s':>9} {'/ import torch':>15}   ({args.rounds} runs each)")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<28} {median:>9.3f} {median / baseline:>15.3f}")


if __name__ == "__main__":
    main()
