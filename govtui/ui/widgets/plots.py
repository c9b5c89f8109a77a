"""Plots of the model screen: time series with reference lines and alias moves, distributions, parity.

Every plot subclasses textual-plotext's PlotextPlot: decoration (title, labels) happens on mount,
`replot()` clears the data, draws it again from the last values given and refreshes. Colours are
read from the theme's variables at draw time (never written in code), and in ASCII mode the plot
uses plain markers and its frame is translated to `-`, `|` and `+`, so no byte above 0x7F leaves it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color, ColorParseError
from textual_plotext import PlotextPlot

from govtui.fleet.snapshot import FeatureDistribution, Series
from govtui.ui.render.model_text import resolve_variable

RGB = tuple[int, int, int]

# Box drawing plotext uses for frames, ticks, grids and h/v lines, and its ASCII stand-ins.
_ASCII_FRAME = str.maketrans(
    {
        "─": "-",
        "━": "-",
        "│": "|",
        "┃": "|",
        "┌": "+",
        "┐": "+",
        "└": "+",
        "┘": "+",
        "├": "+",
        "┤": "+",
        "┬": "+",
        "┴": "+",
        "┼": "+",
        "╭": "+",
        "╮": "+",
        "╰": "+",
        "╯": "+",
        "█": "#",
        "▄": "#",
        "▀": "#",
        "•": "*",
        "·": ".",
    }
)


def asciify(text: Text) -> Text:
    """The same Text with box drawing made ASCII and anything else above 0x7F replaced by `?`."""
    plain = text.plain.translate(_ASCII_FRAME)
    if not plain.isascii():
        plain = "".join(char if ord(char) < 0x80 else "?" for char in plain)
    result = Text(plain, style=text.style, end=text.end, no_wrap=text.no_wrap)
    for span in text.spans:
        result.stylize(span.style, span.start, span.end)
    return result


@dataclass(frozen=True)
class Markers:
    """The marker characters of one mode (Unicode or plain ASCII)."""

    line: str
    anomaly: str
    current_bar: str
    reference_bar: str
    bar: str
    level: str


UNICODE_MARKERS = Markers(
    line="hd", anomaly="X", current_bar="sd", reference_bar="▒", bar="sd", level="━"
)
ASCII_MARKERS = Markers(
    line="*", anomaly="X", current_bar="#", reference_bar=":", bar="#", level="="
)


class ThemedPlot(PlotextPlot):
    """A PlotextPlot whose colours come from the theme and which honours the console's ASCII mode."""

    DEFAULT_CSS = """
    ThemedPlot {
        height: 12;
        min-height: 6;
        width: 1fr;
    }
    """

    def __init__(
        self,
        title: str,
        *,
        xlabel: str = "",
        ylabel: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._title = title
        self._xlabel = xlabel
        self._ylabel = ylabel
        self.replots = 0

    @property
    def ascii_mode(self) -> bool:
        """Whether the console draws no byte above 0x7F."""
        return bool(getattr(self.app, "ascii_mode", False))

    @property
    def markers(self) -> Markers:
        """Markers for the current mode."""
        return ASCII_MARKERS if self.ascii_mode else UNICODE_MARKERS

    def on_mount(self) -> None:
        """Decorate once; draw whatever data arrived before mounting; follow theme changes."""
        self.plt.title(self._title)
        if self._xlabel:
            self.plt.xlabel(self._xlabel)
        if self._ylabel:
            self.plt.ylabel(self._ylabel)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def on_unmount(self) -> None:
        """Stop following the theme (the signal's callback would keep this widget alive)."""
        self.app.theme_changed_signal.unsubscribe(self)

    def set_title(self, title: str) -> None:
        """Change the title (e.g. to name the selected feature)."""
        self._title = title
        self.plt.title(title)

    def colour(self, *names: str) -> RGB:
        """The first usable theme variable among `names` as an RGB tuple plotext accepts."""
        variables = self.app.theme_variables
        for name in (*names, "foreground"):
            value = resolve_variable(variables, name)
            if not value:
                continue
            try:
                return Color.parse(value).rgb
            except ColorParseError:
                continue
        return Color.parse(self.app.get_css_variables().get("foreground", "white")).rgb

    def replot(self) -> None:
        """Clear the data, draw it again from the stored values, refresh."""
        if not self.is_mounted:
            return
        self.plt.clear_data()
        self.draw()
        self.replots += 1
        self.refresh()

    def draw(self) -> None:
        """Plot the stored data (subclasses)."""

    def render(self) -> RenderResult:
        """Plotext's output, made ASCII in ASCII mode; nothing when too small to draw."""
        if self.size.width < 12 or self.size.height < 5:
            return Text("")
        try:
            rendered = super().render()
        except Exception as exc:  # a plotting bug must not take the console down
            return Text(f"cannot draw this plot ({type(exc).__name__})", style="dim")
        if self.ascii_mode and isinstance(rendered, Text):
            return asciify(rendered)
        return rendered


@dataclass(frozen=True)
class TimeLine:
    """One series drawn on a time plot, with the theme variable that colours it."""

    label: str
    series: Series
    colour: str = "plot-current"


@dataclass(frozen=True)
class LevelLine:
    """A horizontal reference level (the reference accuracy, the allowed error ratio)."""

    label: str
    value: float
    colour: str = "plot-reference"


@dataclass(frozen=True)
class TimePlotData:
    """What a time plot shows: series, levels, alias moves (unix s) relative to `now`."""

    now: float
    lines: tuple[TimeLine, ...] = ()
    levels: tuple[LevelLine, ...] = ()
    moves: tuple[float, ...] = ()
    scale: float = 1.0


def _points(series: Series, now: float, scale: float) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for timestamp, value in zip(series.timestamps, series.values, strict=False):
        if value is None or not math.isfinite(value):
            continue
        xs.append((timestamp - now) / 3600)
        ys.append(value * scale)
    return xs, ys


class TimeSeriesPlot(ThemedPlot):
    """Hourly values by hours before the evaluation time, with anomalies, levels and alias moves."""

    def __init__(self, title: str, *, ylabel: str = "", **kwargs: Any) -> None:
        super().__init__(title, xlabel="| = alias move", ylabel=ylabel, **kwargs)
        self.data: TimePlotData | None = None

    def set_data(self, data: TimePlotData | None) -> bool:
        """Store new data and replot only when it differs; returns whether it replotted."""
        if data == self.data:
            return False
        self.data = data
        self.replot()
        return True

    def draw(self) -> None:
        """Lines, anomaly markers, level lines and alias-move markers."""
        data = self.data
        if data is None:
            return
        plot = self.plt
        markers = self.markers
        all_x: list[float] = []
        all_y: list[float] = []
        for line in data.lines:
            xs, ys = _points(line.series, data.now, data.scale)
            if not xs:
                continue
            all_x += xs
            all_y += ys
            plot.plot(xs, ys, marker=markers.line, color=self.colour(line.colour), label=line.label)
            flagged = [
                (x, y)
                for (x, y), anomaly in zip(
                    zip(xs, ys, strict=False), _anomalies_for(line.series), strict=False
                )
                if anomaly
            ]
            if flagged:
                plot.scatter(
                    [x for x, _ in flagged],
                    [y for _, y in flagged],
                    marker=markers.anomaly,
                    color=self.colour("status-crit", "error"),
                    label="anomaly",
                )
        if not all_x:
            return
        levels = [level.value * data.scale for level in data.levels]
        low = min(all_y + levels)
        high = max(all_y + levels)
        pad = (high - low) * 0.08 or abs(high) * 0.05 or 0.01
        floor = low - pad
        if low >= 0:
            floor = max(0.0, floor)  # ratios never go below zero
        plot.ylim(floor, high + pad)
        right = max(0.0, max(all_x))
        left = min(min(all_x), right - 1.0)  # plotext divides by the span: never let it be 0
        plot.xlim(left, right)
        ticks = hour_ticks(left, right)
        plot.xticks(ticks, [tick_label(tick, ticks) for tick in ticks])
        for level in data.levels:
            plot.hline(level.value * data.scale, color=self.colour(level.colour))
        for moved_at in data.moves:
            hours = (moved_at - data.now) / 3600
            if left <= hours <= 0:
                plot.vline(hours, color=self.colour("plot-marker", "accent"))


def hour_ticks(left: float, right: float) -> list[float]:
    """Whole-hour ticks ending at `right`, 4 to 6 of them, on a round step (1, 2, 3, 6, 12, 24)."""
    span = max(right - left, 1.0)
    step = next((size for size in (1, 2, 3, 6, 12, 24, 48, 168) if span / size <= 5), 336)
    ticks: list[float] = []
    tick = math.floor(right / step) * step
    while tick >= left - 1e-9:
        ticks.append(float(tick))
        tick -= step
    return sorted(ticks)


def tick_label(tick: float, ticks: Sequence[float]) -> str:
    """`now`, `-6h`, or `-2d` when every tick falls on a whole day."""
    if tick == 0:
        return "now"
    if all(item % 24 == 0 for item in ticks):
        return f"{tick / 24:g}d"
    return f"{tick:g}h"


def _anomalies_for(series: Series) -> list[bool]:
    """Anomaly flags aligned with the finite points `_points` keeps."""
    flags = list(series.anomalies) + [False] * (len(series.values) - len(series.anomalies))
    return [
        flag
        for value, flag in zip(series.values, flags, strict=False)
        if value is not None and math.isfinite(value)
    ]


class DistributionPlot(ThemedPlot):
    """A feature's reference and current proportions side by side, bin by bin."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("distribution", ylabel="share", **kwargs)
        self.distribution: FeatureDistribution | None = None

    def set_distribution(self, distribution: FeatureDistribution | None) -> bool:
        """Show another distribution (or none); replots only when it changed."""
        if distribution == self.distribution:
            return False
        self.distribution = distribution
        if distribution is not None:
            self.set_title(f"{distribution.feature}: reference vs current")
        else:
            self.set_title("distribution")
        self.replot()
        return True

    def draw(self) -> None:
        """Two bars per bin: reference and current."""
        distribution = self.distribution
        if distribution is None or not distribution.bins:
            return
        markers = self.markers
        bar_groups: Any = self.plt.multiple_bar  # its stub lacks the per-series list arguments
        bar_groups(
            list(distribution.bins),
            [list(distribution.reference), list(distribution.current)],
            labels=["reference", "current"],
            color=[
                self.colour("plot-reference", "secondary"),
                self.colour("plot-current", "primary"),
            ],
            marker=[markers.reference_bar, markers.current_bar],
        )
        self.plt.ylim(0, max([*distribution.reference, *distribution.current, 0.01]) * 1.1)


class ParityPlot(ThemedPlot):
    """Demographic parity ratio per protected attribute against the four-fifths line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("parity ratio (min/max selection rate)", **kwargs)
        self.ratios: tuple[tuple[str, float], ...] = ()
        self.line: float = 0.8

    def set_ratios(self, ratios: Sequence[tuple[str, float | None]], line: float) -> bool:
        """Attributes with a ratio, and the line; replots only when either changed."""
        kept = tuple(
            (attribute, float(ratio))
            for attribute, ratio in ratios
            if ratio is not None and math.isfinite(ratio)
        )
        if kept == self.ratios and line == self.line:
            return False
        self.ratios = kept
        self.line = line
        self.replot()
        return True

    def draw(self) -> None:
        """One bar per attribute and the horizontal line."""
        if not self.ratios:
            return
        count = len(self.ratios)
        self.plt.bar(
            [attribute for attribute, _ in self.ratios],
            [ratio for _, ratio in self.ratios],
            marker=self.markers.bar,
            color=self.colour("plot-current", "primary"),
            width=0.4,
        )
        # The line is drawn as data after the bars so it stays visible across them.
        self.plt.plot(
            [0.5, count + 0.5],
            [self.line, self.line],
            marker=self.markers.level,
            color=self.colour("status-crit", "error"),
            label=f"{self.line:g} line",
        )
        self.plt.ylim(0, 1.05)
        self.plt.yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        self.plt.xlim(0.5, count + 0.5)
