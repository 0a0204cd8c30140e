"""The savings report's bar charts (found and recovered per month, one chart per currency) as plain numbers for the
SVG the template draws: no script, no style, nothing computed in the template."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from backoffice.billing.savings.report import ZERO, Amounts, SavingsReport
from backoffice.languages import N_

CHART_WIDTH, CHART_HEIGHT = 720, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 84, 12, 14, 30
# The labels are marked for the catalogues and translated where shown (the legend, each bar's title).
CHART_SERIES = (("found", N_("Found (disputed)"), "#d9822b"), ("recovered", N_("Recovered"), "#0b6e74"))
GRID_LINES = 4


@dataclass(frozen=True, slots=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    y: str
    label: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """A bar chart of one currency, as numbers for SVG attributes (drawn by the template, no script, no style)."""

    currency: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: str
    bars: list[Bar]
    ticks: list[Tick]
    months: list[tuple[str, str]]  # (x of the label's centre, label)
    series: tuple[tuple[str, str, str], ...] = CHART_SERIES


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times a power of ten at least `value` (at least 1)."""
    if value <= 1:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= power * step:
            return power * step
    return power * 10


def _px(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _axis_label(value: Decimal) -> str:
    """A tick's amount in the page's language: 12,500 and 0.75 in English, 12.500 and 0,75 in German."""
    return format_decimal(value.normalize())


def bar_charts(report: SavingsReport, format_amount) -> list[BarChart]:
    """Per currency, the amount found and the amount recovered of each month of the period."""
    charts = []
    months = report.period.months
    plot_width = Decimal(CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT)
    plot_height = Decimal(CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM)
    baseline = Decimal(PLOT_TOP) + plot_height
    slot = plot_width / max(len(months), 1)
    bar_width = slot * Decimal("0.34")
    for currency, by_month in report.by_month.items():
        top = _nice_ceiling(
            max((getattr(amounts, series[0]) for amounts in by_month.values() for series in CHART_SERIES), default=ZERO)
        )
        bars = []
        for index, month in enumerate(months):
            amounts = by_month.get(month, Amounts())
            left = Decimal(PLOT_LEFT) + slot * index + (slot - 2 * bar_width) / 2
            for offset, (name, label, fill) in enumerate(CHART_SERIES):
                value = getattr(amounts, name)
                height = plot_height * value / top
                bars.append(
                    Bar(
                        x=_px(left + bar_width * offset),
                        y=_px(baseline - height),
                        width=_px(bar_width),
                        height=_px(height),
                        fill=fill,
                        title=_(
                            "%(series)s, %(month)s: %(amount)s",
                            series=_(label),
                            month=format_date(month, "LLLL yyyy"),
                            amount=format_amount(value, currency),
                        ),
                    )
                )
        ticks = [
            Tick(y=_px(baseline - plot_height * step / GRID_LINES), label=_axis_label(top * step / GRID_LINES))
            for step in range(GRID_LINES + 1)
        ]
        month_pattern = "LLL" if len(months) <= 12 else "MM/yy"
        labels = [
            (_px(Decimal(PLOT_LEFT) + slot * index + slot / 2), format_date(month, month_pattern))
            for index, month in enumerate(months)
        ]
        charts.append(
            BarChart(
                currency,
                CHART_WIDTH,
                CHART_HEIGHT,
                PLOT_LEFT,
                CHART_WIDTH - PLOT_RIGHT,
                _px(baseline),
                bars,
                ticks,
                labels,
            )
        )
    return charts
