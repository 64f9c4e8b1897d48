"""Errors a user can cause. The CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """Bad input: a wrong name, a missing file, an invalid value. Never a bug in cpg."""
