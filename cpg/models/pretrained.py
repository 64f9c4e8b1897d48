"""Starting a run from trained weights (`cpg run --init FILE`).

FILE is the state_dict of the plain model of the run's architecture at width 1.0, as
`cpg.models.build_model(arch, classes, input_shape)` builds it (for `resnet50`, torchvision's
`resnet50().state_dict()` fits too). Every layer starts task 1 from it except the classifier:
each task learns its own head, so the file's classifier weights are not used.
"""

import pickle
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from cpg.errors import SettingError
from cpg.models.build import build_model
from cpg.nn.convert import find_head

Factory = Callable[[float], nn.Module]
SHOWN_KEYS = 3
"""How many differing keys an error names."""


def with_initial_weights(factory: Factory, path: str | Path, arch: str, say: Callable[[str], None]) -> Factory:
    """``factory`` whose model at width 1.0 starts from the weights in ``path``. The file is
    read and checked here; wider models (growth) keep their own initialisation for the
    entries they add."""
    with torch.device("meta"):
        template = factory(1.0)  # shapes and names only: no memory, no draw from the RNG
    weights, ignored = initial_weights(path, template, arch)
    if ignored:
        say(f"init {path}: not using its classifier {', '.join(ignored)} (each task learns its own head)")
    say(f"task 1 starts from the weights in {path}")
    return partial(_initialized, factory, weights)


def initial_weights(path: str | Path, template: nn.Module, arch: str) -> tuple[dict[str, Tensor], list[str]]:
    """The tensors of the state_dict file ``path`` that ``template`` takes, and the names of
    the classifier entries left out; a file that does not fit is a one-line SettingError."""
    state = _read_state_dict(Path(path))
    head = find_head(template) + "."
    expected = {key: value for key, value in template.state_dict().items() if not key.startswith(head)}
    ignored = [key for key in state if key.startswith(head)]
    weights = {key: value for key, value in state.items() if not key.startswith(head)}
    problems = []
    missing = [key for key in expected if key not in weights]
    if missing:
        problems.append(f"{len(missing)} entries missing ({_some(missing)})")
    unexpected = [key for key in weights if key not in expected]
    if unexpected:
        problems.append(f"{len(unexpected)} entries {arch} does not have ({_some(unexpected)})")
    reshaped = [f"{key} is {list(weights[key].shape)} in the file, {list(expected[key].shape)} in {arch}"
                for key in expected if key in weights and weights[key].shape != expected[key].shape]
    if reshaped:
        problems.append(f"{len(reshaped)} shapes differ ({'; '.join(reshaped[:SHOWN_KEYS])})")
    if problems:
        raise SettingError("init", f"{path} does not fit {arch} at width 1.0 for this benchmark's input: "
                        f"{', '.join(problems)}; give the state_dict of cpg.models.build_model({arch!r}, …)")
    return weights, ignored


def initialized_builder(arch: str, input_shape: tuple[int, int, int], path: str | Path) -> Callable[[int], nn.Module]:
    """Plain models of `arch` at width 1.0 for any number of classes, each starting from the
    weights in `path` but for its classifier: the networks that measure a run's goals start
    where the run starts."""
    with torch.device("meta"):
        template = build_model(arch, 1, input_shape)
    weights, _ = initial_weights(path, template, arch)

    def build(num_classes: int) -> nn.Module:
        model = build_model(arch, num_classes, input_shape)
        model.load_state_dict(weights, strict=False)  # everything but the classifier, checked to fit
        return model

    return build


def _initialized(factory: Factory, weights: dict[str, Tensor], width: float) -> nn.Module:
    model = factory(width)
    if width == 1.0:
        model.load_state_dict(weights, strict=False)  # everything but the classifier, checked to fit
    return model


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    try:
        state: Any = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise SettingError("init", f"{path}: no such file") from None
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
        raise SettingError("init", f"{path}: cannot read it as a torch file ({type(error).__name__}: {error})") from None
    if not isinstance(state, dict) or not state or not all(
            isinstance(key, str) and isinstance(value, Tensor) for key, value in state.items()):
        raise SettingError("init", f"{path}: not a state_dict (a mapping of names to tensors); "
                        "save one with torch.save(model.state_dict(), FILE)")
    return state


def _some(keys: list[str]) -> str:
    return ", ".join(keys[:SHOWN_KEYS]) + (", …" if len(keys) > SHOWN_KEYS else "")
