"""The module's head over the source's probabilities (beyond SeaM): what it computes, why it can
match the source on a one-vs-rest target where a head over ReLU'd logits cannot be exact, and its
setting's checks and reporting."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from cpg.algorithms.seam import MaskedModule, binary_problem, seam_config
from cpg.algorithms.seam.deploy import standalone_module
from cpg.algorithms.seam.reengineering import collapsed_accuracy
from cpg.data import make_loader
from cpg.engine import evaluate
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.seam import run_seam
from tests.fixtures.seam import CPU, digits_source, quick_seam_config

QUIET = Reporter(ConsoleReport(quiet=True))


def test_each_head_reads_what_it_says_while_every_weight_is_kept():
    source = digits_source()
    images = binary_problem(source.task, "8").test.images[:16]
    logits = source.model(images)
    for head_input, reading in (("logits", F.relu), ("probabilities", lambda x: x.softmax(dim=1))):
        module = MaskedModule(source.model, 10, 2, head_input=head_input).eval()
        linear = module.head[1]
        assert torch.allclose(module(images), F.linear(reading(logits), linear.weight, linear.bias), atol=1e-6)


def test_a_head_over_probabilities_can_state_the_sources_one_vs_rest_decision_exactly():
    """Weights [e_8; 1 − e_8] give (p_8, 1 − p_8): the module then predicts what the source does."""
    source = digits_source()
    problem = binary_problem(source.task, "8")
    module = MaskedModule(source.model, 10, 2, head_input="probabilities").eval()
    chosen = F.one_hot(torch.tensor(8), 10).float()
    with torch.no_grad():
        module.head[1].weight.copy_(torch.stack([chosen, 1 - chosen]))
        module.head[1].bias.zero_()
    batches = make_loader(problem.test, 64, shuffle=False)
    expected = collapsed_accuracy(source.model, batches, problem.collapse, CPU)
    assert evaluate(module, batches, CPU).accuracy == expected


def test_reengineering_with_a_probabilities_head_exports_a_module_that_computes_the_same():
    source = digits_source()
    problem = binary_problem(source.task, "8")
    config = dataclasses.replace(quick_seam_config(epochs=4), head_input="probabilities")
    outcome = run_seam(source, problem, config, QUIET, CPU)
    assert outcome.report["settings"]["head_input"] == "probabilities"
    module = outcome.result.module
    assert isinstance(module.head[0], torch.nn.Softmax)
    assert outcome.report["retained_ratio"] < 1.0
    standalone = standalone_module(module, (1, 8, 8))
    images = problem.test.images
    assert torch.allclose(standalone(images), module(images), atol=1e-5)


def test_an_unknown_head_input_is_refused_naming_the_key():
    with pytest.raises(UserError, match="head_input: must be one of logits, probabilities"):
        seam_config(("file.yaml", {"head_input": "features"}))
    assert seam_config().head_input == "logits"
