"""``python -m linkwarehouse.google``: see :mod:`linkwarehouse.google.cli`."""

from linkwarehouse.google.cli import main

raise SystemExit(main())
