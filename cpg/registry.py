"""Registries: named things a user picks on the command line (strategies, benchmarks,
architectures), each added by one decorated definition."""

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from cpg.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one `kind` by name, in the order they were registered."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
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
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._entries)}")
        return self._entries[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)


def import_package(name: str, path: Iterable[str]) -> None:
    """Import every module of the package `name` (its `__path__`): how a package of decorated
    definitions registers all of them."""
    for module in pkgutil.iter_modules(path):
        importlib.import_module(f"{name}.{module.name}")
