"""Experiment batches: specs (``spec``), their designs, the runner (local pool or Dask) and
its store of parts, derived measures, figures, SALib sensitivity, the report and the
``experiment`` / ``sensitivity`` commands (``cli``)."""
