"""Settings shared by the tools that start from a trained source model (`cpg seam`,
`cpg compress`): how the source's training data is read, and where the work runs."""

from dataclasses import dataclass


@dataclass
class SourceDataConfig:
    seed: int = 0
    device: str = "auto"  # CUDA when available, else the CPU (cpg.device)
    data_root: str | None = None  # None: ./data, or for a CPG run source the run's own
    download: bool = False
    verify_checksums: bool = True
    val_fraction: float = 0.1  # must be what the source was trained with (cpg's default)
    save_every_seconds: float = 60.0  # how often the work is saved for a resume (0: after every epoch)
