"""Summaries of repeated measurements and the one table the benchmark prints.

Every figure is a median with its min and max over the repeats; ratios are computed per repeat
(the two sides of a ratio were measured back to back) and then summarised the same way.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class Figure:
    """A measured quantity over repeats."""

    values: list[float]
    unit: str = ""
    digits: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self) -> str:
        def fmt(v: float) -> str:
            return f"{v:,.{self.digits}f}"

        unit = f" {self.unit}" if self.unit else ""
        if len(self.values) == 1:
            return f"{fmt(self.values[0])}{unit}"
        return f"{fmt(self.median)} [{fmt(min(self.values))}–{fmt(max(self.values))}]{unit}"


@dataclass
class Row:
    section: str
    metric: str
    value: str
    target: str = ""
    verdict: str = ""


def check(figure: Figure, ok: Callable[[float], bool]) -> str:
    """`met` / `MISSED` on the median; the spread is in the value column."""
    return "met" if ok(figure.median) else "MISSED"


def figure(values: Sequence[float], unit: str = "", digits: int = 0) -> Figure:
    return Figure([float(v) for v in values], unit, digits)


def render(rows: list[Row]) -> str:
    """A GitHub-flavoured markdown table (also readable in a terminal)."""
    header = ("#", "measure", "median [min–max]", "target", "")
    body = [(r.section, r.metric, r.value, r.target, r.verdict) for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator, *(line(cells) for cells in body)])
