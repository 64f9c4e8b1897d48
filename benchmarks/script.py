"""How a benchmark script ends, as the `cpg` command does: bad input is one line `cpg: error: …`
and status 2, a failed run status 3; the first Ctrl-C or SIGTERM lets the loop in progress save
and stop (status 130), so that the same command run again resumes."""

import sys
from collections.abc import Callable

from cpg.engine.stop import STOP
from cpg.errors import RunFailed, UserError


def run(main: Callable[[], None]) -> int:
    try:
        with STOP.handling():
            main()
    except UserError as error:
        print(f"cpg: error: {error}", file=sys.stderr)
        return 2
    except RunFailed as failure:
        print(f"cpg: error: {failure}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("cpg: interrupted; the same command run again resumes", file=sys.stderr)
        return 130
    return 0
