"""Morphogenesis: "Knowing one's place" (Friston, Levin, Sengupta & Pezzulo 2015) on Mesa.

Cells share a generative model of a target form but not their own identity; each infers
where it belongs from the signals the others release, migrates there and releases what
its place should, so the ensemble assembles the form, and regrows it when cut in half.
"""

from .form import FORMS, Form, from_grid, named_form
from .model import PARAMETERS, MorphCell, MorphogenesisModel

__all__ = [
    "FORMS",
    "PARAMETERS",
    "Form",
    "MorphCell",
    "MorphogenesisModel",
    "from_grid",
    "named_form",
]
