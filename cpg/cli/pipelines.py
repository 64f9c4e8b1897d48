"""Finding the pipeline YAML of a run: `--config FILE`, or the shipped one for `--tasks`."""

from pathlib import Path

from cpg.config import RunConfig, build_config, read_yaml

SHIPPED = Path(__file__).resolve().parents[2] / "pipelines"


def default_pipeline(tasks: str | None) -> Path | None:
    if tasks is None:
        return None
    for folder in (Path("pipelines"), SHIPPED):
        path = folder / f"{tasks}.yaml"
        if path.is_file():
            return path
    return None


def resolve_config(config_file: str | None, tasks: str | None, flags: dict) -> RunConfig:
    """Defaults < pipeline YAML < command-line flags."""
    layers = []
    path = Path(config_file) if config_file else default_pipeline(tasks)
    if path is not None:
        layers.append((str(path), read_yaml(path)))
    layers.append(("command line", flags))
    return build_config(*layers)
