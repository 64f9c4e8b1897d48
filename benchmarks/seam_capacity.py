"""How accurate can a network holding a given share of the source's weights be on each
one-vs-rest digits target, when its weights may train? A reference for reading
benchmarks/seam_digits.py: SeaM's modules may only remove weights, these may also change them.

For every class and every share: keep that share of the source's conv and linear weights and
biases (largest magnitude, one global threshold), then retrain the kept ones (the removed stay
zero) with Adam on all the source's training images, cross-entropy on the target labels plus
distillation from the source (temperature 1); BatchNorm keeps the source's statistics. The
output is the source's prediction collapsed onto the target (the class's probability against
the sum of the others), so at share 1 training starts from the source itself. Prints the test
accuracy right after removing weights and after the last retraining epoch; the source's is that
of its argmax, as in seam_digits.py.

    OMP_NUM_THREADS=1 python benchmarks/seam_capacity.py [--classifier FILE] [--classes 0,1,…]
        [--keep 0.1,0.5,1] [--epochs 60] [--lr 0.001]
"""

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from seam_digits import source_file
from torch import Tensor, nn

from cpg.config.seam import SeamConfig
from cpg.data import make_loader
from cpg.data.in_memory import InMemoryImages
from cpg.seam import TargetProblem, binary_problem
from cpg.seam.distillation import collapsed_log_probabilities, collapsed_soft_targets, distillation_loss
from cpg.seam.reengineering import collapsed_accuracy
from cpg.seam.target import resolve_class
from cpg.source import source_from_classifier

CPU = torch.device("cpu")


def prunable(model: nn.Module) -> list[Tensor]:
    """The tensors SeaM masks: every conv and linear weight and bias."""
    return [parameter for layer in model.modules() if isinstance(layer, (nn.Conv2d, nn.Linear))
            for parameter in layer.parameters(recurse=False)]


def magnitude_masks(tensors: list[Tensor], keep: float) -> list[Tensor]:
    """1 for the `keep` share of all entries with the largest magnitude, 0 elsewhere."""
    magnitudes = torch.cat([tensor.detach().abs().flatten() for tensor in tensors])
    kept = max(1, round(keep * len(magnitudes)))
    threshold = magnitudes.topk(kept).values[-1]
    return [(tensor.detach().abs() >= threshold).float() for tensor in tensors]


def all_training_images(problem: TargetProblem) -> InMemoryImages:
    """The balanced training sample and the images balancing left out, with their target labels."""
    parts = [problem.train] + ([problem.left_out] if problem.left_out is not None else [])
    first = parts[0]
    return InMemoryImages(torch.cat([part.images for part in parts]), torch.cat([part.labels for part in parts]),
                          first.mean, first.std)


def accuracy(model: nn.Module, images: InMemoryImages, collapse: Tensor) -> float:
    inputs, labels = images.__getitems__(range(len(images)))
    with torch.no_grad():
        predictions = collapsed_log_probabilities(model(inputs), collapse, 2).argmax(dim=1)
    return float((predictions == labels).float().mean())


def retrained(source: nn.Module, problem: TargetProblem, keep: float, epochs: int, lr: float,
              seed: int) -> tuple[float, float]:
    """Test accuracy after removing all but `keep` of the weights, and after retraining (batch
    order seeded by `seed`)."""
    model = copy.deepcopy(source).eval()
    tensors = prunable(model)
    masks = magnitude_masks(tensors, keep)
    with torch.no_grad():
        for tensor, mask in zip(tensors, masks):
            tensor.mul_(mask)
    pruned = accuracy(model, problem.test, problem.collapse)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    images = all_training_images(problem)
    for epoch in range(epochs):
        for inputs, labels in make_loader(images, 64, shuffle=True, seed=seed * 1000 + epoch):
            with torch.no_grad():
                teacher = collapsed_soft_targets(source(inputs), problem.collapse, 2, 1.0)
            outputs = collapsed_log_probabilities(model(inputs), problem.collapse, 2)
            loss = F.cross_entropy(outputs, labels) + distillation_loss(outputs, teacher, 1.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for tensor, mask in zip(tensors, masks):
                    tensor.mul_(mask)
    return pruned, accuracy(model, problem.test, problem.collapse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", help="source classifier file (default: the one seam_digits.py uses)")
    parser.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--keep", default="0.1,0.5,1", help="shares of the weights to keep")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    args = parser.parse_args()
    shares = [float(share) for share in args.keep.split(",")]
    path = source_file(args.classifier)
    source = source_from_classifier(path, SeamConfig())
    print(f"source {path}; retraining {args.epochs} epochs at lr {args.lr:g}; "
          "test accuracy, % (after removing → after retraining)")
    print(f"{'class':>5} {'source':>7}" + "".join(f" {f'keep {share:g}':>15}" for share in shares))
    started = time.perf_counter()
    for name in args.classes.split(","):
        problem = binary_problem(source.task, name)
        test = make_loader(problem.test, 256, shuffle=False)
        line = f"{name:>5} {collapsed_accuracy(source.model, test, problem.collapse, CPU) * 100:6.2f}%"
        seed = resolve_class(source.classes, name)
        for share in shares:
            pruned, trained = retrained(source.model, problem, share, args.epochs, args.lr, seed)
            line += f" {pruned * 100:6.2f} → {trained * 100:6.2f}"
        print(line, flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
