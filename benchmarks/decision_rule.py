"""What the decision rule allows (README: Decisions): the tolerance a task gets below its goal,
paired and unpaired, and how often CHOOSE keeps a pruning step that is truly below its goal when
it looks at one step or at ten.

    python benchmarks/decision_rule.py

Simulated, not trained: a goal network right on a share of the validation images, and pruning
steps that disagree with it on a share of them, more often to their loss.
"""

import argparse

import torch

from cpg.continual.decisions import Estimate, compare, paired_standard_error


def tolerance_points(images: int, accuracy: float, discordant: float) -> tuple[float, float]:
    """(paired, unpaired) tolerance at z = 1, in accuracy points, of a run as accurate as its goal
    that disagrees with the goal network on the share `discordant` of `images` images."""
    each_way = round(images * discordant / 2)
    paired = paired_standard_error(each_way, each_way, images)
    unpaired = compare(Estimate(accuracy, images), Estimate(accuracy, images), 0.0, 1.0).tolerance
    return 100 * paired, 100 * unpaired


def simulated_keep_rate(steps: int, fixed_sequence: bool, below: float = 0.03, trials: int = 2000,
                        images: int = 250, accuracy: float = 0.75, discordant: float = 0.15, seed: int = 0) -> float:
    """How often CHOOSE keeps a step `below` points under its goal when each of `steps` steps is
    that far under: each disagrees with the goal network on about `discordant` of the images,
    losing `below` on balance. `fixed_sequence` is cpg's rule (the first step must pass); else the
    sparsest step that passes anywhere is kept."""
    generator = torch.Generator().manual_seed(seed)
    goal = torch.rand(trials, 1, images, generator=generator) < accuracy
    lose = (discordant + below) / (2 * accuracy)  # P(right → wrong)
    gain = (discordant - below) / (2 * (1 - accuracy))  # P(wrong → right)
    draws = torch.rand(trials, steps, images, generator=generator)
    run = goal ^ torch.where(goal, draws < lose, draws < gain)
    only_goal, only_run = (goal & ~run).sum(-1).double(), (run & ~goal).sum(-1).double()
    b, c, n = only_goal + 0.5, only_run + 0.5, images + 2
    error = torch.sqrt(b + c - (c - b) ** 2 / n) / n
    met = (only_run - only_goal) / images >= -error - 1e-12
    kept = met[:, 0] if fixed_sequence else met.any(dim=1)
    return kept.double().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=4000)
    args = parser.parse_args()
    print("tolerance at z = 1 (points) of a run as accurate as its goal (0.75), paired | unpaired")
    print("| validation images | 5% discordant | 10% discordant | 20% discordant | unpaired |")
    print("|---:|---:|---:|---:|---:|")
    for images in (250, 1000):
        paired = [tolerance_points(images, 0.75, share)[0] for share in (0.05, 0.10, 0.20)]
        unpaired = tolerance_points(images, 0.75, 0.10)[1]
        print(f"| {images:,} | " + " | ".join(f"{value:.1f}" for value in paired) + f" | {unpaired:.1f} |")
    print("\nchance that CHOOSE keeps a step truly below its goal (every step that far below, 15% discordant)")
    print("| validation images | below by | 1 step | 10 steps, fixed sequence (cpg) | 10 steps, sparsest passing |")
    print("|---:|---:|---:|---:|---:|")
    for images in (250, 1000):
        for below in (0.02, 0.03, 0.05):
            rates = [simulated_keep_rate(steps, fixed, below, args.trials, images)
                     for steps, fixed in ((1, True), (10, True), (10, False))]
            print(f"| {images:,} | {below * 100:.0f} points | " + " | ".join(f"{rate:.1%}" for rate in rates) + " |")


if __name__ == "__main__":
    main()
