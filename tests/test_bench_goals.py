"""``python -m bench``: rows as JSON on stdout, and each row's goal judged (issue 20)."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import bench.__main__ as bench_cli
from bench.report import goal, meets_goal

REPO = Path(__file__).resolve().parents[1]


def _row(name: str, value: float, ratio: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "unit": "s",
        "baseline": "b",
        "baseline_value": 1.0,
        "ratio": ratio,
        **extra,
    }


def test_a_goal_is_met_or_missed_by_its_figure() -> None:
    assert meets_goal(_row("a", 1.0, 0.51, goal=goal("ratio", ">=", 0.5))) is True
    assert meets_goal(_row("a", 1.0, 0.49, goal=goal("ratio", ">=", 0.5))) is False
    assert meets_goal(_row("a", 100.0, 1.0, goal=goal("value", "<", 100))) is False
    assert meets_goal(_row("a", 2.0, 1.0, goal=goal("value", "<=", 2.0))) is True
    assert meets_goal(_row("a", 1.0, None, goal=goal("ratio", ">=", 0.5))) is False
    assert meets_goal(_row("a", 1.0, 0.1)) is None


def test_json_alone_prints_the_rows_on_stdout_and_the_table_on_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "transport_seal", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["name"] for row in rows] == ["edge_transport_open_us_per_packet"]
    assert rows[0]["value"] > 0
    table = done.stderr.splitlines()
    assert table[-2].startswith("benchmark")
    assert table[-1].startswith("edge_transport_open_us_per_packet")


def test_a_missed_goal_is_named_and_sets_the_exit_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake = types.ModuleType("bench.fake_goals")
    fake.run = lambda quick: [  # type: ignore[attr-defined]
        _row("fast_enough", 0.5, 0.5, goal=goal("value", "<=", 1.0)),
        _row("too_slow", 1.5, 1.5, goal=goal("value", "<=", 1.0)),
        _row("no_goal", 3.0, 3.0),
    ]
    monkeypatch.setitem(sys.modules, "bench.fake_goals", fake)
    monkeypatch.setattr(bench_cli, "MODULES", ("fake_goals",))
    out = tmp_path / "rows.json"

    assert bench_cli.main(["--only", "fake_goals", "--json", str(out)]) == 2

    err = capsys.readouterr().err
    assert "goals met: 1 of 2" in err
    assert "goal missed: too_slow" in err
    rows = {row["name"]: row for row in json.loads(out.read_text())}
    assert rows["fast_enough"]["meets_goal"] is True
    assert rows["too_slow"]["meets_goal"] is False
    assert "goal" not in rows["no_goal"]
