"""Bar and line charts as Pillow images, in the colours of `cpg.report.png` (no matplotlib).

    image = stacked_bars_image(["conv1", "conv2"], [Segment("task 1", [0.5, 0.2], colour)], "ownership")
    save_png("ownership.png", image)
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cpg.report.png import MARGIN, colours

Colour = tuple[int, int, int]
FREE: Colour = (225, 225, 225)
TEXT_HEIGHT = 12
BAR_HEIGHT = 14
BAR_LENGTH = 480
PLOT_SIZE = (480, 320)
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Segment:
    """One stacked part of every bar: its legend label, one value per bar, its colour."""

    label: str
    values: Sequence[float]
    colour: Colour


@dataclass(frozen=True)
class Series:
    """One line: its legend label, (x, y) points in drawing order, its colour."""

    label: str
    points: Sequence[tuple[float, float]]
    colour: Colour


def palette(count: int) -> list[Colour]:
    """`count` colours spread over the viridis map (dark to bright)."""
    spread = colours(np.linspace(0.0, 0.9, max(count, 1)))
    return [tuple(int(channel) for channel in colour) for colour in spread[:count]]


def stacked_bars_image(labels: Sequence[str], segments: Sequence[Segment], title: str = "",
                       axis_label: str = "") -> Image.Image:
    """Horizontal bars, one per label, each stacked from the segments' values (shares of the
    bar's full length, 0–1), with a legend above and a percentage axis below."""
    font = ImageFont.load_default()
    left = MARGIN + int(max((font.getlength(label) for label in labels), default=0)) + MARGIN
    legend_rows = _legend_layout(font, [segment.label for segment in segments], left + BAR_LENGTH)
    top = MARGIN + (TEXT_HEIGHT + MARGIN if title else 0) + len(legend_rows) * (TEXT_HEIGHT + 4) + MARGIN
    height = top + len(labels) * (BAR_HEIGHT + 4) + TEXT_HEIGHT + 2 * MARGIN + (TEXT_HEIGHT if axis_label else 0)
    canvas = Image.new("RGB", (left + BAR_LENGTH + 3 * MARGIN, height), "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((MARGIN, MARGIN), title, fill="black", font=font)
    _draw_legend(draw, font, legend_rows, segments, top - len(legend_rows) * (TEXT_HEIGHT + 4) - MARGIN)
    for row, label in enumerate(labels):
        y = top + row * (BAR_HEIGHT + 4)
        draw.text((MARGIN, y + 1), label, fill="black", font=font)
        start = 0.0
        for segment in segments:
            end = start + max(0.0, float(segment.values[row]))
            if end > start:
                draw.rectangle((left + round(start * BAR_LENGTH), y, left + round(end * BAR_LENGTH), y + BAR_HEIGHT),
                               fill=segment.colour)
            start = end
    axis_y = top + len(labels) * (BAR_HEIGHT + 4)
    draw.line((left, axis_y, left + BAR_LENGTH, axis_y), fill="black")
    for tick in TICKS:
        x = left + round(tick * BAR_LENGTH)
        draw.line((x, axis_y, x, axis_y + 3), fill="black")
        text = f"{tick:.0%}"
        draw.text((x - font.getlength(text) / 2, axis_y + 4), text, fill="black", font=font)
    if axis_label:
        draw.text((left + (BAR_LENGTH - font.getlength(axis_label)) / 2, axis_y + TEXT_HEIGHT + 6), axis_label,
                  fill="black", font=font)
    return canvas


def line_chart_image(series: Sequence[Series], title: str = "", x_label: str = "", y_label: str = "",
                     y_range: tuple[float, float] = (0.0, 1.0)) -> Image.Image:
    """Lines with a marker at every point; x spans 0–1, y spans `y_range`; legend above."""
    font = ImageFont.load_default()
    plot_width, plot_height = PLOT_SIZE
    left = MARGIN + int(font.getlength("0.75")) + MARGIN + (TEXT_HEIGHT + MARGIN if y_label else 0)
    legend_rows = _legend_layout(font, [line.label for line in series], left + plot_width)
    legend_top = MARGIN + (TEXT_HEIGHT + MARGIN if title else 0)
    top = legend_top + len(legend_rows) * (TEXT_HEIGHT + 4) + MARGIN
    canvas = Image.new("RGB", (left + plot_width + 3 * MARGIN, top + plot_height + 2 * TEXT_HEIGHT + 3 * MARGIN),
                       "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((MARGIN, MARGIN), title, fill="black", font=font)
    _draw_legend(draw, font, legend_rows, series, legend_top)
    low, high = y_range

    def position(x: float, y: float) -> tuple[float, float]:
        fraction = (y - low) / (high - low) if high > low else 0.0
        return left + x * plot_width, top + (1.0 - fraction) * plot_height

    draw.rectangle((left, top, left + plot_width, top + plot_height), outline="black")
    for tick in TICKS:
        x, y = position(tick, low + tick * (high - low))
        draw.line((x, top + plot_height, x, top + plot_height + 3), fill="black")
        draw.text((x - font.getlength(f"{tick:g}") / 2, top + plot_height + 4), f"{tick:g}", fill="black", font=font)
        value = f"{low + tick * (high - low):.2f}"
        draw.line((left - 3, y, left, y), fill="black")
        draw.text((left - 5 - font.getlength(value), y - TEXT_HEIGHT / 2), value, fill="black", font=font)
    if x_label:
        draw.text((left + (plot_width - font.getlength(x_label)) / 2, top + plot_height + TEXT_HEIGHT + 6), x_label,
                  fill="black", font=font)
    if y_label:
        _vertical_text(canvas, font, y_label, (MARGIN, top + plot_height // 2))
    for line in series:
        points = [position(x, y) for x, y in line.points]
        if len(points) > 1:
            draw.line(points, fill=line.colour, width=2)
        for x, y in points:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=line.colour)
    return canvas


def _legend_layout(font: ImageFont.ImageFont, labels: Sequence[str], width: int) -> list[list[int]]:
    """Indices of the legend entries on each row, filling rows up to `width` pixels."""
    rows: list[list[int]] = [[]]
    used = MARGIN
    for index, label in enumerate(labels):
        entry = BAR_HEIGHT + 4 + int(font.getlength(label)) + 2 * MARGIN
        if rows[-1] and used + entry > width:
            rows.append([])
            used = MARGIN
        rows[-1].append(index)
        used += entry
    return rows if rows[0] else []


def _draw_legend(draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont, rows: list[list[int]],
                 entries: Sequence[Segment] | Sequence[Series], top: int) -> None:
    for row, indices in enumerate(rows):
        x, y = MARGIN, top + row * (TEXT_HEIGHT + 4)
        for index in indices:
            entry = entries[index]
            draw.rectangle((x, y + 1, x + BAR_HEIGHT - 4, y + BAR_HEIGHT - 3), fill=entry.colour)
            draw.text((x + BAR_HEIGHT, y), entry.label, fill="black", font=font)
            x += BAR_HEIGHT + 4 + int(font.getlength(entry.label)) + 2 * MARGIN


def _vertical_text(canvas: Image.Image, font: ImageFont.ImageFont, text: str, centre_left: tuple[int, int]) -> None:
    """Draw `text` rotated a quarter turn (reading upwards), centred vertically on the point."""
    label = Image.new("RGB", (int(font.getlength(text)) + 2, TEXT_HEIGHT + 2), "white")
    ImageDraw.Draw(label).text((1, 0), text, fill="black", font=font)
    label = label.rotate(90, expand=True)
    x, y = centre_left
    canvas.paste(label, (x, y - label.height // 2))
