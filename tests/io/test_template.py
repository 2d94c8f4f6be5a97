"""``scheduler template``: an input workbook to fill in, that the reader
accepts once filled, with its example rows skipped."""

from datetime import date

import pytest
from openpyxl import load_workbook

from scheduler.cli import main
from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from scheduler.io.read.schema import (
    HEADERS,
    HEADERS_ZH,
    SETTING_KEYS,
    SHEET_NAMES_ZH,
    SHEETS,
)
from scheduler.io.write.template import COLUMN_TEXT, SHEET_TEXT, write_template

#: A tiny valid drive: canonical sheet -> rows of canonical column -> value.
TINY = {
    "workplaces": [{"workplace_id": "WP1", "name": "Tower"}],
    "sites": [
        {
            "site_id": "S1",
            "name": "Tower 3F",
            "kind": "onsite",
            "workplace_id": "WP1",
        }
    ],
    "products": [
        {
            "product": "VaxA",
            "doses": 2,
            "min_interval_days": 21,
            "max_interval_days": 56,
        }
    ],
    "sessions": [
        {
            "session_id": "V1",
            "service": "vaccination",
            "site_id": "S1",
            "date": date(2021, 6, 1),
            "start": "09:00",
            "end": "11:00",
            "capacity_per_slot": 5,
            "product": "VaxA",
        },
        {
            "session_id": "T1",
            "service": "nucleic_test",
            "site_id": "S1",
            "date": date(2021, 6, 2),
            "start": "09:00",
            "end": "10:00",
            "capacity_per_slot": 5,
        },
    ],
    "employees": [
        {
            "employee_id": f"E{i}",
            "name": f"Person {i}",
            "workplace_id": "WP1",
            "department": "Ops",
            "age": 30 + i,
        }
        for i in range(1, 4)
    ],
}


def fill(path, lang, data=TINY):
    """Append ``data`` under each sheet's header and example row."""
    wb = load_workbook(path)
    heads = HEADERS if lang == "en" else HEADERS_ZH
    for sheet, rows in data.items():
        title = sheet if lang == "en" else SHEET_NAMES_ZH[sheet]
        ws = wb[title]
        header = [c.value for c in ws[1]]
        assert header == heads[sheet]
        for r, row in enumerate(rows, 3):
            for name, value in row.items():
                col = HEADERS[sheet].index(name) + 1
                ws.cell(r, col).value = value
    wb.save(path)
    return path


def test_every_column_is_explained():
    for spec in SHEETS:
        assert spec.name in SHEET_TEXT
        for col in spec.columns:
            en, zh = COLUMN_TEXT[(spec.name, col.name)]
            assert en and zh
    for key in SETTING_KEYS:
        assert ("settings", key.name) in COLUMN_TEXT


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_template_is_an_input_error(tmp_path, lang):
    path = write_template(tmp_path / "t.xlsx", lang=lang)
    with pytest.raises(InputError) as e:
        read_instance(path)
    assert e.value.issues  # listed, not a crash
    assert any("horizon_start" in i.expected for i in e.value.issues)


def test_layout_en(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["README"] + [s.name for s in SHEETS]
    readme = "\n".join(
        str(v) for row in wb["README"].iter_rows(values_only=True) for v in row
    )
    for spec in SHEETS:
        for col in spec.columns:
            assert COLUMN_TEXT[(spec.name, col.name)][0] in readme
    ws = wb["employees"]
    assert [c.value for c in ws[1]] == HEADERS["employees"]
    assert ws.freeze_panes == "A2"
    bold = {c.value for c in ws[1] if c.font.bold}
    assert bold == {"employee_id", "name", "workplace_id", "department"}
    assert ws["A2"].value.startswith("e.g.")
    assert ws["A500"].number_format == "@"  # ids stay text
    assert ws["H500"].number_format == "yyyy-mm-dd"  # birth_date
    settings = {
        r[0]: r[1]
        for r in wb["settings"].iter_rows(min_row=2, values_only=True)
    }
    assert settings["language"] == "en"
    assert settings["coverage_target"] == 0.9
    assert settings["boosters_enabled"] == "yes"


def _validations(ws):
    return [
        (dv.formula1, str(dv.sqref))
        for dv in ws.data_validations.dataValidation
    ]


def test_data_validations(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    sessions = _validations(wb["sessions"])
    assert ('"vaccination,nucleic_test"', "B2:B1001") in sessions
    assert ("'sites'!$A$3:$A$1000", "C2:C1001") in sessions
    assert ("'products'!$A$3:$A$1000", "I2:I1001") in sessions
    assert any(
        f.startswith("'workplaces'!") for f, _ in _validations(wb["employees"])
    )
    assert ('"yes,no"', "D2:D1001") in _validations(wb["bookings"])
    zh = load_workbook(write_template(tmp_path / "zh.xlsx", lang="zh"))
    assert ('"接种,核酸"', "B2:B1001") in _validations(zh["场次"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filled_template_reads_and_runs(tmp_path, lang):
    path = fill(write_template(tmp_path / "t.xlsx", lang=lang), lang)
    inst = read_instance(path)
    assert sorted(inst.employees) == ["E1", "E2", "E3"]  # examples skipped
    assert list(inst.workplaces) == ["WP1"]
    assert sorted(inst.sessions) == ["T1", "V1"]
    assert inst.settings.language == lang
    assert (inst.settings.horizon_start, inst.settings.horizon_end) == (
        date(2021, 6, 1),
        date(2021, 6, 2),
    )
    out = tmp_path / "run"
    assert (
        main(["run", str(path), "--out", str(out), "--time-limit", "5", "-q"])
        == 0
    )
    assert (out / "schedule.xlsx").exists()


def test_zh_names(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx", lang="zh"))
    assert wb.sheetnames == ["说明"] + [SHEET_NAMES_ZH[s.name] for s in SHEETS]
    for spec in SHEETS:
        ws = wb[SHEET_NAMES_ZH[spec.name]]
        assert [c.value for c in ws[1]] == HEADERS_ZH[spec.name]
    assert wb["员工"]["A2"].value.startswith("例")


def test_example_template(tmp_path):
    path = write_template(tmp_path / "ex.xlsx", lang="zh", example=True)
    inst = read_instance(path)
    assert len(inst.employees) == 1500
    assert inst.settings.language == "zh"
    assert "员工" in load_workbook(path, read_only=True).sheetnames


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    assert main(["template", str(path), "--lang", "zh", "-q"]) == 0
    assert path.exists()
    before = path.read_bytes()
    assert main(["template", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert path.read_bytes() == before
    with pytest.raises(FileExistsError):
        write_template(path)


def test_cli_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["template", "-q"]) == 0
    assert (tmp_path / "campaign-template.xlsx").exists()
