"""Small bar charts drawn on the server as inline SVG: no script, no outside file.

Each chart scales to its own largest value, names it on the axis, and gives every bar a
tooltip (its period and value) that the browser shows on hover and screen readers read.
"""

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 320, 120
LEFT, RIGHT, TOP, BOTTOM = 36, 4, 8, 18


def bar_chart(values: list[int], labels: list[str], *, title: str, colour: str) -> SafeString:
    """An SVG of one bar per value; labels name each bar's period (first and last shown)."""
    peak = max(values, default=0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
        (
            (
                _coord(LEFT + index * slot + slot * 0.1),
                _coord(TOP + plot_h - _height(value, peak, plot_h)),
                _coord(slot * 0.8),
                _coord(_height(value, peak, plot_h)),
                colour,
                label,
                formats.number_format(value, force_grouping=True),
            )
            for index, (value, label) in enumerate(zip(values, labels, strict=True))
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" class="axis"/>'
        '<text x="{tick}" y="{top_text}" text-anchor="end" class="tick">{peak}</text>'
        '<text x="{tick}" y="{base}" text-anchor="end" class="tick">0</text>'
        "{bars}"
        '<text x="{left}" y="{h}" class="tick">{first}</text>'
        '<text x="{right}" y="{h}" text-anchor="end" class="tick">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT - 2,
        title=title,
        left=LEFT,
        right=WIDTH - RIGHT,
        base=TOP + plot_h,
        tick=LEFT - 4,
        top_text=TOP + 8,
        peak=formats.number_format(peak, force_grouping=True),
        bars=bars,
        first=labels[0] if labels else "",
        last=labels[-1] if labels else "",
    )


def _height(value: int, peak: int, plot_h: float) -> float:
    """A bar's height; a value above zero is always visible (at least 1 unit)."""
    if not peak or not value:
        return 0.0
    return max(plot_h * value / peak, 1.0)


def _coord(value: float) -> str:
    return f"{value:.1f}"
