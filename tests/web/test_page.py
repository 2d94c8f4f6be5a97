"""HR's page through Starlette's test client: the same checks, runs,
downloads and records as the command line, and nothing more served than
the outputs folder's run files."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape
from openpyxl import Workbook

pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # Starlette's test client

from starlette.testclient import TestClient

from scheduler.cli import main
from scheduler.core.errors import InputError
from scheduler.core.messages import render
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.io.read.run_files import read_sheet
from scheduler.rounds.history import history_path, read_figures
from scheduler.web.app import create_app
from scheduler.web.serve import check_serving, is_loopback
from tests.io.workbook_factory import minimal, set_cell, write

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client: TestClient, path: Path, name: str | None = None):
    with path.open("rb") as f:
        return client.post(
            "/upload", files={"book": (name or path.name, f, XLSX)}
        )


def _book_ref(page: str) -> str:
    found = re.search(r'name="book" value="([^"]+)"', page)
    assert found, "no run form on the page"
    return found.group(1)


def _run(client: TestClient, ref: str, **options: str) -> dict:
    """Start a run from the form and wait for its end (hangs only)."""
    r = client.post("/run", data={"book": ref, **options})
    run_id = r.url.path.rsplit("/", 1)[1]
    assert r.url.path.startswith("/progress/"), r.text
    for _ in range(600):
        state = client.get(f"/api/progress/{run_id}").json()
        if state["status"] != "running":
            return state
        time.sleep(0.2)
    raise AssertionError("the run did not end")


def _group_ends(pgid: int, seconds: float = 10.0) -> bool:
    """Whether every process of the group is gone (killed helpers are
    reaped by init a moment after the worker)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _folders(outputs: Path) -> list[str]:
    return sorted(p.name for p in outputs.iterdir() if p.is_dir())


@pytest.fixture()
def outputs(tmp_path) -> Path:
    return tmp_path / "outputs"


@pytest.fixture()
def client(outputs):
    with TestClient(create_app(outputs)) as c:
        yield c


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("book") / "drive.xlsx", minimal())


def test_a_broken_workbook_lists_every_problem_where_it_is(
    client, outputs, tmp_path
):
    sheets = minimal()
    set_cell(sheets, "employees", 2, "workplace_id", "WP9")
    set_cell(sheets, "employees", 3, "shift_pattern", "day")
    book = write(tmp_path / "broken.xlsx", sheets)
    r = _upload(client, book)
    page = r.text
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td class=\"num\">(\d*)</td>\s*"
        r"<td>([^<]*)</td><td>([^<]*)</td>",
        page,
    )
    assert ("employees", "2", "workplace_id", "WP9") in rows
    assert ("employees", "3", "shift_pattern", "day") in rows
    assert 'id="run-form"' not in page  # nothing runs until it is clean
    # what was expected, in the page's language (the reader's catalogue)
    with pytest.raises(InputError) as found:
        read_instance(book)
    client.cookies.set("lang", "zh")
    zh = client.get("/", params={"book": r.url.params["book"]}).text
    client.cookies.set("lang", "en")
    for issue in found.value.issues:
        en_text = render(issue.expected, "en")
        zh_text = render(issue.expected, "zh")
        assert str(escape(en_text)) in page
        assert str(escape(zh_text)) in zh
        assert zh_text != en_text  # translated, not shown as it came
    # nor when the run is asked for all the same
    ref = r.url.params["book"]
    assert ref.startswith(".uploads/")
    r = client.post("/run", data={"book": ref, "time_limit": "1"})
    assert "/progress/" not in r.url.path
    assert client.app.state.runs.current is None
    assert _folders(outputs) == [".uploads"]


def test_the_page_runs_as_the_command_line_does_and_serves_its_files(
    client, outputs, small_book, tmp_path
):
    page = _upload(client, small_book).text
    assert 'id="check-ok"' in page
    state = _run(client, _book_ref(page), time_limit="5")
    assert state["status"] == "done", state
    assert state["progress"]["stage"] == "done"
    folder = outputs / state["folder"]
    assert (folder / "run.json").is_file()
    # the same history as the command line's
    assert read_figures(history_path(outputs)).runs == 1
    # the same schedule as `scheduler run` on the same workbook
    assert (
        main(
            [
                "run",
                str(small_book),
                "--out",
                str(tmp_path / "cli"),
                "--time-limit",
                "5",
                "-q",
            ]
        )
        == 0
    )
    page_rows = read_sheet(folder / "schedule.xlsx", "assignments")
    cli_rows = read_sheet(tmp_path / "cli" / "schedule.xlsx", "assignments")
    assert page_rows == cli_rows and page_rows

    result = client.get(f"/runs/{folder.name}")
    assert result.status_code == 200
    assert "<svg" in result.text and 'class="after"' in result.text
    got = client.get(f"/runs/{folder.name}/files/schedule.xlsx")
    assert got.status_code == 200
    assert got.content == (folder / "schedule.xlsx").read_bytes()
    cal = next(p for p in (folder / "calendars").iterdir() if p.is_file())
    got = client.get(f"/runs/{folder.name}/files/calendars/{cal.name}")
    assert got.content == cal.read_bytes()
    z = zipfile.ZipFile(
        io.BytesIO(client.get(f"/runs/{folder.name}/zip").content)
    )
    assert f"{folder.name}/schedule.xlsx" in z.namelist()
    assert f"{folder.name}/calendars/{cal.name}" in z.namelist()
    history = client.get("/history").text
    assert f'href="/runs/{folder.name}"' in history
    # whom to notify: every kind of change of the changes sheet, countable
    sheet = read_sheet(folder / "schedule.xlsx", "changes")
    for kind in ("new", "moved", "cancelled", "kept"):
        n = sum(c["change"] == kind for c in sheet)
        page = client.get(f"/runs/{folder.name}?change={kind}").text
        notify = page[page.index('id="notify"') : page.index('id="record"')]
        assert f"{kind}: {n:,}" in notify
        assert notify.count('<tr><td class="id">') == min(n, 50)


def test_nothing_outside_the_run_folders_is_served(
    client, outputs, small_book
):
    page = _upload(client, small_book).text
    state = _run(client, _book_ref(page), time_limit="3")
    name = state["folder"]
    secret = outputs.parent / "secret.txt"
    secret.write_text("not for the page")
    for path in (
        f"/runs/{name}/files/..%2F..%2Fsecret.txt",
        f"/runs/{name}/files/%2E%2E/%2E%2E/secret.txt",
        f"/runs/{name}/files/calendars/..%2F..%2F..%2Fsecret.txt",
        f"/runs/{name}/files/%2F{secret.as_posix().lstrip('/')}",
        f"/runs/{name}/files/..%2Fhistory.sqlite",
        f"/runs/{name}/files/..%2F.uploads",
        "/runs/..%2F..%2F/zip",
        "/runs/.uploads/zip",
        f"/?book=..%2F..%2F{secret.name}",
    ):
        r = client.get(path)
        assert b"not for the page" not in r.content, path
        assert b"SQLite format" not in r.content, path
        if "/files/" in path or "/zip" in path:
            assert r.status_code == 404, path


def test_an_oversized_upload_is_refused(outputs, tmp_path):
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    with TestClient(create_app(outputs, max_upload_mb=1)) as c:
        assert "1 MB" in c.get("/").text  # the page says so
        r = _upload(c, big)
        assert r.status_code == 413
        assert "larger than 1 MB" in r.text
        # nor sent without its length: cut off as it comes
        head = (
            b'--B\r\nContent-Disposition: form-data; name="book"; '
            b'filename="big.xlsx"\r\n\r\n'
        )
        chunks = iter([head, *[b"x" * 65536] * 40, b"\r\n--B--\r\n"])
        r = c.post(
            "/upload",
            content=chunks,
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        assert r.status_code == 413
        assert "larger than 1 MB" in r.text
    assert not (outputs / ".uploads").exists()  # nothing kept


def test_upload_names_are_sanitised(client, outputs, small_book):
    page = _upload(client, small_book, "../../evil name;rm.xlsx").text
    assert 'id="check-ok"' in page
    (saved,) = (outputs / ".uploads").iterdir()
    assert saved.parent == outputs / ".uploads"
    assert re.fullmatch(r"[\w.\-]+", saved.name)
    assert not (outputs.parent / "evil name;rm.xlsx").exists()


@pytest.fixture(scope="module")
def long_book(tmp_path_factory) -> Path:
    """A drive that takes a while: the run is still going when stopped."""
    return generate_workbook(
        tmp_path_factory.mktemp("long") / "long.xlsx",
        employees=400,
        workplaces=3,
        days=14,
        seed=2,
    )


def _until_solving(client: TestClient, run_id: str) -> None:
    for _ in range(600):  # well into the run: reading is over
        p = client.get(f"/api/progress/{run_id}").json()["progress"]
        if p and p["stage"] in ("start", "solve"):
            return
        time.sleep(0.1)
    raise AssertionError("the run did not start solving")


def test_cancel_stops_the_run_and_leaves_no_run_folder(
    client, outputs, long_book
):
    ref = _book_ref(_upload(client, long_book).text)
    r = client.post(
        "/run", data={"book": ref, "time_limit": "120", "gap_limit": "0"}
    )
    run_id = r.url.path.rsplit("/", 1)[1]
    # one run at a time: a second is refused with a message
    again = client.post("/run", data={"book": ref, "time_limit": "1"})
    assert "/progress/" not in again.url.path
    assert "already going on" in again.text
    runs = client.app.state.runs
    pid = runs.proc.pid
    _until_solving(client, run_id)
    r = client.post(f"/cancel/{run_id}")
    assert "nothing was written" in r.text
    assert client.get(f"/api/progress/{run_id}").json()["status"] == (
        "cancelled"
    )
    assert _group_ends(pid)  # the worker and the helpers it forked
    assert _folders(outputs) == [".uploads"]  # no run, no partial folder
    # and the folder is free for the next run
    assert not runs.busy()


def test_stopping_the_page_mid_run_leaves_no_run_folder(outputs, long_book):
    with TestClient(create_app(outputs)) as c:
        ref = _book_ref(_upload(c, long_book).text)
        r = c.post(
            "/run", data={"book": ref, "time_limit": "120", "gap_limit": "0"}
        )
        pid = c.app.state.runs.proc.pid
        _until_solving(c, r.url.path.rsplit("/", 1)[1])
    # the server has stopped (its shutdown ran): the run with it
    assert _group_ends(pid)
    assert _folders(outputs) == [".uploads"]


def test_serving_beyond_this_machine_needs_a_token(capsys):
    assert main(["serve", "--host", "0.0.0.0", "--no-browser"]) == 2
    assert "--token" in capsys.readouterr().err
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.5"):
        assert is_loopback(host)
        check_serving(host, None)
    check_serving("192.168.1.10", "s3cret")  # with a token it may


def test_the_token_is_asked_once_per_browser(outputs):
    with TestClient(create_app(outputs, token="s3cret")) as c:
        assert c.get("/").url.path == "/login"
        assert c.get("/history").url.path == "/login"
        assert c.post("/login", data={"token": "wrong"}).status_code == 403
        assert c.post("/login", data={"token": "s3cret"}).url.path == "/"
        assert c.get("/history").status_code == 200  # the cookie now


def test_other_sites_cannot_post_or_redirect_through_the_page(client):
    r = client.post("/cancel/x", headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/run", headers={"origin": "null"})
    assert r.status_code == 403
    ok = client.post(
        "/run", data={"book": "x"}, headers={"origin": "http://testserver"}
    )
    assert ok.status_code == 200  # back on the page, with its message
    for back in ("//evil.example/", "/\\evil.example/", "http://evil/"):
        r = client.get("/lang/zh", params={"back": back})
        assert r.url.host == "testserver" and r.url.path == "/"


def test_the_page_speaks_chinese(client):
    client.cookies.set("lang", "zh")
    page = client.get("/").text
    assert "上传工作簿" in page and "Upload your workbook" not in page
    assert client.get("/lang/en?back=/").url.path == "/"
    assert "Upload your workbook" in client.get("/").text


def test_templates_download_in_both_languages(client):
    for lang in ("en", "zh"):
        r = client.get(f"/template?lang={lang}")
        assert r.status_code == 200
        assert r.content[:2] == b"PK"
        assert "campaign-template" in r.headers["content-disposition"]


def test_attendance_is_recorded_and_the_next_round_planned(
    client, outputs, small_book, tmp_path
):
    page = _upload(client, small_book).text
    state = _run(client, _book_ref(page), time_limit="3")
    folder = outputs / state["folder"]
    (first,) = read_sheet(folder / "schedule.xlsx", "assignments")[:1]
    wb = Workbook()
    wb.active.append(["employee_id", "session_id", "status"])
    wb.active.append([first["employee_id"], first["session_id"], "attended"])
    marks = tmp_path / "marks.xlsx"
    wb.save(marks)
    with marks.open("rb") as f:
        r = client.post(
            f"/runs/{folder.name}/record",
            data={"kind": "sheet"},
            files={"marks": ("marks.xlsx", f, XLSX)},
        )
    assert 'id="recorded"' in r.text, r.text
    assert (folder / "next-input.xlsx").is_file()
    assert read_figures(history_path(outputs)).runs_with_attendance == 1
    r = client.post(f"/runs/{folder.name}/next")
    assert 'id="check-ok"' in r.text
    assert _book_ref(r.text) == f"{folder.name}/next-input.xlsx"


def test_every_asset_ships_in_a_non_editable_install():
    """pyproject's package data covers each template and static file
    (no CDN: the page has nothing else)."""
    import fnmatch
    import tomllib

    import scheduler.web

    root = Path(__file__).resolve().parents[2]
    conf = tomllib.loads((root / "pyproject.toml").read_text())
    globs = conf["tool"]["setuptools"]["package-data"]["scheduler.web"]
    web = Path(scheduler.web.__file__).parent
    assets = [
        p.relative_to(web).as_posix()
        for folder in ("templates", "static")
        for p in (web / folder).rglob("*")
        if p.is_file()
    ]
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert any(fnmatch.fnmatch(asset, g) for g in globs), asset
    for page in (web / "templates").glob("*.html"):
        text = page.read_text()
        assert "http://" not in text and "https://" not in text, page


def test_every_label_the_page_uses_is_in_both_languages():
    import scheduler.web
    from scheduler.core.progress import Stage
    from scheduler.web.labels import EN, ZH

    assert set(EN) == set(ZH)
    web = Path(scheduler.web.__file__).parent
    used = set()
    for path in [*web.glob("templates/*.html"), *web.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        key = r"""["']([\w.]*\w)["']"""
        used |= set(re.findall(r"\bL\(\s*" + key, text))
        used |= set(re.findall(r"\blabel\(\s*" + key, text))
        used |= set(re.findall(r"""["']((?:err|opt)\.[\w.]*\w)["']""", text))
    # and those put together: stages, changes, the progress's own
    used |= {f"stage.{s}" for s in [*Stage, "queued"]}
    used |= {f"change.{c}" for c in ("kept", "moved", "cancelled", "new")}
    assert len(used) > 50, "labels not found"
    assert not used - set(EN), used - set(EN)
    for key in EN:
        assert EN[key].count("{") == ZH[key].count("{"), key
