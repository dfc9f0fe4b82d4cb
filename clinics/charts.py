"""The clinic's view of a patient's shared craving summaries: the last 30
days as a chart (drawn on the server as SVG, like the phone's own chart in
static/js/chart.js: shapes and numbers, never colour alone; no script and no
style attribute, for the strict CSP), a sentence that says the same in
words, and the most common triggers and tools."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from craving.choices import OUTCOME_LABELS, TOOL_LABELS

DAYS = 30


@dataclass
class Day:
    date: date
    count: int
    before: float | None  # average strength at the start, 0-10
    after: float | None  # average strength at the end


@dataclass
class CravingOverview:
    days: list[Day]
    total: int
    summary: str
    top_triggers: list[tuple[str, int]]
    top_tools: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]

    @property
    def chart_svg(self) -> SafeString:
        return daily_chart_svg(self.days)


def _average(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _round1(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def craving_overview(summaries, *, today: date, zone: ZoneInfo, top: int = 5) -> CravingOverview:
    """`summaries`: the CravingSummary rows of the last DAYS days (by the
    clinic's calendar, ending `today`)."""
    first = today - timedelta(days=DAYS - 1)
    by_day: dict[date, list] = {first + timedelta(days=i): [] for i in range(DAYS)}
    triggers: Counter = Counter()
    tools: Counter = Counter()
    outcomes: Counter = Counter()
    for summary in summaries:
        day = summary.at.astimezone(zone).date()
        if day not in by_day:
            continue
        by_day[day].append(summary)
        # Stored in English (keys and the phone's English trigger labels);
        # shown in the language of the clinic page.
        triggers.update(gettext(label) for label in summary.triggers or [])
        if summary.tool:
            tools[gettext(TOOL_LABELS.get(summary.tool, summary.tool))] += 1
        if summary.outcome:
            outcomes[gettext(OUTCOME_LABELS.get(summary.outcome, summary.outcome))] += 1
    days = [
        Day(
            date=day,
            count=len(rows),
            before=_average([r.intensity_before for r in rows if r.intensity_before is not None]),
            after=_average([r.intensity_after for r in rows if r.intensity_after is not None]),
        )
        for day, rows in by_day.items()
    ]
    total = sum(day.count for day in days)
    return CravingOverview(
        days=days,
        total=total,
        summary=_summary(days, total),
        top_triggers=sorted(triggers.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
        top_tools=sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
        outcomes=sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])),
    )


def _summary(days: list[Day], total: int) -> str:
    """The chart in one or three sentences, as the phone says it (seriesSummary)."""
    if not total:
        return gettext("No cravings shared in the last %(days)s days.") % {"days": len(days)}
    active = sum(1 for day in days if day.count)

    def weighted(field: str) -> float | None:
        pairs = [(getattr(day, field), day.count) for day in days if getattr(day, field) is not None]
        n = sum(count for _, count in pairs)
        return sum(value * count for value, count in pairs) / n if n else None

    shared = ngettext(
        "%(total)s craving shared on %(active)s of the last %(days)s days.",
        "%(total)s cravings shared on %(active)s of the last %(days)s days.",
        total,
    )
    parts = [shared % {"total": total, "active": active, "days": len(days)}]
    before, after = weighted("before"), weighted("after")
    if before is not None:
        parts.append(gettext("Average strength at the start: %(n)s out of 10.") % {"n": number_format(_round1(before))})
    if after is not None:
        parts.append(gettext("Average strength at the end: %(n)s out of 10.") % {"n": number_format(_round1(after))})
    return " ".join(parts)


def daily_chart_svg(days: list[Day], *, labelled_by: str = "craving-summary") -> SafeString:
    """The same drawing as drawDailyChart in static/js/chart.js: average
    strength at the start (filled circles, solid line) and at the end (open
    squares, dashed line), and the number of cravings under each day."""
    width, height, left, right, top, bottom = 340, 190, 28, 8, 12, 44
    step = (width - left - right) / len(days)

    def x(i: int) -> str:
        return _round1(left + step * (i + 0.5))

    def y(value: float) -> str:
        return _round1(top + (1 - value / 10) * (height - top - bottom))

    parts: list[SafeString] = []
    for value in (0, 5, 10):
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="ch-grid"/>', left, width - right, y(value), y(value)
        ))
        parts.append(format_html(
            '<text x="{}" y="{}" class="ch-label" text-anchor="end">{}</text>',
            left - 6, _round1(float(y(value)) + 4), value,
        ))
    count_y = height - bottom + 16  # under each day, its count (the legend says so)
    parts.append(format_html_join(
        "", '<text x="{}" y="{}" class="ch-count" text-anchor="middle">{}</text>',
        ((x(i), count_y, day.count) for i, day in enumerate(days) if day.count),
    ))
    parts.append(format_html(
        '<text x="{}" y="{}" class="ch-label">{}</text>', left, height - 6, date_format(days[0].date, "j M")
    ))
    parts.append(format_html(
        '<text x="{}" y="{}" class="ch-label" text-anchor="end">{}</text>',
        width - right, height - 6, date_format(days[-1].date, "j M"),
    ))
    for field, css in (("before", "ch-line"), ("after", "ch-line ch-line-after")):
        points = [f"{x(i)},{y(getattr(day, field))}" for i, day in enumerate(days) if getattr(day, field) is not None]
        if len(points) > 1:
            parts.append(format_html('<polyline points="{}" class="{}"/>', " ".join(points), css))
    for i, day in enumerate(days):
        if day.before is not None:
            parts.append(format_html('<circle cx="{}" cy="{}" r="4" class="ch-dot"/>', x(i), y(day.before)))
        if day.after is not None:
            cx, cy = float(x(i)), float(y(day.after))
            parts.append(format_html(
                '<rect x="{}" y="{}" width="7" height="7" class="ch-square"/>', _round1(cx - 3.5), _round1(cy - 3.5)
            ))
    body = mark_safe("".join(parts))  # every part above went through format_html
    return format_html(
        # font-size in the chart's own units, as static/js/chart.js sets it.
        '<svg class="chart-svg" role="img" aria-labelledby="{}" viewBox="0 0 {} {}" font-size="11"'
        ' xmlns="http://www.w3.org/2000/svg">{}</svg>',
        labelled_by, width, height, body,
    )
