"""The ``scheduler`` command line: generate, refusals, messages, version."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scheduler import __version__
from scheduler.cli import main
from scheduler.io.read.read import read_instance

GENERATE = [
    "generate",
    "--employees",
    "60",
    "--workplaces",
    "1",
    "--days",
    "7",
    "--seed",
    "3",
]


def test_generate_writes_a_workbook(tmp_path, capsys):
    out = tmp_path / "sub" / "book.xlsx"
    assert main([*GENERATE, "--out", str(out)]) == 0
    assert out.is_file()
    assert str(out) in capsys.readouterr().out
    inst = read_instance(out)
    assert len(inst.employees) == 60
    assert len(inst.workplaces) == 1
    assert inst.settings.days == 7


def test_generate_quiet_prints_nothing(tmp_path, capsys):
    out = tmp_path / "book.xlsx"
    assert main([*GENERATE, "--out", str(out), "-q"]) == 0
    assert out.is_file()
    assert capsys.readouterr().out == ""


def test_generate_is_seeded(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main([*GENERATE, "--out", str(a), "-q"]) == 0
    assert main([*GENERATE, "--out", str(b), "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_generate_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "book.xlsx"
    out.write_bytes(b"precious")
    code = main([*GENERATE, "--out", str(out)])
    captured = capsys.readouterr()
    assert code != 0
    assert out.read_bytes() == b"precious"
    assert "exists" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_run_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.xlsx"
    code = main(["run", str(missing), "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert code != 0
    assert "not found" in captured.err and "nope.xlsx" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_run_default_example_outside_the_project(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code = main(["run"])
    captured = capsys.readouterr()
    assert code != 0
    assert "project folder" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert list(tmp_path.iterdir()) == []


def test_run_not_a_workbook_is_bad_input(tmp_path, capsys):
    p = tmp_path / "staff.xlsx"
    p.write_text("employee_id,name\n1,Ann\n", encoding="utf-8")
    code = main(["run", str(p), "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert code == 2
    assert "staff.xlsx" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert sorted(x.name for x in tmp_path.iterdir()) == ["staff.xlsx"]


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == __version__


def test_version_via_python_m():
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == __version__


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run", "--lang", "fr"],
        ["run", "--time-limit", "soon"],
        ["run", "--gap-limit", "half"],
        ["generate"],  # --out is required
    ],
)
def test_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--time-limit", "0"], "--time-limit must be a positive number"),
        (["--gap-limit", "150"], "--gap-limit must be a percentage"),
        (["--gap-limit", "-1"], "--gap-limit must be a percentage"),
    ],
)
def test_bad_limits_are_refused_before_reading(argv, expected, capsys):
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["template", "{tmp}/t.xlsx"], [*GENERATE, "--out", "{tmp}/g.xlsx"]],
    ids=["template", "generate"],
)
def test_output_cut_short_by_a_pipe_exits_quietly(argv, tmp_path):
    """Issue 20 #6: ``scheduler … | head`` closes the pipe early; the
    command stops without "Internal error (BrokenPipeError)"."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before anything is printed
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Internal error" not in err and "Traceback" not in err, err
    assert "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert proc.returncode != 1  # 1 is an internal error
