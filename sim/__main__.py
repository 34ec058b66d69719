"""``python -m sim`` runs the ``clustersim`` command line."""

import sys

from sim.cli import main

sys.exit(main())
