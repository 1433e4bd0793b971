"""The classroom benchmark's output structure at a small size (never its timings)."""

from __future__ import annotations

import json

from dataspace_abm.cli import main

ROW = {
    "students",
    "browsers",
    "rate_set",
    "steps_per_second",
    "views_received",
    "server_rss_mb",
    "server_cpu_percent",
}


def test_classroom_bench_reports_steps_a_second_per_student_count(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["classroom-bench", "--students", "0,3", "--seconds", "2", "--rate", "20"]
    assert main([*argv, "--out", str(out)]) == 0
    found = json.loads(out.read_text())
    assert {"machine", "rows", "target", "rate_set", "seconds"} <= set(found)
    assert found["machine"]["cpus"] >= 1
    assert found["target"] == {"students": 30, "steps_per_second": 2.0, "met": None}
    assert [row["students"] for row in found["rows"]] == [0, 3]
    for row in found["rows"]:
        assert ROW <= set(row)
        assert row["browsers"] == 0 and row["rate_set"] == 20.0
        assert row["steps"] > 0 and row["steps_per_second"] > 0  # the round ran
        assert row["server_rss_mb"] > 0
        assert row["students_seen"] == row["students"]
        assert row["failure"] is None and row["client_errors"] == []
        assert row["server_log_tracebacks"] == 0
    quiet, busy = found["rows"]
    assert quiet["views_received"] == 0 and busy["views_received"] > 0  # views were pushed
    printed = capsys.readouterr().out
    assert "  0 students" in printed and "  3 students" in printed
    assert "with 30 students: not measured" in printed


def test_classroom_bench_refuses_bad_input_in_one_line(capsys):
    assert main(["classroom-bench", "--students", "500"]) == 2
    err = capsys.readouterr().err
    assert "--students" in err and err.count("\n") == 1 and "Traceback" not in err
