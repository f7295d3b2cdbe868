"""``python -m barrierspec`` runs the command line."""

import sys

from barrierspec._cli import main

sys.exit(main())
