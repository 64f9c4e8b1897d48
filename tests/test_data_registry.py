import pytest

from cpg.data import BENCHMARKS, build_benchmark
from cpg.errors import UserError


def test_benchmark_names():
    assert sorted(BENCHMARKS.names()) == sorted((
        "digits-5", "digits-10", "synthetic", "cifar100-20", "cifar10", "imagefolder", "split-mnist",
        "perm-mnist", "rot-mnist", "split-fashion-mnist", "split-cifar10", "split-cifar100",
    ))


def test_unknown_benchmark_is_a_user_error_listing_the_choices():
    with pytest.raises(UserError, match="cifar100-20"):
        build_benchmark("cifar100")


@pytest.mark.parametrize("name", ["digits-5", "digits-10", "cifar100-20", "cifar10", "split-mnist",
                                  "split-fashion-mnist", "split-cifar10", "split-cifar100"])
def test_options_of_a_benchmark_without_options_are_user_errors(name, tmp_path):
    with pytest.raises(UserError, match="'num_tasks'"):
        build_benchmark(name, data_root=tmp_path, options={"num_tasks": 3})


@pytest.mark.parametrize("fraction", [0, -0.1, 0.51, 1, "0.1", True])
def test_val_fraction_out_of_range_is_a_user_error(fraction):
    with pytest.raises(UserError, match="val_fraction"):
        build_benchmark("digits-5", val_fraction=fraction)


def test_val_fraction_sets_the_size_of_the_validation_part():
    small, large = (build_benchmark("digits-10", val_fraction=f).tasks[0] for f in (0.1, 0.5))
    assert len(small.train) + len(small.val) == len(large.train) + len(large.val)
    assert len(large.val) == pytest.approx(5 * len(small.val), abs=10)
