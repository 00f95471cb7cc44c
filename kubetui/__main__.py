"""``python -m kubetui``: the same entry point as the ``kubetui`` console script."""

import sys

from kubetui.cli import main

sys.exit(main())
