"""Errors a user can cause. The CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """Bad input: a wrong name, a missing file, an invalid value. Never a bug in cpg."""


class RunFailed(Exception):
    """The run stopped (e.g. its loss became NaN) after rolling back to its last good epoch; it
    can be resumed once the configuration is changed. The CLI exits with status 3."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a command; the message says what was kept and how to continue. The CLI
    exits with status 130."""
