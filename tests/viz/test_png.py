"""The page's PNG downloads are the SVG it shows, rendered on the server."""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest
import solara
from solara.components.file_download import FileDownloadWidget

from dataspace_abm.viz import data as D
from dataspace_abm.viz import png as P
from dataspace_abm.viz import views as V
from dataspace_abm.viz.components import LandscapeView, Screen, TimeSeriesView
from dataspace_abm.viz.model import VizModel, initial_values
from dataspace_abm.viz.session import Session

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data.startswith(SIGNATURE)
    return struct.unpack(">II", data[16:24])


def pixels(data: bytes) -> np.ndarray:
    import io

    from matplotlib.image import imread

    return imread(io.BytesIO(data))


@pytest.fixture(scope="module")
def session():
    s = Session(VizModel(**initial_values()))
    s.step(12)
    return s


def test_a_view_renders_at_twice_its_frame(session):
    markup, _ = V.landscape_svg(session, 1, 0)
    data = P.to_png(markup)
    assert size(data) == (round(600 * P.ZOOM), round(430 * P.ZOOM))
    image = pixels(data)
    assert image[..., :3].min() < 0.2  # ink: lines and text were drawn
    assert (image[..., :3] > 0.99).all(axis=-1).mean() > 0.3  # on white


def test_stacked_views_keep_their_order_and_add_their_heights(session):
    markup = V.timeseries_svg(session)
    parts = P.split(markup)
    assert len(parts) == 3  # errors, energy, bits
    heights = [float(p.split('viewBox="0 0 ')[1].split('"')[0].split()[1]) for p in parts]
    width, height = size(P.to_png(markup))
    assert height == round(sum(heights) * P.ZOOM) and width == round(560 * P.ZOOM)
    stacked = P.stack(parts)
    assert stacked.index("errors") < stacked.index("energy") < stacked.index("bits")


def test_markup_that_is_not_a_view_is_refused():
    with pytest.raises(ValueError, match="viewBox"):
        P.stack(["<svg><rect/></svg>"])


def download(rc, filename: str) -> bytes:
    """Press a FileDownload as the browser does and wait for the bytes it hands out."""
    (widget,) = [w for w in rc.find(FileDownloadWidget).widgets if w.filename == filename]
    widget.request_download = True
    deadline = time.monotonic() + 60
    while widget.bytes is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return widget.bytes


def test_the_downloads_hand_out_the_views_as_shown(session):
    screen = Screen()
    box, rc = solara.render(LandscapeView(session, screen), handle_error=False)
    shown = V.landscape_svg(session, 1, 0, D.PARTS[0])[0]
    assert download(rc, "landscape.png") == P.to_png(shown)  # same frame, same levels
    box, rc = solara.render(TimeSeriesView(session, screen), handle_error=False)
    assert download(rc, "timeseries.png") == P.to_png(V.timeseries_svg(session))
