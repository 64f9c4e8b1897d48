"""Argument parsing shared by the subcommands: one-line errors, common flags."""

import argparse
import re
import sys
from collections.abc import Mapping
from typing import NoReturn

from cpg.config.schema import RunConfig
from cpg.errors import SettingError, UserError
from cpg.registry import ARCHS, BENCHMARKS


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is the single line `cpg: error: …` (exit 2)."""

    def error(self, message: str) -> NoReturn:
        print(f"cpg: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def add_protocol_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that override a pipeline's settings (see `overrides`)."""
    parser.add_argument("--tasks", help=f"task sequence: {', '.join(BENCHMARKS)}, or a task list file (.yaml) of "
                                        f"image folders (default {RunConfig.tasks})")
    parser.add_argument("--arch", help=f"architecture: {', '.join(ARCHS)} (default {RunConfig.arch})")
    parser.add_argument("--config", help="pipeline YAML (default: pipelines/<tasks>.yaml when it exists)")
    parser.add_argument("--epochs-scale", type=float, help="multiply every stage's epochs by this factor")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", help="auto (default: CUDA when available, else cpu), cpu, cuda, cuda:1 …")
    parser.add_argument("--data-root", help="folder holding the datasets (default: ./data)")
    parser.add_argument("--download", action="store_true", default=None, help="download missing datasets")
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false", default=None,
                        help="accept dataset archives whose checksums differ from the official ones")
    parser.add_argument("--select-on", choices=("val", "test"),
                        help="split for goal checks and model selection (test reproduces the paper)")


FLAG_KEYS = {
    "tasks": "tasks", "arch": "arch", "epochs_scale": "epochs_scale", "seed": "seed", "device": "device",
    "data_root": "data_root", "download": "download", "verify_checksums": "verify_checksums",
    "select_on": "select_on", "max_width": "max_width", "strategy": "strategy", "name": "name", "amp": "amp",
    "init": "init",
}


def overrides(args: argparse.Namespace) -> dict:
    """The settings given on the command line, as a config layer."""
    layer = {key: getattr(args, attr) for attr, key in FLAG_KEYS.items() if getattr(args, attr, None) is not None}
    if getattr(args, "goal_value", None) is not None:
        layer["goal"] = {"value": args.goal_value}
    return layer


def record_flags(parser: argparse.ArgumentParser) -> None:
    """Give every command its flags by the setting each one sets (`flags` in its defaults): a
    flag's dest is the setting's name, a group's dot written as an underscore (`finetune_epochs`)."""
    parser.set_defaults(flags={action.dest: max(action.option_strings, key=len)
                               for action in parser._actions if action.option_strings})
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                record_flags(child)


def as_flags(error: UserError, flags: Mapping[str, str]) -> str:
    """The error as the command line says it: a setting one of the command's flags sets is named
    by that flag (`focal_gamma` → `--focal-gamma`): the setting of a `SettingError`, and those
    its message names in backticks."""
    text = str(error)
    if isinstance(error, SettingError) and _dest(error.setting) in flags:
        text = f"{flags[_dest(error.setting)]}: {error.problem}"
    return re.sub(r"`([\w.]+)`", lambda setting: flags.get(_dest(setting.group(1)), setting.group(0)), text)


def _dest(setting: str) -> str:
    return setting.replace(".", "_")
