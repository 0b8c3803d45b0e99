"""`python -m paperzoo` runs the command line (and lets `torchrun -m paperzoo` launch it)."""

import sys

from paperzoo.cli import main

if __name__ == "__main__":
    sys.exit(main())
