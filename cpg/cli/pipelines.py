"""Finding the pipeline YAML of a run: `--config FILE`, or the shipped one for `--tasks`."""

from pathlib import Path

from cpg.config import RunConfig, build_config, read_pipeline

SHIPPED = Path(__file__).resolve().parents[2] / "pipelines"


def default_pipeline(tasks: str | None, strategy: str | None = None) -> Path | None:
    """`pipelines/<tasks>-<strategy>.yaml` if there is one, else `pipelines/<tasks>.yaml`
    (looked up in the working directory, then among the pipelines shipped with cpg)."""
    if tasks is None:
        return None
    names = ([f"{tasks}-{strategy}.yaml"] if strategy and strategy != "cpg" else []) + [f"{tasks}.yaml"]
    for name in names:
        for folder in (Path("pipelines"), SHIPPED):
            if (folder / name).is_file():
                return folder / name
    return None


def resolve_config(config_file: str | None, tasks: str | None, flags: dict) -> RunConfig:
    """Defaults < pipeline YAML < command-line flags."""
    layers = []
    path = Path(config_file) if config_file else default_pipeline(tasks, flags.get("strategy"))
    if path is not None:
        layers += read_pipeline(path)
    layers.append(("command line", flags))
    return build_config(*layers)
