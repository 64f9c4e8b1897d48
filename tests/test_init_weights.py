"""`--init FILE`: task 1 starts from a state_dict of the plain model; ResNet-50 in torchvision's layout."""

import copy

import pytest
import torch
import torchvision

from cpg.cli import main
from cpg.config import build_config, read_pipeline
from cpg.errors import UserError
from cpg.models import build_model, model_factory
from cpg.models.pretrained import with_initial_weights
from cpg.report import ConsoleReport
from cpg.workflows import execute
from tests.conftest import QUICK
from tests.runs import Watch, write_pipeline

INPUT = (1, 8, 8)  # the quick synthetic benchmark's images


def _source_model(classes: int = 2) -> torch.nn.Module:
    """A small_cnn with weights and BatchNorm statistics unlike a fresh one's."""
    torch.manual_seed(123)
    model = build_model("small_cnn", classes, INPUT)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
                module.weight.normal_()
                module.bias.normal_()
    return model.eval()


def _one_short_task(tmp_path) -> str:
    return str(write_pipeline(tmp_path / "quick.yaml", finetune={**QUICK["finetune"], "epochs": 1},
                              benchmark_options={**QUICK["benchmark_options"], "num_tasks": 1}))


def _first_task_logits(tmp_path, source: torch.nn.Module, batch: torch.Tensor, **settings) -> torch.Tensor:
    """Run one short task with `settings`; the logits of task 1 as it starts (before any
    training step), with the source's head copied into a copy of its network: the head is the
    only layer `init` does not set."""
    seen: list[torch.Tensor] = []

    def started(session):
        network = copy.deepcopy(session.network).eval()
        network.use_task(1)
        network.body.head.heads["1"].load_state_dict(source.head.state_dict())
        with torch.no_grad():
            seen.append(network(batch))

    config = build_config(*read_pipeline(_one_short_task(tmp_path)), ("test", settings))
    execute(config, console=ConsoleReport(quiet=True), plugins=[Watch(started=started)])
    return seen[0]


def test_first_task_starts_with_the_logits_of_the_given_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    source = _source_model()
    torch.save(source.state_dict(), tmp_path / "source.pt")
    batch = torch.randn(16, *INPUT, generator=torch.Generator().manual_seed(3))
    seen = _first_task_logits(tmp_path, source, batch, init="source.pt", name="init")
    with torch.no_grad():
        expected = source(batch)
    # The same weights and statistics through the same convolutions, BatchNorms and linears
    # on one CPU give bit-identical logits: any difference means something did not carry over.
    assert torch.equal(seen, expected)
    printed = capsys.readouterr().err
    assert "not using its classifier head.weight, head.bias" in printed
    assert "task 1 starts from the weights in source.pt" in printed


def test_without_init_the_first_task_does_not_compute_the_source(tmp_path, monkeypatch):
    """The check above can fail: a run from random weights gives other logits."""
    monkeypatch.chdir(tmp_path)
    source = _source_model()
    batch = torch.randn(16, *INPUT, generator=torch.Generator().manual_seed(3))
    seen = _first_task_logits(tmp_path, source, batch, name="plain")
    with torch.no_grad():
        assert not torch.allclose(seen, source(batch), atol=1e-3)


@pytest.mark.parametrize(("weights", "message"), [
    (lambda: build_model("resnet20", 2, INPUT).state_dict(), "does not fit small_cnn"),
    (lambda: build_model("small_cnn", 2, (3, 8, 8)).state_dict(), "features.0.weight is [32, 3, 3, 3] in the file"),
    (lambda: {key: value for key, value in _source_model().state_dict().items() if "features.1." not in key},
     "entries missing (features.1.weight"),
    (lambda: {"weights": [1, 2]}, "not a state_dict"),
])
def test_weights_that_do_not_fit_are_one_line_errors(tmp_path, monkeypatch, capsys, weights, message):
    monkeypatch.chdir(tmp_path)
    torch.save(weights(), tmp_path / "bad.pt")
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    assert main(["run", "--config", str(pipeline), "--init", "bad.pt", "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("cpg: error: --init: bad.pt") and message in error


def test_a_missing_or_unreadable_file_is_one_line(tmp_path):
    factory = model_factory("small_cnn", INPUT)
    with pytest.raises(UserError, match="no such file"):
        with_initial_weights(factory, tmp_path / "absent.pt", "small_cnn", print)
    (tmp_path / "text.pt").write_text("not a torch file")
    with pytest.raises(UserError, match="cannot read it as a torch file"):
        with_initial_weights(factory, tmp_path / "text.pt", "small_cnn", print)


def test_independent_strategy_refuses_initial_weights():
    with pytest.raises(UserError, match="^init: the independent strategy"):
        build_config(("test", {"strategy": "independent", "init": "weights.pt"}))


def test_resnet50_has_torchvisions_layout_and_computes_the_same_at_width_one():
    ours, theirs = build_model("resnet50", 1000, (3, 64, 64)).eval(), torchvision.models.resnet50().eval()
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert all(ours_state[key].shape == theirs_state[key].shape for key in ours_state)
    ours.load_state_dict(theirs_state)
    batch = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(ours(batch), theirs(batch))


def test_resnet50_factory_takes_torchvisions_state_dict_and_grows_by_sqrt_width(tmp_path):
    path = tmp_path / "resnet50.pt"
    torch.save(torchvision.models.resnet50().state_dict(), path)
    said: list[str] = []
    factory = with_initial_weights(model_factory("resnet50", (3, 64, 64)), path, "resnet50", said.append)
    assert "not using its classifier fc.weight, fc.bias" in said[0]
    narrow, wide = factory(1.0).state_dict(), factory(1.5).state_dict()
    reference = torch.load(path, weights_only=True)
    assert torch.equal(narrow["layer3.2.conv2.weight"], reference["layer3.2.conv2.weight"])
    assert narrow["fc.weight"].shape == (1, 2048)
    assert wide["conv1.weight"].shape[0] == round(64 * 1.5 ** 0.5)
    assert all(wide[key].dim() == narrow[key].dim() and all(w >= n for w, n in zip(wide[key].shape, narrow[key].shape))
               for key in narrow)


def test_finegrained_pipeline_reads_the_documented_folders_as_imagenet_input(tmp_path):
    from cpg.cli.pipelines import SHIPPED
    from cpg.config import read_pipeline
    from cpg.workflows.run_settings import load_benchmark
    from tests.fixtures.image_folders import write_image_tree

    roots = ("cubs_cropped", "stanford_cars_cropped", "flowers", "wikiart", "sketches")
    for seed, root in enumerate(roots):
        write_image_tree(tmp_path / root, size=(40, 30), mode="RGB", train=2, test=1, seed=seed)
    layers = read_pipeline(SHIPPED / "finegrained-resnet50.yaml")
    config = build_config(*layers, ("test", {"data_root": str(tmp_path)}))
    assert (config.arch, config.init) == ("resnet50", "data/resnet50-imagenet.pth")
    benchmark = load_benchmark(config)
    assert [task.name for task in benchmark.tasks] == ["cubs", "cars", "flowers", "wikiart", "sketch"]
    assert benchmark.input_shape == (3, 224, 224)
    assert benchmark.tasks[4].test[0][0].shape == (3, 224, 224)
    assert "RandomResizedCrop" in benchmark.describe() and "ImageNet's mean/std" in benchmark.describe()
