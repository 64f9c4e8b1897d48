"""Settings of Model Doctor: diagnosis and treatment, on a plain classifier or as an optional
stage of a CPG task (docs/architecture.md: where settings come from and go)."""

from dataclasses import dataclass

from cpg.errors import SettingError

SIGNALS = ("gradient", "abs_gradient", "activation")
"""What the diagnosis sums per channel: ReLU(∂ class score / ∂ layer output) (the paper's),
|∂ class score / ∂ layer output|, or ReLU(layer output)."""


@dataclass
class DoctorConfig:
    enabled: bool = False  # run the doctor stage inside a CPG task (the pipeline switch)
    layer: str | None = None  # conv or linear layer by module name; None: the last conv layer
    images_per_class: int = 50  # most confident correctly classified training images per class
    signal: str = "gradient"  # one of SIGNALS
    threshold: float = 0.2  # channels whose min–max normalised relevance reaches this belong to the class
    alpha: float = 10.0  # weight of the channel loss next to the classification loss
    epochs: int = 20
    lr: float = 1e-2  # SGD, cosine-annealed to 0 over the epochs
    mask_lr: float = 0.0  # Adam on the picking mask inside CPG; 0 keeps the pick fixed
    focal_gamma: float = 0.0  # 0: cross-entropy; > 0: focal loss
    balanced_sampling: bool = False  # class-balanced batches (long-tailed data)


def check_doctor(settings: DoctorConfig, group: str = "doctor.") -> None:
    """Range checks; each failure names the setting, as a key of `group` (the run config's
    `doctor.`, or none for Model Doctor's own settings)."""
    checks = (
        ("images_per_class", settings.images_per_class >= 1, "must be at least 1"),
        ("signal", settings.signal in SIGNALS, f"must be one of {', '.join(SIGNALS)}, got {settings.signal!r}"),
        ("threshold", 0 <= settings.threshold <= 1, f"must be in [0, 1], got {settings.threshold}"),
        ("alpha", settings.alpha >= 0, f"must not be negative, got {settings.alpha}"),
        ("epochs", settings.epochs >= 1, f"must be at least 1, got {settings.epochs}"),
        ("lr", settings.lr > 0, f"must be positive, got {settings.lr}"),
        ("mask_lr", settings.mask_lr >= 0, f"must not be negative, got {settings.mask_lr}"),
        ("focal_gamma", settings.focal_gamma >= 0, f"must not be negative, got {settings.focal_gamma}"),
    )
    for name, ok, message in checks:
        if not ok:
            raise SettingError(group + name, message)
