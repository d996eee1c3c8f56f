"""Small line charts drawn as inline SVG on the server: no chart library, nothing loaded at run time.

A chart is a few series of (time, value) points sharing one time axis; htmx re-fetches the panel to move it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]], unit: str = "", width: int = 640, height: int = 180, title: str = ""
) -> str:
    """An SVG of each named series; the y axis starts at 0 and ends at the largest value seen."""
    left, right, top, bottom = 56, 8, 18, 22
    points = [p for s in series.values() for p in s]
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(title)}">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="#f8fafc" stroke="#cbd5e1"/>',
    ]
    if title:
        parts.append(f'<text x="{left}" y="12" font-size="11" fill="#334155">{escape(title)}</text>')
    if len(points) < 2:
        parts.append(f'<text x="{left + 8}" y="{top + 20}" font-size="11" fill="#64748b">collecting samples…</text></svg>')
        return "".join(parts)
    t0 = min(t for t, _ in points)
    t1 = max(t for t, _ in points)
    vmax = max(max(v for _, v in points), 1e-9)
    span = max(t1 - t0, 1e-9)
    plot_w = width - left - right
    plot_h = height - top - bottom
    parts.append(f'<text x="{left - 4}" y="{top + 9}" font-size="10" text-anchor="end" fill="#334155">{_short(vmax)}{escape(unit)}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end" fill="#334155">0</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10" fill="#64748b">-{span:.0f} s</text>')
    parts.append(f'<text x="{width - right}" y="{height - 6}" font-size="10" text-anchor="end" fill="#64748b">now</text>')
    legend_x = left + 6
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{left + (t - t0) / span * plot_w:.1f},{top + plot_h - v / vmax * plot_h:.1f}" for t, v in pts)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"><title>{escape(name)}</title></polyline>'
        )
        parts.append(f'<text x="{legend_x}" y="{top + 12}" font-size="10" fill="{colour}">{escape(name)}</text>')
        legend_x += 6 * len(name) + 18  # about 6 px a character at this size
    parts.append("</svg>")
    return "".join(parts)


def _short(v: float) -> str:
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.1f}" if v < 10 else f"{v:.0f}"
