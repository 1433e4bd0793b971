"""The model core: equations, structure, state, Mesa agents, the model, its measures and
parameters. Regimes (``dataspace_abm.regimes``) and scenarios (``dataspace_abm.scenarios``)
plug into it."""
