"""What each command does, below the command line: typed settings in, results out.

`cpg.cli` parses arguments into these settings, calls a workflow, prints what it returns and
turns errors into exit codes; a workflow reads the data, builds the models, runs the
algorithms and writes the files. Start or resume a run with `execute` (or `fit` for a network
of your own), and open a saved one with `open_run`.
"""

from cpg.workflows.run import execute, fit
from cpg.workflows.saved_run import Run, open_run

__all__ = ["Run", "execute", "fit", "open_run"]
