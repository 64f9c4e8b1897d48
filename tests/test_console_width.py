"""At 80 columns the console cuts nothing: whole progress fields, unsplit table headers."""

import io
import re

import pytest
from rich.console import Console

from cpg.report import ConsoleReport
from cpg.report.inspection import inspection
from cpg.report.inspection_tables import inspection_tables
from cpg.workflows import open_run
from tests.fixtures.committed_run import committed_run

WIDTH = 80
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = re.compile(r"[\u2500-\u257f]")


def terminal(width: int = WIDTH) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, width=width, force_terminal=True, color_system=None, legacy_windows=False), screen


def header_words(lines: list[str]) -> list[str]:
    """The words of the first line naming the columns `name` and `goal`, box drawing removed."""
    return next(words for words in (BOX.sub(" ", line).split() for line in lines) if "name" in words and "goal" in words)


def lines_of(screen: io.StringIO) -> list[str]:
    """The lines left on screen: escape sequences removed, each line's last redraw kept."""
    return [line.split("\r")[-1] for line in ESCAPES.sub("", screen.getvalue()).split("\n")]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return committed_run(tmp_path_factory)


def test_a_progress_bar_keeps_every_field_whole():
    errors, screen = terminal()
    report = ConsoleReport(errors=errors)
    title = "task 5/5 fashionmnist_8-9 · finetune (width 1.5)"
    with report.stage(title, total=10) as bar:
        bar.advance({"loss": 0.6765, "train_acc": 0.5291, "val_acc": 0.7600})
    shown = lines_of(screen)
    assert all(len(line) <= WIDTH for line in shown), shown
    text = "\n".join(shown)
    assert title in text and "loss 0.6765  train_acc 0.5291  val_acc 0.7600" in text and "1/10" in text


@pytest.mark.parametrize("width", [WIDTH, 200])
def test_run_summary_tables_fit_without_splitting_a_header(finished, width):
    _, results = finished
    console, screen = terminal(width)
    ConsoleReport(console=console).summary(results)
    shown = lines_of(screen)
    assert all(len(line) <= width for line in shown), shown
    assert header_words(shown) == ["task", "name", "val", "goal", "test", "acc", "forgetting", "width", "sparsity",
                                   "owned", "picked"], "the goal's split is named beside the test accuracy"
    text = "\n".join(shown)
    assert "row: after task j, column: task i" in text
    for task in results["tasks"]:
        assert task["name"] in text and f"{task['final_accuracy'] * 100:.1f}" in text


def test_inspect_tables_fit_without_splitting_a_header(finished):
    run_dir, _ = finished
    run = open_run(run_dir)
    position = {"task": run.state.task, "stage": run.state.stage, "epoch": run.state.epoch}
    document = inspection(str(run.folder.root), run.config, run.state.results, run.state.matrix, run.network, position)
    console, screen = terminal()
    for table in inspection_tables(document):
        console.print(table)
    shown = lines_of(screen)
    assert all(len(line) <= WIDTH for line in shown), shown
    assert header_words(shown) == ["task", "name", "val", "goal", "test", "acc", "forgetting", "sparsity", "owned",
                                   "picked", "width", "time", "s"]
    for task in document["tasks"]:
        assert f"{task['seconds']:.1f}" in "\n".join(shown)
