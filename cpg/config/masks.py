"""Settings of the strategies whose tasks gate a shared network with masks of their own: HAT's
attention over units and SupSup's supermasks over fixed random weights (their training schedule
is the FINETUNE stage's)."""

from dataclasses import dataclass

from cpg.errors import SettingError


@dataclass
class HatConfig:
    """HAT (Serra et al. 2018): the paper's grid-searched values."""

    s_max: float = 400.0  # the gates' sigmoid scale reached at the last batch of every epoch (1/s_max at the first)
    c: float = 0.75  # weight of the attention regulariser, which keeps a task to the units earlier tasks left free


@dataclass
class SupsupConfig:
    """SupSup (Wortsman et al. 2020) with edge-popup's top-k supermasks."""

    density: float = 0.5  # share of each layer's weights a task's supermask keeps (edge-popup's k)


def check_masks(hat: HatConfig, supsup: SupsupConfig) -> None:
    """Range checks; each failure names the setting."""
    checks = (
        ("hat.s_max", hat.s_max >= 1, f"must be at least 1, got {hat.s_max}"),
        ("hat.c", hat.c >= 0, f"must not be negative, got {hat.c}"),
        ("supsup.density", 0 < supsup.density <= 1, f"must be in (0, 1], got {supsup.density}"),
    )
    for name, ok, message in checks:
        if not ok:
            raise SettingError(name, message)
