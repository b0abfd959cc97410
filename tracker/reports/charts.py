"""A report table drawn as a PNG on the server (matplotlib, Agg backend) for the Word report and the print page.

The dashboard draws the same tables with ECharts in the browser; on paper a chart must read in black and
white, so the series differ by hatching, line style and marker as well as by dark and light greys, never by
colour alone. Labels use a CJK font when one is installed (fonts-noto-cjk: "Noto Sans CJK SC"), else
matplotlib's default (Chinese labels would then show as boxes, but nothing fails).
"""
from __future__ import annotations

import functools
import io
import threading
import warnings

from tracker.reports.figures import Table

# Dark to light, with a black edge: distinct on a grey-scale print.
GREYS = ("#262626", "#8c8c8c", "#d9d9d9", "#595959", "#bfbfbf", "#f2f2f2")
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "---", "+++", "ooo")
LINE_STYLES = ("-", "--", ":", "-.")
LINE_GREYS = ("#000000", "#5f5f5f", "#8c8c8c", "#3a3a3a")
MARKERS = ("o", "s", "^", "D", "v", "x")
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC")

_setup_lock = threading.Lock()
_font: list[str] | None = None


def _fonts() -> list[str]:
    """The font family list, found once: the first CJK font installed, then matplotlib's default."""
    global _font
    with _setup_lock:
        if _font is None:
            import matplotlib

            matplotlib.use("Agg", force=False)
            from matplotlib import font_manager

            installed = {f.name for f in font_manager.fontManager.ttflist}
            _font = [name for name in CJK_FONTS if name in installed][:1] + ["DejaVu Sans"]
        return _font


def cjk_font() -> str | None:
    """The CJK font the charts use, or None."""
    first = _fonts()[0]
    return first if first != "DejaVu Sans" else None


def _number(value) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def table_png(table: Table, width: float = 6.4, height: float = 3.2, dpi: int = 150) -> bytes | None:
    """The table as a chart in PNG, or None when it has no chart or no rows.

    A chart costs 0.1-0.4 s of CPU: the same table (the print page and the Word document of one month, a
    reload) is drawn once, from a small cache keyed by what the chart shows."""
    if not table.chart or not table.rows or len(table.columns) < 2:
        return None
    labels = tuple(str(r.label) for r in table.rows)
    series = tuple(str(c) for c in table.columns[1:])
    values = tuple(tuple(_number(r.values[i]) if i < len(r.values) else 0.0 for r in table.rows)
                   for i in range(len(series)))
    kinds = tuple(table.column_kind(i) for i in range(len(series)))
    return _draw(table.chart, labels, series, values, kinds, width, height, dpi)


@functools.lru_cache(maxsize=64)
def _draw(kind: str, labels: tuple, series: tuple, values: tuple, kinds: tuple, width: float, height: float,
          dpi: int) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    percent = all(k == "share" for k in kinds)
    style = {"font.family": "sans-serif", "font.sans-serif": _fonts(), "axes.unicode_minus": False,
             "font.size": 8, "hatch.linewidth": 0.6, "axes.edgecolor": "#000000", "text.color": "#000000",
             "axes.labelcolor": "#000000", "xtick.color": "#000000", "ytick.color": "#000000"}
    with warnings.catch_warnings(), rc_context(style):
        warnings.simplefilter("ignore")  # a glyph missing from the fallback font is not an error
        figure = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        if kind == "pie":
            _pie(axes, labels, values[0])
        elif kind == "line":
            _lines(axes, labels, series, values)
        else:
            _bars(axes, labels, series, values, stacked=(kind == "stack"))
        if kind != "pie":
            if percent:
                axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * 100:.0f}%"))
            elif all(k == "count" for k in kinds):
                axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(axis="y", color="#bfbfbf", linewidth=0.5)
            axes.set_axisbelow(True)
            if len(labels) > 6 or max(len(label) for label in labels) > 8:
                for tick in axes.get_xticklabels():
                    tick.set_rotation(35)
                    tick.set_horizontalalignment("right")
            if len(series) > 1:
                axes.legend(frameon=False, fontsize=7)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def _bars(axes, labels, series, values, stacked: bool) -> None:
    count = len(series)
    positions = range(len(labels))
    width = 0.8 if stacked else 0.8 / count
    bottom = [0.0] * len(labels)
    for i, (name, data) in enumerate(zip(series, values)):
        offset = 0 if stacked else (i - (count - 1) / 2) * width
        axes.bar([p + offset for p in positions], data, width, bottom=bottom if stacked else None, label=name,
                 color=GREYS[i % len(GREYS)], edgecolor="#000000", linewidth=0.6, hatch=HATCHES[i % len(HATCHES)])
        if stacked:
            bottom = [b + v for b, v in zip(bottom, data)]
    axes.set_xticks(list(positions), labels)


def _lines(axes, labels, series, values) -> None:
    positions = list(range(len(labels)))
    for i, (name, data) in enumerate(zip(series, values)):
        axes.plot(positions, data, label=name, color=LINE_GREYS[i % len(LINE_GREYS)],
                  linestyle=LINE_STYLES[i % len(LINE_STYLES)], marker=MARKERS[i % len(MARKERS)],
                  markerfacecolor="white", markeredgecolor="#000000", linewidth=1.4)
    axes.set_xticks(positions, labels)
    axes.set_ylim(bottom=0)


def _pie(axes, labels, data) -> None:
    shown = [(label, value) for label, value in zip(labels, data) if value > 0]
    if not shown:
        axes.text(0.5, 0.5, "0", ha="center", va="center")
        axes.set_axis_off()
        return
    wedges, _texts, _autotexts = axes.pie(
        [v for _l, v in shown], labels=[label for label, _v in shown], autopct="%1.0f%%", startangle=90,
        counterclock=False, colors=[GREYS[i % len(GREYS)] for i in range(len(shown))],
        wedgeprops={"edgecolor": "#000000", "linewidth": 0.6}, textprops={"fontsize": 7})
    for i, wedge in enumerate(wedges):
        wedge.set_hatch(HATCHES[i % len(HATCHES)])
    for text in _autotexts:
        # Black on a white patch: readable on any grey and hatch.
        text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    axes.set_aspect("equal")
