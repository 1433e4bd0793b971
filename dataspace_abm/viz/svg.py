"""A small SVG canvas for the page's live views: data coordinates in, markup out.

The page draws every frame as SVG text the browser renders itself: a few milliseconds a
frame where a Matplotlib PNG took 0.2-0.5 s, and sharp on a projector at any size. The
PNG exports still come from Matplotlib (``figures``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np
from matplotlib import colormaps, colors

FONT = "font-family:DejaVu Sans,Arial,sans-serif"
Label = str | Callable[[float], str]  # a tick label: a format string or a function


def _label(fmt: Label, value: float) -> str:
    return fmt(value) if callable(fmt) else fmt.format(value)


def _number(value) -> str:
    """A coordinate as markup: an int as written, any other number to one decimal."""
    return str(value) if isinstance(value, int | np.integer) else f"{value:.1f}"


def _attributes(**attrs) -> str:
    """``name="value"`` pairs in the order given; ``_`` in a name becomes ``-`` and a
    trailing one (``class_``) is dropped."""
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items())


def hex_colours(values: np.ndarray, norm: colors.Normalize, cmap: str) -> list[str]:
    """Matplotlib's colour map ``cmap`` at ``values`` (normalised by ``norm``) as #rrggbb."""
    rgba = colormaps[cmap](norm(np.asarray(values, dtype=float)))
    return [colors.to_hex(c) for c in np.atleast_2d(rgba)]


@dataclass
class Canvas:
    """A plot area of ``width`` x ``height`` px showing ``xlim`` x ``ylim`` of data space.

    ``margin`` is (left, top, right, bottom) in px around the plot area, for axes and text.
    """

    width: int
    height: int
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    margin: tuple[int, int, int, int] = (48, 24, 16, 36)
    parts: list[str] = field(default_factory=list)
    clip: str = "plot"

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The plot area in px: left, top, width, height."""
        left, top, right, bottom = self.margin
        return left, top, self.width - left - right, self.height - top - bottom

    def px(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Data coordinates to pixels (y grows upward in data, downward on screen)."""
        left, top, w, h = self.box
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        sx = left + (np.asarray(x, dtype=float) - x0) / (x1 - x0) * w
        sy = top + h - (np.asarray(y, dtype=float) - y0) / (y1 - y0) * h
        return sx, sy

    def scale(self) -> tuple[float, float]:
        """Pixels per data unit along x and along y."""
        _, _, w, h = self.box
        return w / (self.xlim[1] - self.xlim[0]), h / (self.ylim[1] - self.ylim[0])

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def element(self, tag: str, cls: str = "", coords: dict | None = None, **attrs) -> None:
        """An empty element ``<tag .../>`` in pixels: its class (if any), then its ``coords``
        (ints as written, other numbers to one decimal), then ``attrs`` as given."""
        head = f' class="{cls}"' if cls else ""
        places = "".join(f' {k}="{_number(v)}"' for k, v in (coords or {}).items())
        self.add(f"<{tag}{head}{places}{_attributes(**attrs)}/>")

    def rect(self, x, y, w, h, cls: str = "", **attrs) -> None:
        """A rectangle at pixel position (x, y), ``w`` x ``h`` px."""
        self.element("rect", cls, {"x": x, "y": y, "width": w, "height": h}, **attrs)

    def line(self, x1, y1, x2, y2, cls: str = "", **attrs) -> None:
        """A straight line from pixel (x1, y1) to pixel (x2, y2)."""
        self.element("line", cls, {"x1": x1, "y1": y1, "x2": x2, "y2": y2}, **attrs)

    def circle(self, cx, cy, r, cls: str = "", **attrs) -> None:
        """One circle at pixel position (cx, cy), radius ``r`` px."""
        self.element("circle", cls, {"cx": cx, "cy": cy, "r": r}, **attrs)

    def path(self, d: str, cls: str = "", **attrs) -> None:
        """A path of pixel commands ``d``."""
        self.element("path", cls, {}, d=d, **attrs)

    def legend(self, rows: Iterable[tuple[str, str]], x: float, y: float) -> None:
        """A legend at pixel (x, y): a line of colour and its words per (colour, words) row."""
        for i, (colour, words) in enumerate(rows):
            self.line(x, y + 19 * i, x + 20, y + 19 * i, stroke=colour, stroke_width=2)
            self.text(x + 24, y + 19 * i + 5, words, size=16)

    def polyline(
        self, x, y, colour: str, width: float = 1.5, dash: str = "", cls: str = ""
    ) -> None:
        sx, sy = self.px(x, y)
        keep = np.isfinite(sx) & np.isfinite(sy)
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx[keep], sy[keep], strict=True))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<polyline class="{cls}" points="{points}" fill="none" stroke="{colour}"'
            f' stroke-width="{width}"{extra} clip-path="url(#{self.clip})"/>'
        )

    def circles(
        self,
        x,
        y,
        r: float | Sequence[float],
        fill: str | Sequence[str],
        stroke: str = "#000",
        width: float = 0.6,
        cls: str = "",
        titles: Sequence[str] | None = None,
    ) -> None:
        sx, sy = self.px(x, y)
        radii = np.broadcast_to(np.asarray(r, dtype=float), sx.shape)
        fills = [fill] * len(sx) if isinstance(fill, str) else list(fill)
        for i, (a, b) in enumerate(zip(sx, sy, strict=True)):
            title = f"<title>{escape(titles[i])}</title>" if titles else ""
            self.add(
                f'<circle class="{cls}" cx="{a:.1f}" cy="{b:.1f}" r="{radii[i]:.1f}"'
                f' fill="{fills[i]}" stroke="{stroke}" stroke-width="{width}">{title}</circle>'
            )

    def segments(self, x0, y0, x1, y1, colour: str, width: float = 1.0, cls: str = "") -> None:
        """Many straight lines as one path."""
        a, b = self.px(x0, y0)
        c, d = self.px(x1, y1)
        path = "".join(
            f"M{p:.1f} {q:.1f}L{r:.1f} {s:.1f}" for p, q, r, s in zip(a, b, c, d, strict=True)
        )
        if path:
            self.add(
                f'<path class="{cls}" d="{path}" stroke="{colour}" stroke-width="{width}"'
                f' fill="none" clip-path="url(#{self.clip})"/>'
            )

    def text(
        self, x: float, y: float, words: str, size: int = 15, anchor: str = "start", **attrs
    ) -> None:
        """Text at pixel position (x, y)."""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
            f' style="{FONT}"{_attributes(**attrs)}>{escape(words)}</text>'
        )

    def axes(
        self,
        xlabel: str,
        ylabel: str,
        xticks: Iterable[float],
        yticks: Iterable[float],
        xfmt: Label = "{:.3g}",
        yfmt: Label | None = None,
    ) -> None:
        """A frame round the plot area, ticks with labels (a format or a function), titles."""
        yfmt = xfmt if yfmt is None else yfmt
        left, top, w, h = self.box
        self.rect(left, top, w, h, fill="none", stroke="#444")
        for t in xticks:
            sx, _ = self.px(t, self.ylim[0])
            self.line(sx, top + h, sx, top + h + 4, stroke="#444")
            self.text(float(sx), top + h + 16, _label(xfmt, t), size=16, anchor="middle")
        for t in yticks:
            _, sy = self.px(self.xlim[0], t)
            self.line(left - 4, sy, left, sy, stroke="#444")
            self.text(left - 6, float(sy) + 4, _label(yfmt, t), size=16, anchor="end")
        self.text(left + w / 2, self.height - 4, xlabel, size=17, anchor="middle")
        self.text(
            12,
            top + h / 2,
            ylabel,
            size=17,
            anchor="middle",
            transform=f"rotate(-90 12 {top + h / 2:.1f})",
        )

    def colour_bar(self, levels: np.ndarray, fills: list[str], label: str, x: float) -> None:
        """A vertical bar of ``len(fills)`` bands between ``levels`` at pixel column ``x``."""
        _, top, _, h = self.box
        k = len(fills)
        band = h / max(k, 1)
        for i, fill in enumerate(fills):
            y = top + h - (i + 1) * band
            self.rect(float(x), y, 14, band + 0.5, fill=fill)  # float: x to one decimal, like y
        for i in range(0, k + 1, max(1, k // 5)):
            self.text(
                x + 18,
                top + h - i * band + 4,
                f"{levels[i]:.3g}",
                size=15,
                class_="dataspace-level",
            )
        self.text(x + 7, top - 14, label, size=16, anchor="middle")

    def markup(self, cls: str, title: str = "") -> str:
        """The finished ``<svg>``; scales with its box in the page (viewBox)."""
        left, top, w, h = self.box
        head = (
            f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width}'
            f' {self.height}" width="100%" style="max-width:{self.width}px;background:#fff">'
            f'<defs><clipPath id="{self.clip}"><rect x="{left}" y="{top}" width="{w}"'
            f' height="{h}"/></clipPath></defs>'
        )
        heading = (
            f'<text x="{left}" y="18" font-size="18" style="{FONT}">{escape(title)}</text>'
            if title
            else ""
        )
        return head + heading + "".join(self.parts) + "</svg>"


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick positions covering [lo, hi] (Matplotlib's MaxNLocator)."""
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(count).tick_values(lo, hi)
    return ticks[(ticks >= lo - 1e-12) & (ticks <= hi + 1e-12)]
