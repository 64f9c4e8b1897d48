"""`cpg --help`, `cpg --version` and argument errors answer without importing torch; the library
still offers `cpg.TaskNetwork` and friends on first use."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

WITHOUT_TORCH = """
import sys
from cpg.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("exit", code)
print("torch imported" if "torch" in sys.modules else "torch not imported")
"""


def cpg_without_torch(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *argv], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["run", "--help"],
    ["compress", "--help"],
    ["doctor", "treat", "--help"],
    ["seam", "finetune", "--help"],
], ids=" ".join)
def test_help_does_not_import_torch(argv):
    completed = cpg_without_torch(*argv)
    assert "exit 0" in completed.stdout and "usage: cpg" in completed.stdout, completed.stderr
    assert "torch not imported" in completed.stdout


def test_an_argument_error_does_not_import_torch():
    completed = cpg_without_torch("run", "--max-width", "wide")
    assert "exit 2" in completed.stdout and "torch not imported" in completed.stdout
    assert completed.stderr.strip().startswith("cpg: error: argument --max-width")


def test_version_answers_without_torch():
    import cpg

    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "cpg", "--version"], cwd=ROOT,
                               capture_output=True, text=True)
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"cpg {cpg.__version__}"
    imported = {line.split("|")[-1].strip() for line in completed.stderr.splitlines() if "|" in line}
    assert "cpg.cli" in imported and "torch" not in imported


def test_the_library_names_load_on_first_use():
    completed = subprocess.run([sys.executable, "-c", "import sys, cpg; print('torch' in sys.modules)"], cwd=ROOT,
                               capture_output=True, text=True)
    assert completed.stdout.strip() == "False", completed.stderr
    import cpg
    import cpg.nn
    from cpg import convert

    assert cpg.TaskNetwork is cpg.nn.TaskNetwork and convert is cpg.nn.convert and "TaskNetwork" in dir(cpg)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        cpg.Nothing  # noqa: B018


def test_every_command_names_a_handler_that_exists():
    """Handlers are imported only when their command runs; each one named must be importable."""
    import argparse
    import importlib

    from cpg.cli import build_parser

    handlers = set()

    def collect(parser) -> None:
        handler = parser.get_default("handler")
        if handler:
            handlers.add(handler)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    collect(child)

    collect(build_parser())
    assert len(handlers) >= 13
    for handler in handlers:
        module, _, name = handler.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), handler


def test_the_names_the_arguments_offer_are_the_librarys():
    from cpg.cli.arguments import eval, export, inspect
    from cpg.export.task import FORMATS
    from cpg.workflows.evaluate import SPLITS
    from cpg.workflows.inspect import PLOTS

    assert eval.SPLITS == SPLITS and export.FORMATS == FORMATS and inspect.PLOTS == PLOTS


@pytest.mark.parametrize("kind", ["ARCHS", "BENCHMARKS", "STRATEGIES", "METRICS"])
def test_a_registry_lists_its_names_without_importing_them_and_then_holds_them_all(kind):
    """Names come from reading the registering calls; each one then resolves to an entry."""
    completed = subprocess.run([sys.executable, "-c", f"import sys; from cpg.registry import {kind}; "
                                f"print(list({kind}), 'torch' in sys.modules)"], cwd=ROOT, capture_output=True, text=True)
    names, torch_imported = completed.stdout.rsplit(" ", 1)
    assert torch_imported.strip() == "False", completed.stderr
    import cpg.registry

    registry = getattr(cpg.registry, kind)
    declared = ast.literal_eval(names)
    assert len(declared) >= 4 and declared == list(registry.names())[:len(declared)]
    for name in declared:
        assert registry.get(name) is not None


def test_importing_cpg_leaves_the_environment_alone_and_a_command_sets_the_allocator():
    probe = ("import os, cpg; before = 'THP_MEM_ALLOC_ENABLE' in os.environ; "
             "from cpg.cli import main; main(['inspect', 'no-such-run']); print(before, os.environ['THP_MEM_ALLOC_ENABLE'])")
    environment = {key: value for key, value in os.environ.items() if key != "THP_MEM_ALLOC_ENABLE"}
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, env=environment)
    assert completed.stdout.split() == ["False", "1"], completed.stderr
