"""Personal data and injection (issue 4).

Text from the input that starts like a formula is written as text in every
output workbook; phones are masked in the rosters and never written in
full; logs and ``run.json`` carry no names, phones or health data; and the
output workbooks can be protected against accidental edits.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from scheduler.cli import main
from scheduler.core.solution import Solution, UnmetNeed
from scheduler.dev.generate import generate_workbook
from scheduler.io.write.coverage import write_coverage
from scheduler.io.write.excel import BulkWorkbook, protect_sheets
from scheduler.io.write.rosters import write_rosters
from scheduler.io.write.schedule import write_schedule
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    make_appointment,
    make_employee,
    make_instance,
    make_session,
)
from tests.io.workbook_factory import minimal

if TYPE_CHECKING:
    from pathlib import Path

EVIL = '=HYPERLINK("http://x","y")'
OUTPUTS = ("schedule.xlsx", "rosters.xlsx", "coverage.xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: (employee id, name, department, team): every field starts like a formula
#: (the reader strips the leading tab and CR, leaving '=1+1' and '=2').
PEOPLE = [
    ("E3", EVIL, "+1", "-1"),
    ("E4", "+1", "@SUM(A1)", "=1+1"),
    ("E5", "-1", EVIL, "@SUM(A1)"),
    ("E6", "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0"),
    ("E7", "\tx", "\r=1+1", "\t=2"),
]
PHONES = {"E1": "13812345678", "E2": "+86 139 0000 1111"}
MASKED = {"E1": "138****5678", "E2": "139****1111"}


def write_as_text(path: Path, sheets: dict) -> Path:
    """Like workbook_factory.write, but '=...' stays a text cell, as when
    HR pastes it from another system."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] == "=":
                    cell.data_type = "s"
    wb.save(path)
    return path


def evil_sheets() -> dict:
    s = minimal()
    emp = s["employees"]
    emp[0] += ["phone", "vaccination_exemption"]
    emp[1] += [PHONES["E1"], None]
    emp[2] += [PHONES["E2"], None]
    for i, (eid, name, dept, team) in enumerate(PEOPLE):
        emp.append(
            [
                eid,
                name,
                "WP1",
                dept,
                team,
                None,
                0,
                None,
                None,
                None,
                f"1370000{i:04d}",
                None,
            ]
        )
    s["workplaces"][1][1] = "=HQ()"
    s["sites"][1][1] = "@Room(1)"
    s["sites"][2][1] = "+Centre"
    sessions = s["sessions"]
    sessions[0].append("provider")
    sessions[1].append("-Clinic")
    sessions[2].append("=cmd")
    return s


def all_cells(path: Path):
    for ws in load_workbook(path):  # not data_only: formulas would show
        for row in ws.iter_rows():
            for cell in row:
                yield ws, cell


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("evil")
    book = write_as_text(folder / "evil.xlsx", evil_sheets())
    out = folder / "run"
    code = main(
        ["run", str(book), "--out", str(out), "--time-limit", "5", "-q"]
    )
    assert code == 0
    return out


@pytest.mark.parametrize("name", OUTPUTS)
def test_input_text_is_never_a_formula(evil_run, name):
    found = set()
    for ws, cell in all_cells(evil_run / name):
        assert cell.data_type != "f", (name, ws.title, cell.coordinate)
        value = cell.value
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            assert cell.data_type == "s", (ws.title, cell.coordinate)
            # Excel's quote prefix: editing the cell keeps it text too
            assert cell.quotePrefix, (ws.title, cell.coordinate)
            found.add(value)
    with zipfile.ZipFile(evil_run / name) as z:
        for part in z.namelist():
            if part.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", z.read(part)), part
    expected = {
        "schedule.xlsx": {
            EVIL,
            "+1",
            "-1",
            "@SUM(A1)",
            "=1+1",
            "-2+3",
            "+cmd|' /C calc'!A0",
            "=2",
        },
        "rosters.xlsx": {EVIL, "+1", "-1", "@SUM(A1)", "@Room(1)", "-Clinic"},
        "coverage.xlsx": {
            EVIL,
            "=HQ()",
            "+1",
            "@SUM(A1)",
            "-2+3",
            "@Room(1)",
            "-Clinic",
        },
    }[name]
    assert expected <= found, expected - found


def test_schedule_reads_back_as_the_input_text(evil_run):
    frame = pd.read_excel(
        evil_run / "schedule.xlsx",
        sheet_name="assignments",
        dtype=str,
        keep_default_na=False,
    )
    by_id = frame.drop_duplicates("employee_id").set_index("employee_id")
    for eid, name, dept, _ in PEOPLE[:4]:
        assert by_id.loc[eid, "name"] == name
        assert by_id.loc[eid, "department"] == dept


def test_writers_keep_tab_and_cr_text(tmp_path):
    """The reader strips a leading tab or CR; the writers must still cope
    when such text reaches them."""
    tricky = ["\tx", "\r=1+1", "\t=SUM(1)", "@x", "-x", "+x", EVIL]
    vac = make_session("V1")
    people = [
        make_employee(f"E{i}", name=text, department=text, team=text)
        for i, text in enumerate(tricky)
    ]
    instance = make_instance(employees=people, sessions=[vac])
    solution = Solution(
        appointments=tuple(
            make_appointment(vac, p.id, slot=i % 6)
            for i, p in enumerate(people)
        )
    )
    unmet = [
        UnmetNeed(
            employee_id=p.id,
            service=vac.service,
            reason="other",
            need=p.name,
            detail=p.name,
        )
        for p in people
    ]
    write_schedule(tmp_path / "schedule.xlsx", instance, solution, unmet)
    write_rosters(tmp_path / "rosters.xlsx", instance, solution, "en")
    write_coverage(
        tmp_path / "coverage.xlsx",
        instance,
        compute_needs(instance),
        solution,
        "en",
    )
    for name in OUTPUTS:
        seen = set()
        for ws, cell in all_cells(tmp_path / name):
            assert cell.data_type != "f", (name, ws.title, cell.coordinate)
            if cell.value in tricky:
                assert cell.data_type == "s" and cell.quotePrefix
                seen.add(cell.value)
        assert seen, name
    rows = pd.read_excel(
        tmp_path / "schedule.xlsx",
        sheet_name="unmet",
        dtype=str,
        keep_default_na=False,
    )
    assert set(rows.name) == set(tricky)


# -- phones ---------------------------------------------------------------


def test_phones_masked_in_rosters_and_nowhere_in_full(evil_run):
    roster_text = [
        str(c.value)
        for _, c in all_cells(evil_run / "rosters.xlsx")
        if c.value is not None
    ]
    assert MASKED["E1"] in roster_text
    digits = {eid: re.sub(r"\D", "", p)[-11:] for eid, p in PHONES.items()}
    for name in OUTPUTS:
        for ws, cell in all_cells(evil_run / name):
            text = re.sub(r"\D", "", str(cell.value or ""))
            for phone in digits.values():
                assert phone not in text, (name, ws.title, cell.coordinate)
    meta = (evil_run / "run.json").read_text(encoding="utf-8")
    assert not any(p in re.sub(r"\D", "", meta) for p in digits.values())


# -- logs and run.json ----------------------------------------------------

SECRET_NAMES = ["Zhao Secretname", "王秘密", "Qian Hiddenperson"]
SECRET_PHONES = ["13512349876", "13698761234", "18800001111"]
SECRET_EXEMPTIONS = [
    "pregnant (SECRET-1)",
    "allergy to adjuvant SECRET-2",
    "hepatitis B treatment SECRET-3",
]


def private_sheets() -> dict:
    s = minimal()
    emp = s["employees"]
    emp[0] += ["phone", "vaccination_exemption", "birth_date"]
    emp[1] += ["13000000001", None, "1990-01-01"]
    emp[2] += ["13000000002", None, "1985-05-05"]
    for i, (name, phone, why) in enumerate(
        zip(SECRET_NAMES, SECRET_PHONES, SECRET_EXEMPTIONS, strict=True)
    ):
        emp.append(
            [
                f"P{i}",
                name,
                "WP1",
                "Ops",
                None,
                None,
                0,
                None,
                None,
                None,
                phone,
                why,
                "1980-01-01",
            ]
        )
        emp.append(
            [
                f"Q{i}",
                name + " Jr",
                "WP1",
                "Sales",
                None,
                None,
                0,
                None,
                None,
                None,
                phone[:-1] + "0",
                None,
                "1992-01-01",
            ]
        )
    return s


def _secrets() -> list[str]:
    return [*SECRET_NAMES, *SECRET_PHONES, *SECRET_EXEMPTIONS, "SECRET"]


def test_verbose_logs_and_run_json_carry_no_personal_data(
    tmp_path, capsys, caplog
):
    book = write_as_text(tmp_path / "private.xlsx", private_sheets())
    out = tmp_path / "run"
    caplog.set_level(logging.DEBUG)
    code = main(
        ["run", str(book), "--out", str(out), "--time-limit", "5", "-v"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    meta = (out / "run.json").read_text(encoding="utf-8")
    assert json.loads(meta)["counts"]["employees"] == 8
    # the run did handle the people: they are in the schedule
    frame = pd.read_excel(
        out / "schedule.xlsx",
        sheet_name="unmet",
        dtype=str,
        keep_default_na=False,
    )
    assert set(SECRET_NAMES) <= set(frame.name)
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for where, text in (
        ("stdout", captured.out),
        ("stderr", captured.err),
        ("log", logs),
        ("run.json", meta),
    ):
        leaked = [s for s in _secrets() if s in text]
        assert leaked == [], (where, leaked)
    assert "Summary" in captured.out


def test_verbose_process_output_carries_no_personal_data(tmp_path):
    """The same from a real process: what a terminal or a log file gets."""
    book = generate_workbook(
        tmp_path / "book.xlsx", employees=120, workplaces=2, days=7, seed=11
    )
    people = pd.read_excel(
        book, sheet_name="employees", dtype=str, keep_default_na=False
    )
    public = " ".join(
        str(v)
        for sheet in ("workplaces", "sites", "sessions", "products")
        for v in pd.read_excel(
            book, sheet_name=sheet, dtype=str, keep_default_na=False
        )
        .to_numpy()
        .ravel()
    )
    names = [n for n in people.name if n and n not in public]
    phones = [p for p in people.phone if p]
    exemptions = {x for x in people.vaccination_exemption if len(x) > 3}
    assert len(names) > 100 and len(phones) > 100 and exemptions
    out = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler",
            "run",
            str(book),
            "--out",
            str(out),
            "--time-limit",
            "3",
            "-v",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    meta = (out / "run.json").read_text(encoding="utf-8")
    for where, text in (
        ("stdout", done.stdout),
        ("stderr", done.stderr),
        ("run.json", meta),
    ):
        leaked = [s for s in [*names, *phones, *exemptions] if s in text]
        assert leaked == [], (where, leaked[:5])


# -- sheet protection -----------------------------------------------------


def sheet_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {
            n: z.read(n)
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
        }


def test_outputs_are_not_protected_by_default(evil_run):
    for name in OUTPUTS:
        for ws in load_workbook(evil_run / name):
            assert not ws.protection.sheet, (name, ws.title)
        for part, xml in sheet_parts(evil_run / name).items():
            assert b"<sheetProtection" not in xml, (name, part)


@pytest.mark.parametrize("password", [None, "s3cret-PW"])
def test_protect_option_locks_every_sheet(tmp_path, password):
    book = write_as_text(tmp_path / "evil.xlsx", evil_sheets())
    out = tmp_path / "run"
    extra = (
        ["--protect"] if password is None else ["--protect-password", password]
    )
    code = main(
        [
            "run",
            str(book),
            "--out",
            str(out),
            "--time-limit",
            "5",
            "-q",
            *extra,
        ]
    )
    assert code == 0
    for name in OUTPUTS:
        wb = load_workbook(out / name)
        assert len(wb.worksheets) >= 2
        for ws in wb:
            lock = ws.protection
            assert lock.sheet, (name, ws.title)
            assert lock.autoFilter is False  # filtering stays allowed
            if password is None:
                assert not lock.password
            else:
                assert lock.password and lock.password != password
        parts = sheet_parts(out / name)
        for part, xml in parts.items():  # spliced bulk sheets too
            assert xml.count(b"<sheetProtection") == 1, (name, part)
            if password:
                assert password.encode() not in xml
    frame = pd.read_excel(
        out / "schedule.xlsx", sheet_name="assignments", dtype=str
    )
    assert len(frame) >= 5
    roster = load_workbook(out / "rosters.xlsx").worksheets[1]
    assert roster.max_row > 6 and roster.protection.sheet
    meta = (out / "run.json").read_text(encoding="utf-8")
    if password:
        assert password not in meta


def test_bulk_rows_survive_protection(tmp_path):
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    ws["A1"] = "head"
    xf = book.style(ws)
    book.add_rows(
        ws,
        2,
        iter([(None, [(f"r{i}", xf), (i, xf)]) for i in range(500)]),
        count=500,
        width=2,
    )
    protect_sheets(book.wb)
    book.save(tmp_path / "b.xlsx")
    got = load_workbook(tmp_path / "b.xlsx")["t"]
    assert got.protection.sheet
    assert got.max_row == 501 and got["A501"].value == "r499"
    assert got["B501"].protection.locked


def test_protection_is_off_without_the_option(tmp_path):
    wb = Workbook()
    wb.active.title = "x"
    path = tmp_path / "p.xlsx"
    BulkWorkbook(wb).save(path)
    assert not load_workbook(path)["x"].protection.sheet
