"""The exercises of the seminar guide (``docs/seminar.md``) as presets of the page.

An exercise is a section ``## Exercise N. Title``. A ``text`` block's lines
``run X: Label = value; Label = value; play to step S`` are runs on the page: controls
named by their labels (``model.CONTROLS``), every other control at the value the page opens
with. The page offers each run as a preset ("Exercise 2, run B") that sets every control
and the step to run to; the seminar's tests (``tests/test_seminar.py``) run the same lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .model import CONTROLS, initial_values

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "seminar.md"
PARTS = (  # what every exercise gives, in this order
    "**Question.**",
    "**Settings.**",
    "**What to watch.**",
    "**Expected observation.**",
    "**Discussion.**",
)


def exercises(text: str | None = None) -> dict[int, str]:
    """The guide's exercises: number -> the text of its section."""
    text = GUIDE.read_text() if text is None else text
    pieces = re.split(r"^## Exercise (\d+)\b.*$", text, flags=re.M)
    found = {}
    for number, body in zip(pieces[1::2], pieces[2::2], strict=True):
        found[int(number)] = re.split(r"^## ", body, maxsplit=1, flags=re.M)[0]
    return found


def blocks(section: str, language: str) -> list[str]:
    """The fenced code blocks of one language in a section."""
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.M | re.S)


def _value(name: str, raw: str) -> Any:
    """The control's value from the guide's text; one a student can set on the page."""
    spec = CONTROLS[name]
    if spec["type"] in ("SliderInt", "SliderFloat"):
        value = int(raw) if spec["type"] == "SliderInt" else float(raw)
        notches = (value - spec["min"]) / spec["step"]
        if not spec["min"] <= value <= spec["max"] or abs(notches - round(notches)) > 1e-9:
            raise ValueError(f"{spec['label']} = {raw} is not a position of its slider")
        return value
    if spec["type"] == "Select" and raw not in spec["values"]:
        raise ValueError(f"{spec['label']} = {raw} is not one of {spec['values']}")
    return raw


def page_settings(section: str) -> dict[str, tuple[dict[str, Any], int]]:
    """Each ``run X:`` line of a section: the page's values after the changes, and steps."""
    labels = {spec["label"]: name for name, spec in CONTROLS.items()}
    runs = {}
    for block in blocks(section, "text"):
        for line in block.splitlines():
            match = re.fullmatch(r"run (\w+): (.+)", line.strip())
            if not match:
                continue
            values, steps = initial_values(), None
            for item in (part.strip() for part in match.group(2).split(";")):
                if play := re.fullmatch(r"play to step (\d+)", item):
                    steps = int(play.group(1))
                    continue
                label, raw = (s.strip() for s in item.rsplit(" = ", 1))
                if label not in labels:
                    raise KeyError(f"no control labelled {label!r} on the page")
                values[labels[label]] = _value(labels[label], raw)
            if steps is None:
                raise ValueError(f"run {match.group(1)} says no 'play to step N'")
            runs[match.group(1)] = (values, steps)
    return runs


def presets(text: str | None = None) -> dict[str, tuple[dict[str, Any], int]]:
    """Every page run of the guide: "Exercise N, run X" -> (the controls' values, steps)."""
    if text is None and not GUIDE.exists():
        return {}  # installed without the repository's docs: the page offers no presets
    found = {}
    for number, section in exercises(text).items():
        for run, setting in page_settings(section).items():
            found[f"Exercise {number}, run {run}"] = setting
    return found
