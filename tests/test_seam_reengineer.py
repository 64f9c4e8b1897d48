"""Re-engineering: the source stays untouched, the schedule and the selection rule hold, and the
standalone slimmed module predicts exactly what the masked module predicts."""

import subprocess
import sys

import pytest
import torch

from cpg.export import save_standalone
from cpg.report import ConsoleReport, Reporter
from cpg.seam import MaskedModule, binary_problem, reengineer, subset_problem
from cpg.seam.selection import seam_score
from cpg.workflows.seam import run_seam
from tests.fixtures.seam import CPU, digits_source, quick_seam_config

QUIET = Reporter(ConsoleReport(quiet=True))


@pytest.fixture(scope="module")
def outcome():
    source = digits_source()
    problem = binary_problem(source.task, "3")
    before = {key: value.clone() for key, value in source.model.state_dict().items()}
    result = run_seam(source, problem, quick_seam_config(epochs=8), QUIET, CPU)
    return source, problem, before, result


def test_reengineering_leaves_the_source_unchanged(outcome):
    source, _, before, _ = outcome
    after = source.model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert all(parameter.grad is None for parameter in source.model.parameters())
    assert not source.model.training


def test_masks_learn_to_drop_weights(outcome):
    _, _, _, run = outcome
    assert run.result.selected.retained < 0.9
    assert run.report["weights"]["module"] < run.report["weights"]["source"]
    assert run.report["flops_per_image"]["ratio"] < 1


def test_standalone_module_predicts_what_the_masked_module_predicts(outcome):
    _, problem, _, run = outcome
    images, _ = problem.test.__getitems__(range(len(problem.test)))
    with torch.no_grad():
        masked = run.result.module.eval()(images)
        standalone = run.standalone(images)
    assert torch.allclose(standalone, masked, atol=1e-5)
    assert torch.equal(standalone.argmax(1), masked.argmax(1))
    assert run.report["module_parameters"] < sum(p.numel() for p in run.result.module.source.parameters())


def test_exported_module_loads_and_runs_without_cpg(outcome, tmp_path):
    _, problem, _, run = outcome
    images, _ = problem.test.__getitems__(range(len(problem.test)))
    path = save_standalone(run.standalone, images[:2], tmp_path / "module.pt2")
    torch.save(images, tmp_path / "images.pt")
    script = (
        "import sys; sys.modules['cpg'] = None\n"  # any import of cpg would fail
        "import torch\n"
        f"module = torch.export.load({str(path)!r}).module()\n"
        f"images = torch.load({str(tmp_path / 'images.pt')!r})\n"
        f"torch.save(module(images), {str(tmp_path / 'out.pt')!r})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, capture_output=True)
    with torch.no_grad():
        expected = run.result.module.eval()(images)
    assert torch.allclose(torch.load(tmp_path / "out.pt"), expected, atol=1e-5)


def test_selected_epoch_follows_the_rule_on_the_history(outcome):
    _, _, _, run = outcome
    history = run.result.history
    scores = [seam_score(row["val_acc"], row["retained"], run.result.source_accuracy["val"]) for row in history]
    assert scores.index(max(scores)) == run.result.selected.epoch == int(history[run.result.selected.epoch]["epoch"])
    assert run.result.module.retained_ratio().item() == pytest.approx(run.result.selected.retained)


def test_every_fifth_epoch_trains_the_head_alone():
    source = digits_source()
    problem = binary_problem(source.task, "5")
    result = reengineer(source, problem, quick_seam_config(epochs=7, mask_lr=0.5), QUIET, CPU)
    assert [row["head_only"] for row in result.history] == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    retained = [row["retained"] for row in result.history]
    assert retained[0] == 1.0 and retained[1] < 1.0
    assert retained[5] == retained[4]


def test_masked_module_keeps_batchnorm_in_evaluation_mode():
    source = digits_source()
    module = MaskedModule(source.model, 10, 2)
    module.train()
    assert module.training and module.head.training
    assert not any(layer.training for layer in module.source.modules())


def test_masks_cover_every_conv_and_linear_weight_and_bias():
    source = digits_source()
    module = MaskedModule(source.model, 10, 2)
    expected = [name for name, _ in source.model.named_parameters() if "features.1." not in name
                and "features.4." not in name and "features.8." not in name]
    assert module.masked_names == expected
    assert module.total == sum(dict(source.model.named_parameters())[name].numel() for name in expected)


def test_early_stopping_ends_the_run():
    source = digits_source()
    problem = subset_problem(source.task, ["0", "1", "2"])
    result = reengineer(source, problem, quick_seam_config(epochs=40, patience=2, alpha=0.0, mask_lr=1e-6), QUIET, CPU)
    assert result.qualified and len(result.history) < 40

