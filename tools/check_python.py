"""Stop with one clear sentence when this Python cannot build the project's virtual environment.

Kept to syntax that Python 2.7 and 3.0+ can parse, so that an old interpreter reaches the message.
"""

import sys

REQUIRED = (3, 10)


def main():
    found = "%d.%d.%d" % sys.version_info[:3]
    if tuple(sys.version_info[:2]) < REQUIRED:
        sys.stderr.write(
            "paperzoo needs Python %d.%d or newer, but '%s' is Python %s; "
            "run again with PYTHON=/path/to/python3.10+ (e.g. make test PYTHON=python3.12).\n"
            % (REQUIRED[0], REQUIRED[1], sys.executable, found)
        )
        return 1
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError as exc:
        sys.stderr.write(
            "Python %s at '%s' lacks the venv/ensurepip modules (%s); "
            "install them (Debian/Ubuntu: apt-get install python3-venv) and run again.\n"
            % (found, sys.executable, exc)
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
