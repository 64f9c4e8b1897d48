"""Indirect reuse: fine-tuning keeps the module a module (removed weights stay zero), standard
fine-tuning gets a new output layer, and neither touches the source."""

import torch

from cpg.config.seam import IndirectReuseSettings
from cpg.report import ConsoleReport, Reporter
from cpg.seam import binary_problem, reengineer
from cpg.seam.indirect_training import finetune_module, standard_finetune
from tests.fixtures.seam import CPU, digits_source, quick_seam_config

SETTINGS = IndirectReuseSettings(epochs=2, lr=0.05, head_lr=0.05, momentum=0.9, weight_decay=1e-3)


def test_fine_tuned_module_keeps_removed_weights_at_zero_and_trains_the_rest():
    source = digits_source()
    problem = binary_problem(source.task, "6")
    result = reengineer(source, problem, quick_seam_config(epochs=6, mask_lr=0.5), Reporter(ConsoleReport(quiet=True)), CPU)
    before = {key: value.clone() for key, value in source.model.state_dict().items()}
    start = dict(result.module.masked_source().named_parameters())
    tuned = finetune_module(result.module, problem, SETTINGS, 64, seed=0, device=CPU)
    parameters = dict(tuned[0].named_parameters())
    changed = False
    for name, keep in result.module.binary_masks().items():
        assert bool((parameters[name][~keep] == 0).all()), name
        changed |= not torch.equal(parameters[name][keep], start[name][keep])
    assert changed
    assert tuned(torch.zeros(2, 1, 8, 8)).shape == (2, 2)
    assert all(torch.equal(before[key], value) for key, value in source.model.state_dict().items())


def test_standard_fine_tuning_replaces_the_output_layer_and_leaves_the_source_alone():
    source = digits_source()
    problem = binary_problem(source.task, "6")
    before = {key: value.clone() for key, value in source.model.state_dict().items()}
    tuned = standard_finetune(source.model, problem, SETTINGS, 64, seed=0, device=CPU)
    assert tuned.head.out_features == 2
    assert not torch.equal(tuned.features[0].weight, source.model.features[0].weight)
    assert all(torch.equal(before[key], value) for key, value in source.model.state_dict().items())
