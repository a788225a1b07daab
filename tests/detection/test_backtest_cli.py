"""`make backtest` end to end in-process: CSVs in, NAB-layout results out, a summary, a PNG."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from metricwatch.backtest.cli import main
from metricwatch.backtest.csvio import read_scores, read_series
from metricwatch.errors import InvalidInput

from .series_factory import messy, seasonal_series

ROOT = Path(__file__).resolve().parents[2]


def write_csv(path: Path, ts: np.ndarray, x: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    stamps = ts.astype("datetime64[s]").astype(str)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "value"])
        out.writerows(zip([s.replace("T", " ") for s in stamps], x))


def test_every_csv_gets_a_results_file_in_the_nab_layout(tmp_path: Path, capsys) -> None:
    ts, x = seasonal_series(days=3.0)
    write_csv(tmp_path / "data" / "a.csv", ts, x)
    write_csv(tmp_path / "data" / "sub" / "b.csv", messy(ts), x)
    assert main(["csv", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                 "--model", "robust_seasonal", "--jobs", "1"]) == 0
    produced = tmp_path / "out" / "robust_seasonal" / "sub" / "robust_seasonal_b.csv"
    with open(produced) as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["timestamp", "value", "anomaly_score", "anomaly"]
    assert len(rows) == len(x) and {r["anomaly"] for r in rows} <= {"-1", "1"}
    assert [r["timestamp"] for r in rows] == read_series(tmp_path / "data" / "sub" / "b.csv").stamps
    _, scores = read_scores(tmp_path / "out" / "robust_seasonal" / "robust_seasonal_a.csv")
    assert scores.min() >= 0 and scores.max() <= 1
    captured = capsys.readouterr()
    assert "[2/2]" in captured.err and "backtest done: 2 files" in captured.out and "points/s" in captured.out


def test_the_plot_command_writes_a_png_with_windows(tmp_path: Path) -> None:
    ts, x = seasonal_series(days=3.0)
    write_csv(tmp_path / "s.csv", ts, x)
    windows = tmp_path / "w.json"
    windows.write_text('[["1970-01-01 00:00:00", "1970-01-01 01:00:00"]]')
    png = tmp_path / "s.png"
    assert main(["plot", "--csv", str(tmp_path / "s.csv"), "--png", str(png), "--model", "robust_seasonal",
                 "--windows", str(windows)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importing_the_backtest_package_does_not_load_matplotlib() -> None:
    code = "import sys, metricwatch.backtest.cli, metricwatch.backtest.runner; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "shared")}, check=True)
    assert out.stdout.strip() == "False"


def test_bench_nab_says_so_and_stops_when_the_corpus_is_missing(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_nab.py"), "--nab", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "NAB corpus not found" in out.stderr


def test_a_stored_backtest_with_a_bad_start_says_so_and_exits_2(capsys) -> None:
    assert main(["stored", "--metric", "cpu", "--start", "last tuesday"]) == 2
    assert "'start' 'last tuesday' is not ISO 8601" in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["csv", "--data", "no/such/dir", "--out", "x"], "--data no/such/dir: no such directory"),
    (["csv", "--data", ".", "--out", "x", "--params", "notjson"], "--params must be train_params as a JSON object"),
    (["csv", "--data", ".", "--out", "x", "--params", "[1]"], "--params must be a JSON object, not list"),
    (["stored", "--metric", "cpu", "--label", "noequals"], "--label 'noequals': give labels as k=v"),
])
def test_a_bad_argument_is_a_usage_error_not_a_traceback(capsys, argv, says) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and says in err and "Traceback" not in err


@pytest.mark.parametrize("argv, says", [
    (["csv", "--data", ".", "--out", "x", "--model", "nope"], "unknown model 'nope'"),
    (["csv", "--data", ".", "--out", "x", "--params", '{"level_windw": 3}'], "bad train_params"),
])
def test_an_unknown_model_or_parameter_says_so_and_exits_2(capsys, argv, says) -> None:
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_a_file_that_cannot_be_read_is_skipped_and_named_and_the_others_still_run(tmp_path: Path, capsys) -> None:
    ts, x = seasonal_series(days=3.0)
    write_csv(tmp_path / "data" / "good.csv", ts, x)
    (tmp_path / "data" / "gap.csv").write_text("timestamp,value\n2026-01-01 00:00:00,1.5\n2026-01-01 00:05:00,\n")
    (tmp_path / "data" / "yahoo.csv").write_text("timestamps,value,anomaly\n1,2.0,0\n")
    code = main(["csv", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 1
    assert (tmp_path / "out" / "robust_seasonal" / "robust_seasonal_good.csv").exists()
    assert "gap.csv line 3: value '' is not a finite number" in out.out
    assert "yahoo.csv: expected a header starting 'timestamp,value'" in out.out
    assert "2 file(s) could not be read and were skipped" in out.out


def test_a_file_too_short_for_any_training_is_flagged_not_silently_scored_zero(tmp_path: Path, capsys) -> None:
    """Row numbers as timestamps read as seconds: the whole file spans minutes and never trains."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("timestamp,value\n" + "".join(f"{i},{i % 7}\n" for i in range(1, 500)))
    assert main(["csv", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    out = capsys.readouterr()
    assert "rows.csv: 499 points, NO MODEL" in out.err and "1 file(s) never got a model" in out.out


def test_windows_for_a_stored_backtest_are_read_and_a_bad_windows_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    nab_style = tmp_path / "windows.json"
    nab_style.write_text('{"dir/a.csv": [["2026-01-01 00:00:00", "2026-01-02 00:00:00"]]}')
    for argv, says in ((["--windows", str(tmp_path / "missing.json")], "No such file"),
                       (["--windows", str(nab_style)], "needs --key")):
        with pytest.raises(SystemExit) as exited:
            main(["stored", "--metric", "cpu", *argv])
        assert exited.value.code == 2 and says in capsys.readouterr().err


def test_a_file_that_is_not_utf8_is_skipped_like_any_unreadable_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "latin.csv").write_bytes(b"timestamp,value\n2026-01-01 00:00:00,1\xe9\n")
    assert main(["csv", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 1
    assert "latin.csv: cannot be read" in capsys.readouterr().out


def test_a_bad_value_is_named_with_its_line_in_the_file_blank_lines_counted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("timestamp,value\n\n2026-01-01 00:00:00,1\n\n2026-01-01 00:05:00,x\n")
    with pytest.raises(InvalidInput, match="gaps.csv line 5: value 'x'"):
        read_series(path)
