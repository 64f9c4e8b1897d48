"""Bad input prints one line `cpg: error: …`, exits 2, and shows no traceback."""

import subprocess
import sys

import pytest

from cpg.cli import main


def one_line_error(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as raised:
        code = main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("cpg: error: ")
    return err[0]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_unknown_task_sequence(capsys):
    assert "unknown task sequence 'nope'" in one_line_error(capsys, ["run", "--tasks", "nope"])


def test_unknown_arch(capsys):
    assert "unknown arch 'resnet7'" in one_line_error(capsys, ["run", "--tasks", "digits-5", "--arch", "resnet7"])


def test_max_width_below_one(capsys):
    assert "max_width" in one_line_error(capsys, ["run", "--tasks", "digits-5", "--max-width", "0.5"])


def test_missing_data_root(capsys, tmp_path):
    line = one_line_error(capsys, ["run", "--tasks", "cifar100-20", "--data-root", str(tmp_path / "nowhere")])
    assert "cifar-100-python" in line and "--download" in line


def test_malformed_yaml(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("finetune: [epochs: 3\n")
    line = one_line_error(capsys, ["run", "--config", str(path)])
    assert "bad.yaml" in line and "line" in line


def test_unknown_yaml_key(capsys, tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("prune:\n  epoch: 3\n")
    assert "unknown key 'prune.epoch'" in one_line_error(capsys, ["run", "--config", str(path)])


def test_wrong_yaml_type(capsys, tmp_path):
    path = tmp_path / "type.yaml"
    path.write_text("finetune:\n  lr: fast\n")
    assert "finetune.lr: expected a number, got 'fast'" in one_line_error(capsys, ["run", "--config", str(path)])


def test_argparse_errors_are_one_line_too(capsys):
    assert "invalid float value" in one_line_error(capsys, ["run", "--max-width", "wide"])


def test_console_script_has_no_traceback(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "cpg", "run", "--tasks", "digits-5", "--arch", "nope"],
                               capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith("cpg: error: unknown arch")
    assert "Traceback" not in completed.stderr
