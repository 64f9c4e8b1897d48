"""Building a `RunConfig` from YAML files and overrides, with key-precise errors."""

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from cpg.config.schema import RunConfig
from cpg.config.validation import validate
from cpg.errors import UserError


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file; any problem is one `UserError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise UserError(f"cannot read config {path}: {error.strerror or error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise UserError(f"{path}{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")
    return data


def read_pipeline(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """The layers of a pipeline file: those of the file named by its `base:` key (a path
    relative to it) first, then its own settings."""
    path = Path(path)
    chain: list[tuple[str, dict[str, Any]]] = []
    seen: set[Path] = set()
    while True:
        if path.resolve() in seen:
            raise UserError(f"{path}: `base:` chain loops back to itself")
        seen.add(path.resolve())
        data = read_yaml(path)
        base = data.pop("base", None)
        chain.append((str(path), data))
        if base is None:
            return list(reversed(chain))
        if not isinstance(base, str):
            raise UserError(f"{path}: base: expected the path of another pipeline file, got {_describe(base)}")
        path = path.parent / base


def build_config(*layers: tuple[str, Mapping[str, Any]]) -> RunConfig:
    """Defaults, then each (source name, mapping) layer in order; validated."""
    merged = to_mapping(RunConfig())
    for source, layer in layers:
        merged = _merge(merged, layer, RunConfig, source, "")
    config = _convert(merged, RunConfig, "config", "")
    validate(config)
    return config


def apply_layers(config: Any, layers: Iterable[tuple[str, Mapping[str, Any]]]) -> Any:
    """`apply_layer` for each (source name, mapping) in order."""
    for source, layer in layers:
        config = apply_layer(config, layer, source)
    return config


def apply_layer(config: Any, layer: Mapping[str, Any], source: str, prefix: str = "") -> Any:
    """A copy of the dataclass `config` with the settings of `layer` (read from `source`); an
    unknown key or a value of the wrong type is a UserError naming both. A nested dataclass
    takes a nested mapping. For settings that are not a `RunConfig` (SeaM, compression)."""
    fields = {item.name: item for item in dataclasses.fields(config)}
    changes = {}
    for key, value in layer.items():
        where = f"{prefix}{key}"
        if key not in fields:
            raise UserError(f"{source}: unknown key {where!r} (known here: {', '.join(sorted(fields))})")
        current = getattr(config, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise UserError(f"{source}: {where}: expected a mapping, got {value!r}")
            changes[key] = apply_layer(current, value, source, where + ".")
        else:
            changes[key] = coerce(value, fields[key].type, f"{source}: {where}")
    return dataclasses.replace(config, **changes)


def to_mapping(config: Any) -> dict[str, Any]:
    """Plain dict of a config dataclass (what run.yaml stores)."""
    return dataclasses.asdict(config)


def _merge(base: dict[str, Any], layer: Mapping[str, Any], schema: type, source: str, prefix: str) -> dict[str, Any]:
    fields = {field.name: field for field in dataclasses.fields(schema)}
    result = dict(base)
    for key, value in layer.items():
        where = f"{prefix}{key}"
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise UserError(f"{source}: unknown key {where!r} (known here: {known})")
        field_type = fields[key].type
        if dataclasses.is_dataclass(field_type):
            if not isinstance(value, Mapping):
                raise UserError(f"{source}: {where}: expected a mapping, got {_describe(value)}")
            result[key] = _merge(base[key], value, field_type, source, where + ".")
        else:
            result[key] = _Sourced(source, value)
    return result


@dataclasses.dataclass(frozen=True)
class _Sourced:
    """A setting and the file or flag it came from, for error messages."""

    source: str
    value: Any


def _convert(data: dict[str, Any], schema: type, source: str, prefix: str) -> Any:
    values = {}
    for field in dataclasses.fields(schema):
        raw = data[field.name]
        where = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(field.type):
            values[field.name] = _convert(raw, field.type, source, where + ".")
            continue
        if isinstance(raw, _Sourced):
            values[field.name] = coerce(raw.value, field.type, f"{raw.source}: {where}")
        else:
            values[field.name] = coerce(raw, field.type, f"{source}: {where}")
    return schema(**values)


def coerce(value: Any, expected: Any, where: str) -> Any:
    """Check `value` against a type annotation, converting ints to floats where a float is
    expected and YAML keys to ints where int keys are expected."""
    origin = typing.get_origin(expected)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(expected)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option, where)
            except UserError:
                continue
        raise UserError(f"{where}: expected {_name(expected)}, got {_describe(value)}")
    if origin is list:
        if not isinstance(value, list):
            raise UserError(f"{where}: expected a list, got {_describe(value)}")
        (item_type,) = typing.get_args(expected)
        return [coerce(item, item_type, f"{where}[{index}]") for index, item in enumerate(value)]
    if origin is dict or expected is dict:
        if not isinstance(value, Mapping):
            raise UserError(f"{where}: expected a mapping, got {_describe(value)}")
        args = typing.get_args(expected)
        if not args:
            return dict(value)
        key_type, value_type = args
        return {coerce(key, key_type, f"{where} key {key!r}"): coerce(item, value_type, f"{where}[{key!r}]") for key, item in value.items()}
    if expected is bool:
        if isinstance(value, bool):
            return value
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif expected is str:
        if isinstance(value, str):
            return value
    raise UserError(f"{where}: expected {_name(expected)}, got {_describe(value)}")


def _name(expected: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", type(None): "null"}
    if expected in names:
        return names[expected]
    if typing.get_origin(expected) in (types.UnionType, typing.Union):
        return " or ".join(_name(option) for option in typing.get_args(expected))
    return str(expected)


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    return repr(value)
