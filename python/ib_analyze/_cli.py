"""The ``ib-analyze`` console script: the Rust command line, run in this process."""

import sys

from . import _ib_analyze


def main() -> None:
    """Run ``ib-analyze`` with ``sys.argv`` and exit with its code (0, 1 from ``check``, 2 for errors)."""
    argv = ["ib-analyze", *sys.argv[1:]]
    sys.stdout.flush()
    code = _ib_analyze.run_cli(argv)
    sys.exit(code)


if __name__ == "__main__":
    main()
