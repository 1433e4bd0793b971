"""dataspace_abm: layered, self-organizing systems as multiscale active inference in Mesa."""

from .model import HolarchyModel
from .params import PARAMETERS, ParameterError

__all__ = ["HolarchyModel", "PARAMETERS", "ParameterError"]
__version__ = "0.1.0"
