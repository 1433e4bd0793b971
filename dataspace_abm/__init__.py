"""dataspace_abm: layered, self-organizing systems as multiscale active inference in Mesa.

The folders are the architecture: ``core`` (equations, structure, state, agents, the model,
its measures and parameters), ``regimes`` (one module per control regime), ``scenarios``
(what the holarchy stands for), ``batch`` (experiment batches and their reports) and
``viz`` (the browser page); the command line and the benchmark sit on top.
"""

from .core.model import HolarchyModel
from .core.params import PARAMETERS, ParameterError

__all__ = ["PARAMETERS", "HolarchyModel", "ParameterError"]
__version__ = "0.2.0"
