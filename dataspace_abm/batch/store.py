"""Where a batch keeps its runs: one Parquet part per finished run, written atomically.

``DIR/parts/<key>.parquet`` holds one run's kept steps; ``DIR/failures/<key>.json`` the
error of a run that raised. Each file is written to a temporary name, flushed to disk and
moved into place with ``os.replace``, so a batch killed at any moment (``kill -9``
included) leaves only whole parts: ``--resume`` skips them and repeats none.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

PARTS, FAILURES = "parts", "failures"


@dataclass
class RunOutcome:
    """What a run returns: its kept steps, or the error it raised."""

    key: str
    table: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class RunStore:
    """The parts and failure records of one output folder."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.parts = self.out / PARTS
        self.failures = self.out / FAILURES

    def prepare(self, resume: bool) -> None:
        """Create the folders; drop leftovers of interrupted writes; without resume, all."""
        if not resume:
            for folder in (self.parts, self.failures):
                shutil.rmtree(folder, ignore_errors=True)
        for folder in (self.parts, self.failures):
            folder.mkdir(parents=True, exist_ok=True)
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def done(self) -> set[str]:
        """Keys of the runs that finished (failed runs are tried again on resume)."""
        return {p.stem for p in self.parts.glob("*.parquet")}

    def write(self, outcome: RunOutcome) -> None:
        """Record one run at once: its part, or its failure."""
        if outcome.table is not None:
            path = self.parts / f"{outcome.key}.parquet"
            _atomic_write(path, lambda fh: outcome.table.to_parquet(fh, index=False))
            (self.failures / f"{outcome.key}.json").unlink(missing_ok=True)
            return
        record = {"key": outcome.key, "error": outcome.error, "traceback": outcome.traceback}
        data = json.dumps(record, indent=1).encode()
        _atomic_write(self.failures / f"{outcome.key}.json", lambda fh: fh.write(data))

    def read(self, key: str) -> pd.DataFrame:
        """One finished run's kept steps."""
        return pd.read_parquet(self.parts / f"{key}.parquet")

    def failed(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Failure records of those ``keys`` that failed and have no part."""
        out = {}
        for key in keys:
            path = self.failures / f"{key}.json"
            if path.exists() and not (self.parts / f"{key}.parquet").exists():
                out[key] = json.loads(path.read_text())
        return out
