"""``python -m graphlab``: the command line."""

from graphlab.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
