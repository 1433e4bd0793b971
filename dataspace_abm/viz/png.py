"""The page's PNG downloads: the SVG the page shows, rendered to PNG on the server.

What a student downloads is what they see: the same fixed frame, contour levels,
target, trails and colour scale. resvg (a self-contained renderer, no system library)
draws it with Matplotlib's own DejaVu fonts, so a machine without fonts renders the same
text, and the picture does not depend on the browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import resvg_py

FONTS = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
ZOOM = 2.0  # twice the page's pixels: sharp on slides and in print
_BOX = re.compile(r'<svg ([^>]*?)viewBox="0 0 ([0-9.]+) ([0-9.]+)" width="100%" style="[^"]*"')


def stack(markups: list[str]) -> str:
    """One ``<svg>`` holding ``markups`` (each a view's ``<svg>``) one under another."""
    parts, top, widest = [], 0.0, 0.0
    for markup in markups:
        found = _BOX.search(markup)
        if found is None:
            raise ValueError("not one of the page's views: no viewBox of its own")
        width, height = float(found[2]), float(found[3])
        head = f'<svg {found[1]}x="0" y="{top:g}" width="{width:g}" height="{height:g}"'
        parts.append(head + markup[found.end() :])
        top, widest = top + height, max(widest, width)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{widest:g}" height="{top:g}"'
        f' viewBox="0 0 {widest:g} {top:g}" style="background:#fff">{"".join(parts)}</svg>'
    )


def split(markup: str) -> list[str]:
    """The ``<svg>`` elements of a view's markup, in order (a view may draw several)."""
    return re.findall(r"<svg .*?</svg>", markup, flags=re.DOTALL)


def to_png(markup: str) -> bytes:
    """PNG bytes of a view's markup (one or more ``<svg>``), on white, at ``ZOOM``."""
    return resvg_py.svg_to_bytes(
        svg_string=stack(split(markup)),
        background="#ffffff",
        skip_system_fonts=True,
        font_dirs=[FONTS],
        font_family="DejaVu Sans",
        sans_serif_family="DejaVu Sans",
        zoom=ZOOM,
    )
