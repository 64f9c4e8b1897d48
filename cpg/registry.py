"""Registries: named things a user picks by name (strategies, benchmarks, architectures,
channel metrics), each added by one registering call beside its definition, in the manner of
timm's `@register_model`.

A registry of a package knows its names without importing anything: it reads the package's
modules for the calls that register an entry (`@ARCHS.register("vgg16")` above a definition,
or `STRATEGIES.add("cpg", …)`) and imports a module only when one of its entries is asked for.
So `cpg --help` lists every name without importing torch, and adding an entry is one file.
"""

import ast
import importlib
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from cpg.errors import UserError

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent
"""The folder of the `cpg` package, where a registry's package is read from."""


class Registry(Generic[T]):
    """Entries of one `kind` by name. With `package` (a dotted name under cpg), the entries its
    modules register as `symbol.register(name)` or `symbol.add(name, …)` are known by name before
    they are imported, in the order of the modules' file names and then of the calls."""

    def __init__(self, kind: str, package: str | None = None, symbol: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self.symbol = symbol
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: `@REGISTRY.register("name")` above the definition."""
        return lambda entry: self.add(name, entry)

    def get(self, name: str) -> T:
        if name not in self._entries and name in self._declared:
            importlib.import_module(self._declared[name])
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self)}")
        return self._entries[name]

    def names(self) -> tuple[str, ...]:
        return (*self._declared, *(name for name in self._entries if name not in self._declared))

    def __contains__(self, name: object) -> bool:
        return name in self._declared or name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    @cached_property
    def _declared(self) -> dict[str, str]:
        """Name → module of every entry the package's modules register."""
        if self.package is None:
            return {}
        declared: dict[str, str] = {}
        for path in sorted((ROOT / Path(*self.package.split(".")[1:])).glob("*.py")):
            text = path.read_text()
            if f"{self.symbol}." not in text:
                continue
            for name in _registered_names(ast.parse(text), self.symbol or ""):
                declared[name] = f"{self.package}.{path.stem}"
        return declared


def _registered_names(tree: ast.AST, symbol: str) -> list[str]:
    """The names `symbol.register("…")` and `symbol.add("…", …)` register in a module, in order."""
    calls: list[Any] = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute) and node.func.attr in ("register", "add")
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == symbol
                        and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]
    return [call.args[0].value for call in sorted(calls, key=lambda call: (call.lineno, call.col_offset))]


ARCHS: Registry[Any] = Registry("arch", "cpg.models", "ARCHS")
"""Builders of plain models by name, each beside its model in cpg/models/ (`cpg.models.build_model`)."""
BENCHMARKS: Registry[Any] = Registry("benchmark", "cpg.data.benchmarks", "BENCHMARKS")
"""Builders of benchmarks by name, each in the module of cpg/data/benchmarks/ that reads its data."""
STRATEGIES: Registry[Any] = Registry("strategy", "cpg.continual.strategies", "STRATEGIES")
"""Continual-learning strategies by name, one file each in cpg/continual/strategies/."""
METRICS: Registry[Any] = Registry("metric", "cpg.importance", "METRICS")
"""Channel importance metrics by name, each beside its definition in cpg/importance/."""
