"""Labelled heatmaps as PNG files (Pillow): class × channel relevance, accuracy matrices."""

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cpg.checkpoint import atomic_write

VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=np.float64)
"""Anchor colours of the viridis map at 0, ¼, ½, ¾ and 1 (linear in between)."""

MISSING = 225  # grey level of a cell without a value
MARGIN = 6
PLOT_WIDTH = 900  # target width of the cells, in pixels


def colours(values: np.ndarray) -> np.ndarray:
    """uint8 RGB [..., 3] of `values` in [0, 1] on the viridis map."""
    position = np.clip(values, 0.0, 1.0) * (len(VIRIDIS) - 1)
    low = np.minimum(position.astype(int), len(VIRIDIS) - 2)
    fraction = (position - low)[..., None]
    return np.round(VIRIDIS[low] * (1 - fraction) + VIRIDIS[low + 1] * fraction).astype(np.uint8)


def heatmap_png(path: str | Path, values: np.ndarray, row_labels: Sequence[str],
                column_labels: Sequence[str] | None = None, title: str = "",
                value_range: tuple[float, float] | None = None, annotate: bool = False) -> None:
    """Write a heatmap of the 2-D `values` (rows × columns) to `path` (see `heatmap_image`)."""
    save_png(path, heatmap_image(values, row_labels, column_labels, title, value_range, annotate))


def save_png(path: str | Path, image: Image.Image) -> None:
    """Write `image` to `path` as a PNG file, atomically."""
    atomic_write(Path(path), lambda handle: image.save(handle, format="PNG"))


def heatmap_image(values: np.ndarray, row_labels: Sequence[str], column_labels: Sequence[str] | None = None,
                  title: str = "", value_range: tuple[float, float] | None = None,
                  annotate: bool = False) -> Image.Image:
    """A heatmap of the 2-D `values` (rows × columns).

    Rows are labelled on the left; columns along the top (as many labels as fit, default their
    indices). Colours span `value_range` (default: the values' minimum and maximum); a colour
    bar with its ends is drawn below. `annotate` writes each value in its cell. NaN marks a
    cell without a value (drawn grey, never annotated).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or len(row_labels) != values.shape[0]:
        raise ValueError(f"need one row label per row of a 2-D array, got {len(row_labels)} for {values.shape}")
    rows, columns = values.shape
    missing = np.isnan(values)
    present = values[~missing] if (~missing).any() else np.zeros(1)
    low, high = value_range if value_range is not None else (float(present.min()), float(present.max()))
    scaled = np.where(missing, 0.0, (values - low) / (high - low) if high > low else 0.0)
    font = ImageFont.load_default()
    column_labels = list(column_labels) if column_labels is not None else [str(index) for index in range(columns)]
    texts = ["" if np.isnan(value) else _format(value) for value in values.ravel()] if annotate else []
    cell_width = max(2, min(48, PLOT_WIDTH // columns))
    if annotate:
        cell_width = max(cell_width, max(font.getlength(text) for text in texts) + 6)
    cell_width = int(cell_width)
    cell_height = max(cell_width, 14) if annotate else 16
    text_height = 12
    left = MARGIN + int(max(font.getlength(label) for label in row_labels)) + MARGIN
    top = MARGIN + (text_height + MARGIN if title else 0) + text_height + 2
    width = left + columns * cell_width + MARGIN
    height = top + rows * cell_height + MARGIN + 10 + text_height + MARGIN
    canvas = Image.new("RGB", (max(width, left + 200), height), "white")
    grid = np.where(missing[..., None], np.uint8(MISSING), colours(scaled))
    cells = np.repeat(np.repeat(grid, cell_height, axis=0), cell_width, axis=1)
    canvas.paste(Image.fromarray(cells, "RGB"), (left, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((MARGIN, MARGIN), title, fill="black", font=font)
    for row, label in enumerate(row_labels):
        draw.text((MARGIN, top + row * cell_height + (cell_height - text_height) // 2), label, fill="black", font=font)
    widest = max(font.getlength(label) for label in column_labels) + 4
    step = max(1, math.ceil(widest / cell_width))
    for column in range(0, columns, step):
        draw.text((left + column * cell_width, top - text_height - 2), column_labels[column], fill="black", font=font)
    for index, text in enumerate(texts):
        row, column = divmod(index, columns)
        ink = "black" if scaled[row, column] > 0.6 else "white"
        x = left + column * cell_width + (cell_width - font.getlength(text)) / 2
        draw.text((x, top + row * cell_height + (cell_height - text_height) // 2), text, fill=ink, font=font)
    _colour_bar(canvas, draw, font, left, top + rows * cell_height + MARGIN, low, high)
    return canvas


def _colour_bar(canvas: Image.Image, draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont, x: int, y: int,
                low: float, high: float) -> None:
    bar = np.repeat(colours(np.linspace(0.0, 1.0, 120))[None], 10, axis=0)
    low_text = _format(low)
    canvas.paste(Image.fromarray(bar, "RGB"), (x + int(font.getlength(low_text)) + 4, y))
    draw.text((x, y), low_text, fill="black", font=font)
    draw.text((x + int(font.getlength(low_text)) + 128, y), _format(high), fill="black", font=font)


def _format(value: float) -> str:
    return f"{value:.3g}"
