"""The `/progress` charts: Plotly figures as plain dicts, with the table rows that show the same
numbers, built from the analytics services (webapp/analytics/services.py holds every rule).

A figure is data only: the template writes it with `|tojson` into its chart container's
`data-figure` attribute (htmx, configured with `allowScriptTags: false`, drops even a
`<script type="application/json">` from swapped fragments) and static/js/charts.js draws it
with the vendored plotly.js. Colours are CSS custom properties
(`var(--c-primary)`) that charts.js resolves from the page's stylesheet, so the charts follow
the page's colours; backgrounds are transparent. A dict costs a few microseconds to build, where
plotly.py's `to_html` costs milliseconds and a Python dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from webapp.analytics import services
from webapp.analytics.services import DomainStat, Performance
from webapp.models import Exam, Trend, User

# The trend marker of each objective: a Plotly marker symbol and the character the table shows.
TREND_SYMBOLS = {Trend.IMPROVING: ("triangle-up", "▲"), Trend.DECLINING: ("triangle-down", "▼"),
                 Trend.STABLE: ("circle", "●")}
# Where the trend markers sit, in accuracy percent: above the bars and their error bars.
TREND_MARKER_Y = 108
# A day's quiz bar spans 60% of the day (a date axis measures widths in milliseconds), however far
# apart the days with quizzes are.
BAR_WIDTH_MS = int(0.6 * 24 * 3600 * 1000)
# Plotly options shared by every chart: no toolbar, resize with the container.
PLOT_CONFIG = {"displayModeBar": False, "responsive": True}


def _layout(**extra) -> dict:
    """What every chart's layout shares: transparent backgrounds, the page's font and text colour,
    small margins for a 390 px phone, the legend below the plot."""
    return {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"color": "var(--c-text)", "family": "var(--font)", "size": 13},
            "margin": {"l": 48, "r": 48, "t": 16, "b": 48}, "height": 320,
            "legend": {"orientation": "h", "y": -0.22}, "hovermode": "x unified", **extra}


def _axis(**extra) -> dict:
    return {"gridcolor": "var(--c-border)", "linecolor": "var(--c-border)", "zerolinecolor": "var(--c-border)",
            "automargin": True, **extra}


@dataclass(frozen=True)
class ScoreChart:
    """The daily score line with quizzes per day as bars."""

    performance: Performance
    figure: dict
    label: str  # the chart's accessible name

    @property
    def empty(self) -> bool:
        return not self.performance.data_points


def score_figure(result: Performance) -> dict:
    """The performance's days as a score line (left axis, 0-100%) over quizzes-per-day bars (right axis)."""
    days = [point.date.isoformat() for point in result.data_points]
    first: date | None = result.first_day or (result.data_points[0].date if result.data_points else None)
    x_axis = _axis(type="date", tickformat="%d %b")
    if first is not None:
        x_axis["range"] = [f"{first.isoformat()} 00:00", f"{result.last_day.isoformat()} 23:59"]
    return {
        "data": [
            {"type": "bar", "name": "Quizzes", "x": days, "y": [p.quizzes_taken for p in result.data_points],
             "yaxis": "y2", "width": BAR_WIDTH_MS, "marker": {"color": "var(--c-primary-soft)", "line": {"color": "var(--c-primary)",
                                                                                 "width": 1}},
             "hovertemplate": "%{y} quizzes<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "name": "Average score (%)", "x": days,
             "y": [p.average_score for p in result.data_points],
             "line": {"color": "var(--c-primary)", "width": 2}, "marker": {"color": "var(--c-primary)", "size": 7},
             "hovertemplate": "%{y:.1f}%<extra></extra>"},
        ],
        "layout": _layout(
            xaxis=x_axis,
            yaxis=_axis(title={"text": "Average score (%)"}, range=[0, 100], fixedrange=True),
            yaxis2=_axis(title={"text": "Quizzes"}, overlaying="y", side="right", rangemode="tozero",
                         showgrid=False, fixedrange=True, dtick=1, tickformat="d")),
        "config": PLOT_CONFIG,
    }


def score_chart(user: User, period: str, exam_slug: str | None) -> ScoreChart:
    """The score chart of the period on one exam (None: every exam)."""
    result = services.performance(user, period, exam_slug)
    scope = result.exam.name if result.exam else "all exams"
    label = f"Daily average quiz score and quizzes per day, {result.period.label.lower()}, {scope}"
    return ScoreChart(result, score_figure(result), label)


@dataclass(frozen=True)
class ObjectiveChart:
    """One exam's accuracy per objective, with the Wilson interval, the weak line and the trends."""

    exam: Exam
    domains: list[DomainStat]
    figure: dict
    label: str
    threshold: float  # WEAK_AREA_ACCURACY_BELOW, percent

    def trend_symbol(self, trend: Trend) -> str:
        return TREND_SYMBOLS[trend][1]


def objective_figure(domains: list[DomainStat], threshold: float) -> dict:
    """Accuracy bars per objective with the 95% Wilson interval as asymmetric error bars, the
    weak-area threshold as a dashed line, and a trend marker above each bar."""
    codes = [d.domain for d in domains]
    accuracy = [d.accuracy for d in domains]
    return {
        "data": [
            {"type": "bar", "name": "Accuracy (%)", "x": codes, "y": accuracy,
             "customdata": [[d.domain_name, d.correct, d.attempts, *d.accuracy_interval] for d in domains],
             "marker": {"color": ["var(--c-warning)" if d.accuracy < threshold else "var(--c-primary)"
                                  for d in domains]},
             "error_y": {"type": "data", "symmetric": False, "color": "var(--c-text)", "thickness": 1.5, "width": 4,
                         "array": [round(d.accuracy_interval[1] - d.accuracy, 1) for d in domains],
                         "arrayminus": [round(d.accuracy - d.accuracy_interval[0], 1) for d in domains]},
             "hovertemplate": ("%{x} %{customdata[0]}<br>%{y:.1f}% (%{customdata[1]} of %{customdata[2]}), "
                               "95% interval %{customdata[3]:.1f} to %{customdata[4]:.1f}%<extra></extra>")},
            {"type": "scatter", "mode": "markers", "name": "Trend (▲ improving, ▼ declining, ● stable)", "x": codes,
             "y": [TREND_MARKER_Y] * len(domains), "text": [d.trend.label for d in domains],
             "marker": {"symbol": [TREND_SYMBOLS[d.trend][0] for d in domains], "size": 10,
                        "color": ["var(--c-success)" if d.trend == Trend.IMPROVING else
                                  "var(--c-error)" if d.trend == Trend.DECLINING else "var(--c-muted)"
                                  for d in domains]},
             "hovertemplate": "%{x}: %{text}<extra></extra>"},
        ],
        "layout": _layout(
            xaxis=_axis(type="category", title={"text": "Objective"}, fixedrange=True),
            yaxis=_axis(title={"text": "Accuracy (%)"}, range=[0, TREND_MARKER_Y + 6], fixedrange=True,
                        tickvals=[0, 20, 40, 60, 80, 100]),
            hovermode="closest", showlegend=True,
            shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": threshold, "y1": threshold,
                     "line": {"color": "var(--c-error)", "width": 1.5, "dash": "dash"}}],
            annotations=[{"xref": "paper", "x": 1, "xanchor": "right", "y": threshold, "yanchor": "bottom",
                          "text": f"{threshold:g}% weak-area line", "showarrow": False,
                          "font": {"color": "var(--c-error)", "size": 11}}]),
        "config": PLOT_CONFIG,
    }


def objective_charts(user: User, exams: list[Exam],
                     tallies: services.ObjectiveTallies | None = None) -> list[ObjectiveChart]:
    """One chart per exam of `exams` on which the learner has answered anything, in the order given
    (`tallies`: the page's answer tallies, when it read them already)."""
    threshold = current_app.config["WEAK_AREA_ACCURACY_BELOW"]
    charts = []
    for found in services.domain_performances(user, exams, tallies=tallies):
        exam, domains = found.exam, found.domains
        if domains:
            label = f"{exam.name}: accuracy per objective with 95% intervals, the {threshold:g}% line and trends"
            charts.append(ObjectiveChart(exam, domains, objective_figure(domains, threshold), label, threshold))
    return charts
