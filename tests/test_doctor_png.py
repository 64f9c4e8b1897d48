import numpy as np
import pytest
from PIL import Image

from cpg.report.png import VIRIDIS, colours, heatmap_png


def test_colours_run_along_viridis():
    assert colours(np.array([0.0, 1.0])).tolist() == [list(VIRIDIS[0]), list(VIRIDIS[-1])]
    assert colours(np.array([-1.0, 2.0])).tolist() == colours(np.array([0.0, 1.0])).tolist()


def test_heatmap_cells_take_the_colour_of_their_value(tmp_path):
    values = np.array([[0.0, 0.5], [1.0, 0.25]])
    path = tmp_path / "matrix.png"
    heatmap_png(path, values, ["after 1", "after 2"], ["task 1", "task 2"], title="accuracy", annotate=False)
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    found = {tuple(colour) for colour in pixels.reshape(-1, 3)}
    for value in values.ravel():
        assert tuple(colours(np.array(value)).tolist()) in found
    annotated = tmp_path / "annotated.png"
    heatmap_png(annotated, values * 100, ["1", "2"], annotate=True, value_range=(0.0, 100.0))
    assert annotated.stat().st_size > 0


def test_heatmap_needs_a_label_per_row(tmp_path):
    with pytest.raises(ValueError, match="one row label per row"):
        heatmap_png(tmp_path / "x.png", np.zeros((2, 3)), ["only one"])
