"""The docs hold together: links resolve, and the pictures are drawn from the model.

Every relative link and image in README.md and docs/**/*.md must point to a file or folder
inside the repository that exists; a link to a Markdown heading (``page.md#heading``) must
name a heading of that page. Web links (http, https, mailto) and links to a heading of the
same page (``#heading``) are not checked.
"""

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.M | re.S)
CODE = re.compile(r"(`+).+?\1", re.S)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\".*\")?\s*$", re.M)


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where links are not links."""
    return CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    prose = _prose(text)
    return INLINE.findall(prose) + REFERENCE.findall(prose)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, dashes."""
    text = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found, seen = set(), {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", page.read_text()), re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in links(page.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # a web link, mail, or a heading of the same page
        path, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(path)).resolve()
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {path}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    assert broken_links(page) == []


def test_the_link_check_catches_what_it_should(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "there.md").write_text("# A heading, with `code`\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [ok](there.md#twice-1)\n"
        "![ok](there.md 'title') [web](https://example.org/x) [self](#anything)\n"
        "[gone](missing.md) [bad anchor](there.md#nowhere) [out](../../etc/passwd)\n"
        "`[not a link](nowhere.md)`\n\n```md\n[not a link](nowhere.md)\n```\n\n"
        "[ref]: also-missing.png\n"
    )
    problems = broken_links(page)
    assert [p.split(":")[0] for p in problems] == [
        "missing.md",
        "there.md#nowhere",
        "../../etc/passwd",
        "also-missing.png",
    ]


def test_the_figures_script_draws_every_picture_from_the_model(tmp_path):
    script = FIGURES / "make_figures.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    drawn = sorted(tmp_path.glob("*.png"))
    assert len(drawn) >= 5
    for png in drawn:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png.name
        assert png.stat().st_size > 10_000, png.name
    # the committed pictures are these, and small
    committed = sorted(FIGURES.glob("*.png"))
    assert [p.name for p in committed] == [p.name for p in drawn]
    for png in committed:
        assert png.stat().st_size < 200_000, png.name


def test_every_committed_picture_is_shown_somewhere():
    text = "\n".join(page.read_text() for page in PAGES)
    for png in FIGURES.glob("*.png"):
        assert f"figures/{png.name}" in text, png.name


def test_the_odd_parameter_table_lists_every_parameter_with_its_default():
    from dataspace_abm.core.params import OWNER, PARAMETERS

    rows = {}
    for line in (ROOT / "docs" / "odd.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].startswith("`") and cells[1].endswith("`"):
            rows.setdefault(cells[1].strip("`"), cells[2].strip("`"))
    scenario_page = (ROOT / "docs" / "ai_grid.md").read_text()
    for name, spec in PARAMETERS.items():
        if OWNER.get(name) == "ai_grid":  # the scenario's own: on its page
            assert f"`{name}`" in scenario_page, f"docs/ai_grid.md does not name {name}"
            continue
        assert name in rows, f"docs/odd.md has no row for the parameter {name}"
        if spec.kind not in ("series", "path"):
            assert rows[name] == str(spec.default), name


def test_the_energy_settings_are_the_odd_table_and_run():
    """docs/odd.md's two calibrations are params.ENERGY_SETTINGS; a run prices its bits
    with them, and the Landauer floor sits where the table says."""
    from dataspace_abm import HolarchyModel
    from dataspace_abm.core.params import ENERGY_SETTINGS

    text = (ROOT / "docs" / "odd.md").read_text()
    rows = {"data_centre": "| data centre, one switch hop |", "cell": "| biological cell, one "}
    for name, costs in ENERGY_SETTINGS.items():
        row = next(line for line in text.splitlines() if line.startswith(rows[name]))
        cells = [c.strip() for c in row.split("|")]
        assert [float(cells[i].split()[0]) for i in (3, 4, 5, 6)] == [
            costs["c_act"],
            costs["c_inf"],
            costs["c_bit"],
            costs["c_central"],
        ]
        table = HolarchyModel(rng=1, n_organizations=2, **costs).run(20)
        assert (table["energy_communication"] == costs["c_bit"] * table["bits_total"]).all()
        floor = table["landauer_floor"].sum() / table["bits_total"].sum()
        assert float(cells[8]) == pytest.approx(costs["c_bit"] / floor, rel=0.05)
