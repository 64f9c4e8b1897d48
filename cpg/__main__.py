"""`python -m cpg …` runs the `cpg` command."""

import sys

from cpg.cli import main

sys.exit(main())
