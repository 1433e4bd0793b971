"""The browser page: Mesa's SolaraViz over the model (``app``), its components, the data
they draw (``data``), the pictures (``figures``), the model as the page drives it
(``model``) and the offline server (``serve``)."""
