"""The browser page: Mesa's SolaraViz over the holarchy, one model per browser tab.

Serve it with ``dataspace-abm viz`` (offline, on 127.0.0.1), or with
``solara run --production --no-check-version dataspace_abm/viz/app.py``.
"""

import solara
from mesa.visualization import SolaraViz

from dataspace_abm.viz.components import page_components
from dataspace_abm.viz.model import CONTROLS, Keeper, VizModel, initial_values
from dataspace_abm.viz.serve import keep_offline

keep_offline()


@solara.component
def Page() -> None:
    """SolaraViz with the controls, the four components and a model of this tab's own."""
    first = solara.use_memo(lambda: VizModel(**initial_values()), [])
    model = solara.use_reactive(first)
    error = solara.use_reactive("")
    keeper = solara.use_memo(lambda: Keeper(model, error), [])
    components = solara.use_memo(lambda: page_components(error), [])
    SolaraViz(
        model,
        components=components,
        model_params={**CONTROLS, "keeper": keeper},
        name="dataspace_abm: a holarchy shaping landscapes",
    )
