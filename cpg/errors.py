"""Errors a user can cause. The CLI prints them as one line and exits with status 2 (3 for a
failed run). They name settings as the library knows them (`finetune.epochs`, `target_class`):
a `SettingError`'s setting, and any other setting a message names, in backticks; only the CLI
turns a setting into the flag that sets it (cpg.cli.parser.as_flags)."""

from pathlib import Path


class UserError(Exception):
    """Bad input: a wrong name, a missing file, an invalid value. Never a bug in cpg."""


class SettingError(UserError):
    """A setting whose value cannot be used: `setting` names it (a config key such as
    `finetune.epochs`, or an argument such as `target_class`), `problem` says what is wrong."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class RunFailed(Exception):
    """The run stopped (e.g. its loss became NaN) after rolling back to its last good epoch; it
    can be resumed once the configuration is changed. `run_folder` is the run that stopped,
    when it is a saved run. The CLI exits with status 3."""

    def __init__(self, message: str, run_folder: Path | None = None) -> None:
        super().__init__(message)
        self.run_folder = run_folder


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a command; the message says what was kept and how to continue. The CLI
    exits with status 130."""
