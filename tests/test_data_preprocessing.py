"""What a task's exported program takes: the task's images as stored, normalised inside."""

import torch

from cpg.data.assemble import in_memory_task
from cpg.data.preprocessing import raw_batches, task_preprocessing
from cpg.export.normalise import Normalise, taking_raw_images


def uint8_task():
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 3, 4, 4), dtype=torch.uint8, generator=generator)
    labels = torch.arange(40) % 2
    return in_memory_task("pixels", ("a", "b"), (images, labels), (images[:10], labels[:10]), 0.25)


def test_uint8_pixels_are_taken_as_0_to_255_and_normalised_exactly_as_the_data_is():
    task = uint8_task()
    preprocessing = task_preprocessing(task)
    assert preprocessing.normalised_in_program and preprocessing.stored_as == "uint8"
    assert preprocessing.unit_scale == 1 / 255 and preprocessing.value_range[1] <= 255
    normalise = Normalise(preprocessing)
    (raw, labels), = raw_batches(task.test, 64)
    assert raw.dtype == torch.float32 and raw.max() > 1
    expected, expected_labels = task.test.__getitems__(range(len(task.test)))
    assert torch.equal(normalise(raw), expected) and torch.equal(labels, expected_labels)


def test_image_folder_tasks_say_their_transform_normalises_outside_the_program(tmp_path):
    from cpg.data import build_benchmark
    from cpg.data.image_transforms import IMAGENET_MEAN, IMAGENET_STD
    from tests.test_data_imagefolder import _write_tree

    root = _write_tree(tmp_path / "insects")
    task = build_benchmark("imagefolder", options={"tasks": [{"name": "insects", "root": str(root)}],
                                                   "image_size": 8, "normalize": "imagenet"}).tasks[0]
    preprocessing = task_preprocessing(task)
    assert not preprocessing.normalised_in_program and preprocessing.stored_as == "image files"
    assert preprocessing.mean == IMAGENET_MEAN and preprocessing.std == IMAGENET_STD and preprocessing.shape == (3, 8, 8)
    assert "Normalize" in preprocessing.transform and "does not normalise" in preprocessing.describe()
    assert preprocessing.to_dict()["mean"] == list(IMAGENET_MEAN)
    model = torch.nn.Identity()
    assert taking_raw_images(model, preprocessing) is model
