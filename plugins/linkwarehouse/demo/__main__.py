"""Entry point of ``python -m linkwarehouse.demo`` (see :mod:`linkwarehouse.demo.cli`)."""

from linkwarehouse.demo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
