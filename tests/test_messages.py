"""Messages in the workbook's language (issue 20 #4): the catalogue, and
input problems, usage errors, warnings and the summary told in Chinese."""

from __future__ import annotations

import pickle
import re
import string
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.core.errors import InputError
from scheduler.core.messages import CATALOGUE, Msg, render
from scheduler.io.read.read import read_instance
from scheduler.io.read.schema import HEADERS, HEADERS_ZH, SHEET_NAMES_ZH
from tests.io.workbook_factory import minimal, set_cell, write

ROOT = Path(__file__).resolve().parents[1] / "scheduler"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_key_in_every_language_with_known_fields():
    """A message cannot be forgotten in one language, nor use a field
    there that the English text (always filled in) does not have; only
    English grammar (an article, a plural s) may go unused."""
    en, zh = CATALOGUE["en"], CATALOGUE["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert _fields(zh[key]) <= _fields(en[key]), key
        assert _fields(en[key]) - _fields(zh[key]) <= {"a", "s"}, key


def test_every_key_used_in_the_code_is_in_the_catalogue():
    """``Msg("…")`` with a literal key names a catalogue entry."""
    used = set()
    for path in ROOT.rglob("*.py"):
        used |= set(re.findall(r'Msg\(\s*"([\w.]+)"', path.read_text()))
    assert used, "no Msg found: the pattern is wrong"
    assert used <= set(CATALOGUE["en"]), used - set(CATALOGUE["en"])


def test_a_message_is_its_english_text_and_renders_in_chinese():
    """A Msg is a str (English) that keeps key and fields, renders nested
    messages in the same language and survives pickling (the background
    process gets it)."""
    msg = Msg(
        "setting.value", name="coverage_target", expected=Msg("cell.share")
    )
    assert (
        msg == "coverage_target: a share from 0 to 1, such as 0.9, 90% or 90"
    )
    zh = render(msg, "zh")
    assert zh.startswith("coverage_target：") and "比例" in zh
    again = pickle.loads(pickle.dumps(msg))
    assert again.key == "setting.value" and render(again, "zh") == zh
    assert render("plain text", "zh") == "plain text"


def _chinese(s: dict) -> dict:
    """The same workbook with Chinese sheet names and headers."""
    zh = {}
    for name, rows in s.items():
        header = [HEADERS_ZH[name][HEADERS[name].index(h)] for h in rows[0]]
        zh[SHEET_NAMES_ZH[name]] = [header, *rows[1:]]
    return zh


def _broken(language: str | None) -> dict:
    """Three problems: a bad date, an unknown workplace, a bad share."""
    s = minimal()
    if language:
        s["settings"].append(["language", language])
    set_cell(s, "employees", 2, "workplace_id", "WP9")
    set_cell(s, "absences", 2, "end_date", "2021-02-30")
    set_cell(s, "settings", 2, "value", "150%")
    return s


def test_chinese_workbook_problems_are_told_in_chinese(tmp_path, capsys):
    """language zh, Chinese headers: every line of the report is Chinese
    and names sheet and column as the workbook does."""
    path = write(tmp_path, _chinese(_broken("zh")))
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "输入工作簿有 3 个问题" in err
    assert "工作表“员工”，第 2 行，列“职场编号”" in err
    assert "工作表“请假”，第 2 行，列“结束日期”" in err
    assert "The input workbook" not in err and "sheet '" not in err
    for line in err.strip().splitlines()[1:]:
        assert HAN.search(line.split("—")[-1]), line  # what is expected
    assert not (tmp_path / "run").exists()


def test_lang_option_tells_an_english_workbook_in_chinese(tmp_path):
    """--lang zh wins over the workbook (here English, no language)."""
    path = write(tmp_path, _broken(None))
    with pytest.raises(InputError) as e:
        read_instance(path)
    assert e.value.lang is None
    assert e.value.report().startswith("The input workbook has 3 problems")
    zh = e.value.report("zh")
    assert "输入工作簿有 3 个问题" in zh
    assert "工作表“employees”，第 2 行，列“workplace_id”" in zh
    assert "工作表“workplaces”中列出的workplace_id" in zh


def test_english_messages_stay_as_they_were(tmp_path):
    """The English report reads as before the catalogue."""
    path = write(tmp_path, _broken(None))
    with pytest.raises(InputError) as e:
        read_instance(path)
    text = str(e.value)
    assert (
        "sheet 'employees', row 2, column 'workplace_id': 'WP9' — a "
        "workplace_id listed in sheet 'workplaces'"
    ) in text
    assert "'2021-02-30' — a real date (2021-02-30 does not exist)" in text
    assert "'value': '150%' — coverage_target: a share from 0 to 1" in text


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--time-limit", "0"], "--time-limit 必须是正数"),
        (["--workers", "0"], "--workers 必须不小于 1"),
        (["nope.xlsx"], "找不到输入工作簿 nope.xlsx"),
    ],
)
def test_usage_errors_in_chinese(argv, expected, capsys):
    assert main(["run", "--lang", "zh", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err and "must" not in err


def test_out_folder_in_use_told_in_the_workbook_language(tmp_path, capsys):
    """A usage error found before the workbook is read still follows the
    workbook's language setting."""
    s = minimal()
    s["settings"].append(["language", "中文"])
    path = write(tmp_path, s)
    out = tmp_path / "taken"
    out.mkdir()
    (out / "x.txt").write_text("x")
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "输出文件夹" in capsys.readouterr().err


def test_summary_and_warning_in_chinese(tmp_path, capsys):
    """A zh run prints its summary and warnings in Chinese; run.json keeps
    them in English for programs."""
    s = minimal()
    s["settings"].append(["language", "zh"])
    s["test_requirements"].append(["R3", "role", "Pilots", 7, None, None])
    path = write(tmp_path, _chinese(s))
    out = tmp_path / "run"
    code = main(["run", str(path), "--out", str(out), "--time-limit", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = printed[printed.index("汇总") :]
    assert "求解器：" in summary and "已写入：" in summary
    assert "警告：工作表“核酸要求”第 4 行，列“范围值”" in summary
    assert "没有员工的岗位为“Pilots”" in summary
    assert "warning:" not in summary and "solver:" not in summary
    meta = (out / "run.json").read_text(encoding="utf-8")
    assert "no employee has" in meta
    assert "正在读取" in printed and "Reading" not in printed  # progress
    # recording the round speaks the run's workbook language too
    missing = tmp_path / "marks.xlsx"
    assert main(["record", str(out), "--attendance", str(missing)]) == 2
    assert f"找不到到场记录文件 {missing}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--lang", "zh", "--time-limit", "soon"], "无效的值 'soon'"),
        (["run", "--lang=zh", "--workers"], "参数 --workers：需要一个值"),
        (["generate", "--lang", "zh"], "缺少必需的参数：--out"),
        (["history", "--lang", "zh", "--outputs"], "需要一个值"),
    ],
)
def test_argument_errors_in_chinese(argv, expected, capsys):
    """argparse's own usage errors follow --lang zh too."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "用法：" in err
    assert "error:" not in err and "Traceback" not in err
