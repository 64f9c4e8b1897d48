"""`cpg compare` makes one row of the runs that differ only in seed: the mean ± sample standard
deviation of each number, and how many seeds. Run folders written by hand, and tiny runs of
benchmarks/compare_strategies.py --seeds."""

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from benchmarks import compare_strategies
from cpg.cli import main
from cpg.errors import UserError
from cpg.registry import STRATEGIES as REGISTERED
from cpg.report.compare import comparison_rows, comparison_table

SETTINGS = {"tasks": "synthetic", "benchmark_options": {"num_tasks": 2}, "arch": "small_cnn", "max_width": 1.0,
            "data_root": "data", "finetune": {"epochs": 3, "lr": 0.05}, "goal": {"value": 0.0, "directory": "baselines"}}


def run_folder(root: Path, name: str, strategy: str, seed: int, matrix: list[list[float]], size: float = 1.0,
               seconds: float = 100.0, goal_seconds: float = 0.0, benchmark: str = "synthetic",
               **settings: Any) -> str:
    """A run folder as `cpg run` leaves it, with only what `cpg compare` reads: run.yaml and results.json."""
    folder = root / name
    folder.mkdir()
    (folder / "run.yaml").write_text(yaml.safe_dump({**SETTINGS, "strategy": strategy, "seed": seed, "name": name,
                                                     **settings}))
    (folder / "results.json").write_text(json.dumps({
        "benchmark": benchmark, "strategy": strategy, "seed": seed, "accuracy_matrix": matrix,
        "model_size": {"relative_to_one_network": size}, "wall_time_seconds": seconds, "goal_seconds": goal_seconds}))
    return str(folder)


def markdown_rows(capsys, *runs: str) -> tuple[str, dict[str, list[str]]]:
    """The title line and the cells of each row, by run (the header row as "run"), of
    `cpg compare RUN… --markdown`."""
    assert main(["compare", *runs, "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if line.startswith("| ")]
    return lines[0], {row[0]: row for row in cells}


def test_two_seeds_of_one_strategy_and_one_of_another_are_two_rows_with_mean_and_sample_std(tmp_path, capsys):
    runs = [run_folder(tmp_path, "cmp-cpg-s0", "cpg", 0, [[0.9], [0.8, 0.7]], size=1.0, seconds=100, goal_seconds=10),
            run_folder(tmp_path, "cmp-packnet-s0", "packnet", 0, [[0.6], [0.5, 0.4]]),
            run_folder(tmp_path, "cmp-cpg-s1", "cpg", 1, [[1.0], [0.9, 0.9]], size=1.5, seconds=200, goal_seconds=30,
                       data_root="elsewhere")]  # where the data is does not make another experiment
    title, rows = markdown_rows(capsys, *runs)
    assert list(rows) == ["run", "cmp-cpg-s*", "cmp-packnet-s0"]
    assert "standard deviation" in title and "final accuracy per task" in title
    # averages 75 and 90: sample std 15/√2 = 10.61 (the population's would be 7.50)
    assert rows["cmp-cpg-s*"][1:] == ["cpg", "2/?", "82.50±10.61", "10.00±0.00", "-10.00±0.00", "1.25±0.35",
                                      "150±71", "20±14", "2", "85.0±7.1", "80.0±14.1"]
    assert rows["cmp-packnet-s0"][1:] == ["packnet", "2/?", "45.00", "10.00", "-10.00", "1.00", "100", "0", "1",
                                          "50.0", "40.0"]


def test_a_table_of_single_seeds_says_so_and_has_no_spread(tmp_path, capsys):
    runs = [run_folder(tmp_path, "a", "cpg", 0, [[0.9]]), run_folder(tmp_path, "b", "finetune", 0, [[0.8]])]
    title, rows = markdown_rows(capsys, *runs)
    headers = rows.pop("run")
    assert [row[headers.index("seeds")] for row in rows.values()] == ["1", "1"]
    assert "±" not in title and not any("±" in cell for row in rows.values() for cell in row)


def test_another_setting_or_the_same_seed_again_is_a_row_of_its_own(tmp_path, capsys):
    matrix = [[0.9]]
    runs = [run_folder(tmp_path, "s0", "cpg", 0, matrix), run_folder(tmp_path, "s1", "cpg", 1, matrix),
            run_folder(tmp_path, "again-s0", "cpg", 0, matrix),  # a second version of s0: not a second seed
            run_folder(tmp_path, "lr-s1", "cpg", 1, matrix, finetune={"epochs": 3, "lr": 0.1}),
            run_folder(tmp_path, "options-s1", "cpg", 1, matrix, benchmark_options={"num_tasks": 3})]
    _, rows = markdown_rows(capsys, *runs)
    assert {name: row[-2] for name, row in rows.items() if name != "run"} == {
        "s*": "2", "again-s0": "1", "lr-s1": "1", "options-s1": "1"}


def test_a_setting_left_out_of_an_older_run_yaml_counts_as_its_default(tmp_path, capsys):
    """A run made before a setting existed has no line for it; a newer run writes its default."""
    newer = {"replay": {"memory": 200, "batch_size": None}}
    runs = [run_folder(tmp_path, "older-s0", "cpg", 0, [[0.9]]),
            run_folder(tmp_path, "newer-s1", "cpg", 1, [[0.8]], **newer),
            run_folder(tmp_path, "other-s2", "cpg", 2, [[0.7]], replay={"memory": 50})]
    _, rows = markdown_rows(capsys, *runs)
    seeds = {name: row[-2] for name, row in rows.items() if name != "run"}
    assert seeds == {"older-s0, newer-s1": "2", "other-s2": "1"}


def test_a_row_with_an_unfinished_seed_is_marked_and_measured_after_the_task_all_have_committed(tmp_path, capsys):
    runs = [run_folder(tmp_path, "x-s0", "cpg", 0, [[0.9], [0.8, 0.7]]), run_folder(tmp_path, "x-s1", "cpg", 1, [[0.7]])]
    for run in runs:
        (Path(run) / "state-1.json").write_text(json.dumps({"task_names": ["1", "2"]}))
    title, rows = markdown_rows(capsys, *runs)
    assert "after task 1" in title
    assert rows["x-s* (unfinished)"][2:4] == ["1–2/2", "80.00±14.14"] and rows["x-s* (unfinished)"][-1] == "80.0±14.1"


def test_results_without_a_run_folder_group_by_what_they_record(tmp_path, capsys):
    """A peer's results.json (no run.yaml): its recorded settings but the seed decide."""
    files = []
    for seed, accuracy in ((0, 0.5), (1, 0.7)):
        path = tmp_path / f"seed-{seed}" / "avalanche-packnet" / "results.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({
            "benchmark": "synthetic", "strategy": "avalanche-packnet", "arch": "small_cnn", "seed": seed,
            "accuracy_matrix": [[accuracy]], "model_size": {"relative_to_one_network": 1.0}, "wall_time_seconds": 5.0,
            "peer": {"library": "avalanche-lib", "threads": seed + 1, "settings": {"seed": seed, "lr": 0.1}}}))
        files.append(str(path))
    _, rows = markdown_rows(capsys, *files)
    assert rows["avalanche-packnet"][3] == "60.00±14.14" and rows["avalanche-packnet"][-2] == "2"


def test_runs_of_different_benchmarks_are_refused(tmp_path):
    runs = [run_folder(tmp_path, "digits", "cpg", 0, [[0.9]], benchmark="digits-5"),
            run_folder(tmp_path, "synthetic", "cpg", 1, [[0.9]])]
    with pytest.raises(UserError, match="different benchmarks: digits-5, synthetic"):
        comparison_rows(runs)


def test_the_console_puts_the_seeds_under_the_name_and_each_deviation_under_its_mean(tmp_path):
    runs = [run_folder(tmp_path, f"cpg-s{seed}", "cpg", seed, [[0.9], [accuracy, 0.9]])
            for seed, accuracy in ((0, 0.8), (1, 0.9))]
    runs.append(run_folder(tmp_path, "packnet-s0", "packnet", 0, [[0.9], [0.9, 0.9]]))
    screen = io.StringIO()
    Console(file=screen, width=100, color_system=None).print(comparison_table(*comparison_rows(runs)))
    lines = screen.getvalue().splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith("cpg-s*"))
    assert lines[first].split() == ["cpg-s*", "cpg", "2/?", "87.50", "5.00", "-5.00", "1.00", "100", "0"]
    assert lines[first + 1].split() == ["2", "seeds", "±3.54", "±7.07", "±7.07", "±0.00", "±0", "±0"]
    assert "1 seed" in lines[lines.index(next(line for line in lines if line.startswith("packnet-s0"))) + 1]
    assert "±: the sample standard deviation (n−1) over a row's seeds, beside their mean" in lines
    per_task = next(index for index, line in enumerate(lines) if line.startswith("cpg-s*") and index > first + 1)
    assert lines[per_task].split() == ["cpg-s*", "85.0", "90.0"]
    assert lines[per_task + 1].split() == ["2", "seeds", "±7.1", "±0.0"]


TINY_PROTOCOL = """
arch: small_cnn
batch_size: 16
goal: {value: 0.0}
save_every_seconds: 0
finetune: {epochs: 1, lr: 0.05, lr_steps: {}}
"""


def test_compare_strategies_runs_each_strategy_for_each_seed_and_reads_finished_runs_again(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY_PROTOCOL)
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20, "test_per_class": 10, "image_size": 8,
               "channels": 1, "difficulty": 0.8}
    # the script reads its own command line, as a user runs it
    monkeypatch.setattr(sys, "argv", ["compare_strategies.py", "--tasks", "synthetic", "--config", "tiny.yaml",
                                      "--options", json.dumps(options), "--strategies", "finetune", "independent",
                                      "--seeds", "0,1"])
    compare_strategies.main()
    first = capsys.readouterr().out
    runs = sorted(path.name for path in (tmp_path / "checkpoints").iterdir())
    assert runs == [f"compare-synthetic-{strategy}-s{seed}" for strategy in ("finetune", "independent") for seed in (0, 1)]
    rows = [line for line in first.splitlines() if line.startswith("| compare-")]
    assert [row.split(" | ")[0] for row in rows] == ["| compare-synthetic-finetune-s*", "| compare-synthetic-independent-s*"]
    assert all(" | 2 | " in row for row in rows)  # two seeds each
    written = {path: path.stat().st_mtime_ns for path in (tmp_path / "checkpoints").rglob("*")}

    compare_strategies.main()  # finished runs are read, not run again
    assert capsys.readouterr().out == first
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "checkpoints").rglob("*")} == written


def test_a_failing_run_is_named_with_its_error_and_the_other_strategies_still_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY_PROTOCOL + "ewc: {strength: 1.0e+6}\n")  # more than SGD can take
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20, "test_per_class": 10, "image_size": 8,
               "channels": 1, "difficulty": 0.8}
    # the script reads its own command line, as a user runs it
    monkeypatch.setattr(sys, "argv", ["compare_strategies.py", "--tasks", "synthetic", "--config", "tiny.yaml",
                                      "--options", json.dumps(options), "--strategies", "ewc", "finetune"])
    assert compare_strategies.main() == 1
    captured = capsys.readouterr()
    rows = [line.split(" | ")[0] for line in captured.out.splitlines() if line.startswith("| compare-")]
    assert rows == ["| compare-synthetic-finetune-s0"]
    failures = [line for line in captured.err.splitlines() if line.startswith("not in the table")]
    assert failures == [line for line in failures if "compare-synthetic-ewc-s0: ewc.strength: 1e+06 makes" in line]
    assert len(failures) == 1


def test_without_strategies_every_registered_strategy_runs_cpgs_paper_first():
    names = compare_strategies.every_strategy()
    assert names[:6] == list(compare_strategies.STRATEGIES)
    assert sorted(names) == sorted(REGISTERED) and len(names) == len(set(names))
