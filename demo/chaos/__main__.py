"""``python -m demo.chaos`` is ``rekam-chaos``."""

import sys

from demo.chaos.cli import main

sys.exit(main())
