"""The page benchmark's output structure at a small size (never its timings)."""

import json

import pytest
from offline import need_browser

from dataspace_abm.cli import main


def test_page_bench_reports_steps_a_second_per_session(tmp_path, capsys):
    need_browser()
    out = tmp_path / "page.json"
    assert main(["page-bench", "--sessions", "1,2", "--seconds", "1", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [row["sessions"] for row in rows] == [1, 2]
    for row in rows:
        assert len(row["steps_per_second"]) == row["sessions"]
        assert row["min_steps_per_second"] == min(row["steps_per_second"]) > 0
        assert row["server_mb_playing"] > 0
    printed = capsys.readouterr().out
    assert "1 session(s):" in printed and "2 session(s):" in printed


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--sessions", "0"], "--sessions"),
        (["--sessions", "a"], "--sessions"),
        (["--seconds", "0"], "--seconds"),
    ],  # fmt: skip
)
def test_page_bench_refuses_bad_input_in_one_line(argv, needle, capsys):
    assert main(["page-bench", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_release_reports_memory_sessions_and_models_per_round():
    need_browser()
    from dataspace_abm.viz.bench import release

    found = release(sessions=1, seconds=1.0, rounds=1, cull="2s")
    assert found["sessions"] == 1 and found["cull"] == "2s" and found["mb_before"] > 0
    ((row,),) = [found["rounds"]]
    assert set(row) == {"mb_playing", "mb_after", "sessions_held", "models_in_memory"}
    assert row["sessions_held"] == 0  # the closed tab's session was culled
    assert row["models_in_memory"] == 0  # and its model freed (it played in a thread)
