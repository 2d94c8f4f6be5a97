"""Files that are no .xlsx workbook give one clear issue, never a traceback."""

import zipfile

import pytest

from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from tests.io.workbook_factory import minimal, write

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def one_issue(path):
    with pytest.raises(InputError) as e:
        read_instance(path)
    (issue,) = e.value.issues
    assert (
        issue.sheet == path.name and issue.row is None and issue.column is None
    )
    assert issue.value == str(path)
    return issue


def test_missing_file(tmp_path):
    assert "not found" in one_issue(tmp_path / "nope.xlsx").expected


def test_folder(tmp_path):
    d = tmp_path / "dir.xlsx"
    d.mkdir()
    assert ".xlsx" in one_issue(d).expected


def test_csv_file(tmp_path):
    p = tmp_path / "employees.csv"
    p.write_text("employee_id,name\nE1,Ann\n", encoding="utf-8")
    issue = one_issue(p)
    assert "save it as .xlsx" in issue.expected and "CSV" in issue.expected


def test_csv_renamed_to_xlsx(tmp_path):
    p = tmp_path / "input.xlsx"
    p.write_text("employee_id,name\nE1,Ann\n", encoding="utf-8")
    assert "not an Excel file" in one_issue(p).expected


def test_random_bytes(tmp_path):
    p = tmp_path / "input.xlsx"
    p.write_bytes(bytes(range(256)) * 10)
    assert ".xlsx" in one_issue(p).expected


def test_empty_file(tmp_path):
    p = tmp_path / "input.xlsx"
    p.write_bytes(b"")
    assert "empty" in one_issue(p).expected


def test_old_xls(tmp_path):
    p = tmp_path / "input.xls"
    p.write_bytes(OLE + b"\0" * 4000)
    assert ".xls" in one_issue(p).expected


def test_password_protected(tmp_path):
    p = tmp_path / "input.xlsx"
    p.write_bytes(OLE + b"\0" * 100 + "EncryptedPackage".encode("utf-16-le"))
    assert "password" in one_issue(p).expected


def test_corrupt_zip(tmp_path):
    good = write(tmp_path, minimal())
    p = tmp_path / "broken.xlsx"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "damaged" in one_issue(p).expected


def test_zip_that_is_no_workbook(tmp_path):
    p = tmp_path / "input.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "damaged" in one_issue(p).expected


def test_damaged_sheet_xml(tmp_path):
    good = write(tmp_path, minimal())
    p = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(p, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2]
            zout.writestr(info, data)
    assert "damaged" in one_issue(p).expected


def test_workbook_with_another_extension_still_reads(tmp_path):
    good = write(tmp_path, minimal())
    p = tmp_path / "export.dat"
    p.write_bytes(good.read_bytes())
    assert read_instance(p).employees
