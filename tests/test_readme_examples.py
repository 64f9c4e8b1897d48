"""Every ```python block of the README runs as printed, each in a fresh namespace in an empty
working directory, and does what the README says next to it."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from cpg.data.in_memory import InMemoryImages
from cpg.nn import SharableConv2d, TaskBatchNorm, TaskHead

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[tuple[str, str]]:
    """`(heading, code)` of every ```python block, under the heading of its section."""
    blocks: list[tuple[str, str]] = []
    heading, fence, code = "", None, ""
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if fence == "python":
                blocks.append((heading, code))
            fence, code = (line[3:].strip(), "") if fence is None else (None, "")
        elif fence is not None:
            code += line
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


BLOCKS = python_blocks(README.read_text())


def whole(split: InMemoryImages) -> tuple[Tensor, Tensor]:
    """All images of `split` as the network sees them (normalised), and their labels."""
    return split.__getitems__(range(len(split)))


def check_own_tensors_and_network(example: dict[str, Any]) -> None:
    """`from_tensors` holds out a stratified validation part (val_fraction 0.1) and normalises each
    task by its own training statistics; `cpg.convert` swaps the layers in place, the last Linear
    becoming one head per task; a network without a factory stays at width 1; CPG forgets nothing."""
    tasks = example["benchmark"].tasks
    assert [task.classes for task in tasks] == [("dark", "bright"), ("0", "1", "2")]
    for task, (train, test) in zip(tasks, [(200, 100), (300, 150)]):
        classes = len(task.classes)
        assert (len(task.train), len(task.val), len(task.test)) == (train * 9 // 10, train // 10, test)
        assert whole(task.val)[1].bincount().tolist() == [train // 10 // classes] * classes
        images = whole(task.train)[0]
        torch.testing.assert_close(images.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4, rtol=0)
        torch.testing.assert_close(images.std(dim=(0, 2, 3), correction=0), torch.ones(3), atol=1e-4, rtol=0)
    model, network = example["model"], example["network"]
    assert network.body is model
    assert [type(layer) for layer in model] == [SharableConv2d, TaskBatchNorm, nn.ReLU, nn.AdaptiveAvgPool2d,
                                                nn.Flatten, TaskHead]
    assert {task: head.out_features for task, head in model[-1].heads.items()} == {"1": 2, "2": 3}
    results = example["results"]
    assert network.width == results["final_width"] == 1.0
    assert [task["goal"] for task in results["tasks"]] == [0.9, 0.9]
    (first,), (again, second) = results["accuracy_matrix"]
    assert again == first and results["forgetting"] == [0.0]


CLAIMS: dict[str, Callable[[dict[str, Any]], None]] = {"Your own tensors and network": check_own_tensors_and_network}
"""What the README says next to each python block, by the heading of its section."""


def test_the_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("heading, code", BLOCKS, ids=[heading for heading, _ in BLOCKS])
def test_readme_python_block_does_what_the_readme_says(heading, code, tmp_path, monkeypatch):
    assert heading in CLAIMS, f"README section {heading!r}: check what the README says of its example in CLAIMS"
    monkeypatch.chdir(tmp_path)
    example = {"__name__": "__readme__"}
    exec(compile(code, f"README.md, {heading}", "exec"), example)
    CLAIMS[heading](example)
