"""The page's routes: Starlette, rendered on the server with Jinja2.

Why Starlette: a small, well-kept ASGI toolkit whose test client drives
the real app, with Jinja2 templates and static files from the package
itself (no CDN, no web font, no telemetry) and uploads through
python-multipart. The page is a handful of forms; the only script is a
vendored ~100 lines (drag and drop, the progress bar).

Every action calls the command line's own code: the reader checks an
upload, ``pipeline.run`` runs in a worker (runs.py), ``rounds.record``
records attendance, ``rounds.history`` gives the history, the template
writer writes the template. Nothing outside the outputs folder is served;
phones never appear (the tables show ID, name, building, department).
"""

from __future__ import annotations

import contextlib
import hmac
import io
import logging
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode, urlparse

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from scheduler.core.i18n import service_label, t
from scheduler.web.chart import rate_chart
from scheduler.web.labels import LANGS, label, reason_label
from scheduler.web.runs import Runs

log = logging.getLogger("scheduler.web")

HERE = Path(__file__).parent
UPLOADS = ".uploads"
PAGE_ROWS = 50
DEFAULT_MAX_MB = 50
_SAFE = re.compile(r"[^\w.\-]+")
_RUN_NAME = re.compile(r"^[\w.\-]+$")


@dataclass(slots=True)
class Config:
    outputs: Path
    token: str | None = None
    max_upload_mb: int = DEFAULT_MAX_MB

    @property
    def max_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def create_app(
    outputs: Path | str = "outputs",
    token: str | None = None,
    max_upload_mb: int = DEFAULT_MAX_MB,
) -> Starlette:
    cfg = Config(Path(outputs).resolve(), token or None, max_upload_mb)
    cfg.outputs.mkdir(parents=True, exist_ok=True)
    runs = Runs(cfg.outputs)
    checks: dict[str, dict] = {}  # book path (relative) → check result
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def lang_of(request: Request) -> str:
        lang = request.cookies.get("lang")
        if lang in LANGS:
            return lang
        accept = request.headers.get("accept-language", "")
        return "zh" if accept.lower().startswith("zh") else "en"

    def render(request: Request, page: str, status: int = 200, **ctx):
        lang = lang_of(request)

        def L(key: str, **fmt) -> str:
            return label(key, lang, **fmt)

        def T(key: str) -> str:  # the workbooks' own words
            return t(key, lang)

        return templates.TemplateResponse(
            request,
            page,
            {
                "L": L,
                "T": T,
                "pct": _pct,
                "num": _num,
                "reason": lambda code: reason_label(code, lang),
                "shown_name": shown_name,
                # a message given in every language: the page's one
                "tr": lambda m: (
                    m.get(lang, m.get("en", "")) if isinstance(m, dict) else m
                ),
                "service": lambda code: service_label(str(code), lang),
                "lang": lang,
                "other_lang": "en" if lang == "zh" else "zh",
                "here": request.url.path
                + (f"?{request.url.query}" if request.url.query else ""),
                "outputs": cfg.outputs,
                "max_mb": cfg.max_upload_mb,
                "busy": runs.busy(),
                **ctx,
            },
            status_code=status,
        )

    # --- files inside the outputs folder only ---------------------------

    def inside(rel: str, base: Path | None = None) -> Path | None:
        """``rel`` under ``base`` (default the outputs folder), if it is
        there and no part of it is hidden, else None."""
        base = (base or cfg.outputs).resolve()
        parts = Path(rel).parts
        if not rel or Path(rel).is_absolute():
            return None
        if any(p in ("..", ".") or p.startswith(".") for p in parts):
            return None
        path = (base / rel).resolve()
        if not path.is_relative_to(base) or not path.exists():
            return None
        return path

    def run_dir(name: str) -> Path | None:
        if not _RUN_NAME.match(name) or name.startswith("."):
            return None
        path = inside(name)
        if path is None or not (path / "run.json").is_file():
            return None
        return path

    def book_path(ref: str) -> Path | None:
        """An uploaded workbook (``.uploads/NAME``) or a run folder's
        next-input.xlsx (``RUN/next-input.xlsx``)."""
        if ref.startswith(UPLOADS + "/"):
            name = ref[len(UPLOADS) + 1 :]
            if not _RUN_NAME.match(name):
                return None
            path = cfg.outputs / UPLOADS / name
            return path if path.is_file() else None
        parts = ref.split("/")
        if len(parts) == 2 and parts[1] == "next-input.xlsx":
            folder = run_dir(parts[0])
            if folder and (folder / "next-input.xlsx").is_file():
                return folder / "next-input.xlsx"
        return None

    # --- token ------------------------------------------------------------

    def allowed(request: Request) -> bool:
        if cfg.token is None:
            return True
        given = request.cookies.get("token", "")
        return hmac.compare_digest(given.encode(), cfg.token.encode())

    async def login(request: Request):
        wrong = False
        if request.method == "POST":
            form = await request.form()
            given = str(form.get("token", ""))
            if cfg.token and hmac.compare_digest(
                given.encode(), cfg.token.encode()
            ):
                resp = RedirectResponse("/", 303)
                resp.set_cookie(
                    "token", given, httponly=True, samesite="strict"
                )
                return resp
            wrong = True
        return render(
            request, "login.html", 403 if wrong else 200, wrong=wrong
        )

    # --- pages ------------------------------------------------------------

    async def home(request: Request):
        ref = request.query_params.get("book", "")
        check = checks.get(ref) if ref else None
        if ref and check is None:
            path = book_path(ref)
            if path is not None:
                check = checks[ref] = await run_in_threadpool(
                    _check_book, path
                )
        return render(
            request,
            "index.html",
            book=ref if check else "",
            check=check,
            error=request.query_params.get("error", ""),
            runs_list=_run_list(cfg.outputs)[:5],
        )

    def refused(request: Request, key: str, status: int):
        """The home page saying why an upload was not accepted."""
        message = label(key, lang_of(request), mb=cfg.max_upload_mb)
        return render(
            request,
            "index.html",
            status,
            book="",
            check=None,
            error=message,
            runs_list=_run_list(cfg.outputs)[:5],
        )

    async def upload(request: Request):
        size = int(request.headers.get("content-length") or 0)
        if size > cfg.max_bytes + 64 * 1024:
            return refused(request, "err.too_big", 413)
        form = await request.form(max_files=1)
        file = form.get("book")
        if not isinstance(file, UploadFile) or not file.filename:
            return refused(request, "err.no_file", 400)
        if not file.filename.lower().endswith(".xlsx"):
            return refused(request, "err.not_xlsx", 400)
        data = await file.read()
        if len(data) > cfg.max_bytes:
            return refused(request, "err.too_big", 413)
        name = _save_upload(cfg.outputs, file.filename, data)
        ref = f"{UPLOADS}/{name}"
        checks[ref] = await run_in_threadpool(
            _check_book, cfg.outputs / UPLOADS / name
        )
        return RedirectResponse(
            "/?" + urlencode({"book": ref}) + "#check", 303
        )

    async def template(request: Request):
        from scheduler.io.write.template import write_template

        lang = request.query_params.get("lang", "en")
        lang = lang if lang in LANGS else "en"
        example = request.query_params.get("example") == "1"
        name = "campaign-template" + ("-zh" if lang == "zh" else "")
        name += "-example.xlsx" if example else ".xlsx"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            await run_in_threadpool(
                write_template, path, lang=lang, example=example
            )
            data = path.read_bytes()
        return Response(
            data,
            media_type=XLSX,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    async def start_run(request: Request):
        lang = lang_of(request)
        form = await request.form()
        ref = str(form.get("book", ""))
        path = book_path(ref)
        back = "/?" + urlencode({"book": ref})
        if path is None:
            return _redirect_error("/", label("err.upload_gone", lang))
        check = checks.get(ref)
        if check is None or check["issues"]:
            return RedirectResponse(back, 303)
        spec, problem = _run_spec(form, lang)
        if problem:
            return _redirect_error(back, problem)
        spec["book"] = str(path)
        state = runs.start(spec, check["file"])
        if state is None:
            return _redirect_error(back, label("run.busy", lang))
        return RedirectResponse(f"/progress/{state.id}", 303)

    async def progress_page(request: Request):
        state = runs.get(request.path_params["run_id"])
        if state is None:
            return _not_found(request)
        return render(request, "progress.html", state=state)

    async def progress_json(request: Request):
        state = runs.get(request.path_params["run_id"])
        if state is None:
            return JSONResponse({"status": "unknown"}, 404)
        return JSONResponse(state.as_dict())

    async def cancel(request: Request):
        run_id = request.path_params["run_id"]
        await run_in_threadpool(runs.cancel, run_id)
        await run_in_threadpool(runs.wait, run_id, 15.0)
        return RedirectResponse(f"/progress/{run_id}", 303)

    async def result(request: Request):
        lang = lang_of(request)
        folder = run_dir(request.path_params["name"])
        if folder is None:
            return _not_found(request)
        view = await run_in_threadpool(_run_view, folder, _stamp(folder))
        q = request.query_params
        unmet, unmet_page = _filtered(
            view["unmet"],
            {
                "workplace_id": q.get("building", ""),
                "department": q.get("department", ""),
                "reason": q.get("reason", ""),
            },
            q.get("page", "1"),
        )
        kind = q.get("change", "")
        changes, change_page = _filtered(
            # by default whom to notify: every change but ``kept``
            view["changes"]
            if kind
            else [c for c in view["changes"] if c.get("change") != "kept"],
            {"change": kind},
            q.get("cpage", "1"),
        )
        chart_rows = [
            (
                f"{r.workplace_id} {r.name}".strip(),
                r.figures.get("cov.col.rate_before"),
                r.figures.get("cov.col.rate"),
                r.figures.get("cov.col.target"),
            )
            for r in view["vaccination"]
            if not r.total
        ]
        targets = {c[3] for c in chart_rows if c[3] is not None}
        chart = (
            rate_chart(
                chart_rows,
                label("result.chart.before", lang),
                label("result.chart.after", lang),
                label(
                    "result.chart.target",
                    lang,
                    t=f"{100 * next(iter(targets)):.0f}%",
                )
                if len(targets) == 1
                else "",
            )
            if chart_rows
            else None
        )
        return render(
            request,
            "result.html",
            name=folder.name,
            view=view,
            chart=chart,
            unmet=unmet,
            unmet_page=unmet_page,
            changes=changes,
            change_page=change_page,
            q=q,
            query=lambda **kw: _query(q, **kw),
            next_input=(folder / "next-input.xlsx").is_file(),
            recorded=q.get("recorded") == "1",
            error=q.get("error", ""),
        )

    async def download(request: Request):
        folder = run_dir(request.path_params["name"])
        if folder is None:
            return _not_found(request)
        path = inside(request.path_params["path"], folder)
        if path is None or not path.is_file():
            return _not_found(request)
        return FileResponse(path, filename=path.name)

    async def zip_run(request: Request):
        folder = run_dir(request.path_params["name"])
        if folder is None:
            return _not_found(request)
        data = await run_in_threadpool(_zip, folder)
        return Response(
            data,
            media_type="application/zip",
            headers={
                "content-disposition": (
                    f'attachment; filename="{folder.name}.zip"'
                )
            },
        )

    async def record_run(request: Request):
        from scheduler.core.errors import SchedulerError
        from scheduler.rounds.record import record

        lang = lang_of(request)
        name = request.path_params["name"]
        folder = run_dir(name)
        if folder is None:
            return _not_found(request)
        back = f"/runs/{name}"
        size = int(request.headers.get("content-length") or 0)
        if size > cfg.max_bytes + 64 * 1024:
            return _redirect_error(
                back, label("err.too_big", lang, mb=cfg.max_upload_mb)
            )
        form = await request.form(max_files=1)
        file = form.get("marks")
        kind = str(form.get("kind", "rosters"))
        marks = None
        if isinstance(file, UploadFile) and file.filename:
            if not file.filename.lower().endswith(".xlsx"):
                return _redirect_error(back, label("err.not_xlsx", lang))
            data = await file.read()
            if len(data) > cfg.max_bytes:
                return _redirect_error(
                    back, label("err.too_big", lang, mb=cfg.max_upload_mb)
                )
            marks = (
                cfg.outputs
                / UPLOADS
                / _save_upload(cfg.outputs, file.filename, data)
            )
        said: list[str] = []
        try:
            await run_in_threadpool(
                lambda: record(
                    folder,
                    [marks] if marks is not None and kind == "sheet" else [],
                    None,
                    said.append,
                    rosters=marks if kind != "sheet" else None,
                )
            )
        except SchedulerError as err:
            return _redirect_error(back, err.render(lang).strip())
        return RedirectResponse(back + "?recorded=1#record", 303)

    async def plan_next(request: Request):
        name = request.path_params["name"]
        ref = f"{name}/next-input.xlsx"
        if book_path(ref) is None:
            return _not_found(request)
        checks.pop(ref, None)
        return RedirectResponse("/?" + urlencode({"book": ref}), 303)

    async def history(request: Request):
        from scheduler.rounds.history import (
            HistoryError,
            history_path,
            read_figures,
        )
        from scheduler.rounds.history_report import figure_rows

        lang = lang_of(request)
        figures, rows = None, []
        with contextlib.suppress(HistoryError):
            figures = await run_in_threadpool(
                read_figures, history_path(cfg.outputs)
            )
            rows = figure_rows(figures, lang)
        return render(
            request,
            "history.html",
            figures=figures,
            rows=rows,
            runs_list=_run_list(cfg.outputs),
        )

    async def set_lang(request: Request):
        to = request.path_params["lang"]
        back = request.query_params.get("back", "/")
        if not back.startswith("/") or back.startswith("//") or "\\" in back:
            back = "/"  # this page's own paths only
        resp = RedirectResponse(back, 303)
        if to in LANGS:
            resp.set_cookie("lang", to, samesite="lax", max_age=10**8)
        return resp

    def _not_found(request: Request):
        return render(request, "error.html", 404, message="err.not_found")

    routes = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/lang/{lang}", set_lang),
        Route("/upload", upload, methods=["POST"]),
        Route("/template", template),
        Route("/run", start_run, methods=["POST"]),
        Route("/progress/{run_id}", progress_page),
        Route("/api/progress/{run_id}", progress_json),
        Route("/cancel/{run_id}", cancel, methods=["POST"]),
        Route("/history", history),
        Route("/runs/{name}", result),
        Route("/runs/{name}/zip", zip_run),
        Route("/runs/{name}/files/{path:path}", download),
        Route("/runs/{name}/record", record_run, methods=["POST"]),
        Route("/runs/{name}/next", plan_next, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static"))),
    ]

    async def guard(scope, receive, send, inner):
        """The token check, before any route (the login page, the
        language switch and the static files excepted)."""
        if scope["type"] == "http":
            request = Request(scope)
            path = scope["path"]
            open_path = path in ("/login",) or path.startswith(
                ("/static/", "/lang/")
            )
            if not open_path and not allowed(request):
                given = request.query_params.get("token", "")
                if cfg.token and hmac.compare_digest(
                    given.encode(), cfg.token.encode()
                ):
                    resp = RedirectResponse(path, 303)
                    resp.set_cookie(
                        "token", given, httponly=True, samesite="strict"
                    )
                else:
                    resp = RedirectResponse("/login", 303)
                await resp(scope, receive, send)
                return
        if scope["type"] == "http" and scope["method"] == "POST":
            if not _same_origin(Request(scope)):
                # another site's page posting to this one (CSRF)
                await PlainTextResponse("Forbidden", 403)(scope, receive, send)
                return
            await _limited(scope, receive, send, inner)
            return
        await inner(scope, receive, send)

    async def _limited(scope, receive, send, inner):
        """A request body larger than the upload limit is cut off as it
        comes (a body sent without its length included), and refused."""
        limit, seen, started = cfg.max_bytes + 64 * 1024, 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await inner(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            page = refused(Request(scope), "err.too_big", 413)
            await page(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await run_in_threadpool(runs.shutdown)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(_Guard, guard=guard)],
    )
    app.state.runs, app.state.config = runs, cfg
    return app


def _same_origin(request: Request) -> bool:
    """Whether a POST comes from this page (or names no origin, as
    programs do): a browser names the page a form was sent from."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlparse(origin).netloc == request.headers.get("host", "")


class _TooLarge(Exception):
    """A request body beyond the upload limit."""


class _Guard:
    """Pure ASGI middleware around the routes (the token check)."""

    def __init__(self, app, guard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send) -> None:
        await self.guard(scope, receive, send, self.app)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _redirect_error(back: str, message: str) -> RedirectResponse:
    sep = "&" if "?" in back else "?"
    return RedirectResponse(back + sep + urlencode({"error": message}), 303)


def _save_upload(outputs: Path, filename: str, data: bytes) -> str:
    """A new file under ``.uploads`` named after ``filename`` (base name
    only, odd characters replaced); never overwrites. The workbook keeps
    this path: run.json names it, and ``record`` reads it again."""
    folder = outputs / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    base = _SAFE.sub("_", Path(filename.replace("\\", "/")).name)
    base = base.strip("._")[:80] or "workbook.xlsx"
    if not base.lower().endswith(".xlsx"):
        base += ".xlsx"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name, n = f"{stamp}-{base}", 2
    while (folder / name).exists():
        name, n = f"{stamp}-{n}-{base}", n + 1
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(data)
    tmp.rename(folder / name)
    return name


def _check_book(path: Path) -> dict:
    """The reader's verdict on a workbook: its located problems, or what
    it holds. The same reader as ``scheduler run``."""
    from scheduler.core.errors import InputError, SchedulerError
    from scheduler.io.read.read import read_instance
    from scheduler.web.worker import issue_dicts, texts

    shown = shown_name(path)
    out = {"file": shown, "issues": [], "message": "", "facts": None}
    try:
        inst = read_instance(path)
    except InputError as err:
        out["issues"] = issue_dicts(err.issues)
        return out
    except SchedulerError as err:
        out["issues"] = [
            {
                "sheet": "",
                "row": None,
                "column": None,
                "value": "",
                "expected": texts(err),
            }
        ]
        return out
    s = inst.settings
    out["facts"] = {
        "employees": f"{len(inst.employees):,}",
        "sessions": f"{len(inst.horizon_sessions()):,}",
        "start": str(s.horizon_start),
        "end": str(s.horizon_end),
        "time_limit": s.time_limit_seconds,
        "language": s.language,
    }
    return out


def shown_name(path: Path | str) -> str:
    """A workbook's name as HR gave it: an upload without its time
    stamp, a next round's workbook with its run folder."""
    path = Path(str(path).replace("\\", "/"))
    if path.name == "next-input.xlsx":
        return f"{path.parent.name}/{path.name}"
    if path.parent.name == UPLOADS:
        return re.sub(r"^\d{8}-\d{6}-(\d+-)?", "", path.name)
    return path.name


def _run_spec(form, lang: str) -> tuple[dict, str]:
    """The run's options from the form, or the first problem with them,
    checked as ``scheduler run`` checks its options."""
    spec: dict = {}

    def num(field: str, key: str, kind, ok, problem: str):
        raw = str(form.get(field, "") or "").strip()
        if not raw:
            return None
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise ValueError(
                label(
                    "err.bad_option",
                    lang,
                    option=label(key, lang),
                    problem=label(problem, lang),
                )
            )
        return value

    try:
        spec["time_limit"] = num(
            "time_limit",
            "opt.time_limit",
            float,
            lambda v: v > 0,
            "err.positive",
        )
        spec["gap_limit"] = num(
            "gap_limit",
            "opt.gap_limit",
            float,
            lambda v: 0 <= v <= 100,
            "err.percent",
        )
        spec["seed"] = (
            num("seed", "opt.seed", int, lambda v: True, "err.whole") or 0
        )
        spec["workers"] = (
            num("workers", "opt.workers", int, lambda v: v >= 1, "err.whole")
            or 1
        )
    except ValueError as err:
        return {}, str(err)
    run_lang = str(form.get("lang", "") or "")
    spec["lang"] = run_lang if run_lang in LANGS else None
    spec["protect"] = form.get("protect") == "on"
    return spec, ""


def _stamp(folder: Path) -> float:
    return max(
        (p.stat().st_mtime for p in folder.iterdir() if p.is_file()),
        default=0.0,
    )


@lru_cache(maxsize=4)
def _run_view(folder: Path, stamp: float) -> dict:
    """What the result page shows of a run folder (cached while its
    files stay the same)."""
    import json

    from scheduler.io.read.run_files import read_coverage, read_sheet

    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    vaccination, tests = read_coverage(folder)
    sched = folder / "schedule.xlsx"
    unmet = read_sheet(sched, "unmet")
    changes = read_sheet(sched, "changes")
    files, folders = _listing(folder)
    counts: dict[str, int] = {}
    for c in changes:
        counts[str(c.get("change"))] = counts.get(str(c.get("change")), 0) + 1
    return {
        "meta": meta,
        "vaccination": vaccination,
        "tests": tests,
        "unmet": unmet,
        "changes": changes,
        "change_counts": counts,
        "files": files,
        "folders": folders,
        "buildings": sorted({str(u.get("workplace_id") or "") for u in unmet}),
        "departments": sorted({str(u.get("department") or "") for u in unmet}),
        "reasons": sorted({str(u.get("reason") or "") for u in unmet}),
    }


#: A folder of more files than this is shown as one line (the people's
#: calendars: one file per person); its files are in the zip.
LISTED_FILES = 30


def _listing(folder: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """The run folder's files to list one by one, and the folders too
    large to list (with their number of files)."""
    files: list[str] = []
    folders: list[tuple[str, int]] = []

    def walk(d: Path) -> None:
        entries = sorted(p for p in d.iterdir() if not p.name.startswith("."))
        own = [p for p in entries if p.is_file()]
        if d != folder and len(own) > LISTED_FILES:
            folders.append((d.relative_to(folder).as_posix(), len(own)))
        else:
            files.extend(p.relative_to(folder).as_posix() for p in own)
        for sub in entries:
            if sub.is_dir() and not sub.is_symlink():
                walk(sub)

    walk(folder)
    return files, folders


def _filtered(rows: list[dict], wanted: dict[str, str], page: str):
    """Rows matching every non-empty filter, one page of them, and the
    page's numbers (page, pages, rows)."""
    chosen = [
        r
        for r in rows
        if all(not v or str(r.get(k) or "") == v for k, v in wanted.items())
    ]
    pages = max(1, -(-len(chosen) // PAGE_ROWS))
    try:
        n = min(max(1, int(page)), pages)
    except ValueError:
        n = 1
    return chosen[(n - 1) * PAGE_ROWS : n * PAGE_ROWS], {
        "page": n,
        "pages": pages,
        "rows": len(chosen),
    }


def _query(q, **changes) -> str:
    params = {k: v for k, v in q.items() if k not in ("recorded", "error")}
    params.update({k: str(v) for k, v in changes.items()})
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _run_list(outputs: Path) -> list[dict]:
    """Every run folder of the outputs folder, newest first."""
    import json

    out = []
    for p in outputs.iterdir():
        if p.name.startswith(".") or not (p / "run.json").is_file():
            continue
        try:
            meta = json.loads((p / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append(
            {
                "name": p.name,
                "status": meta.get("status", ""),
                "appointments": (meta.get("counts") or {}).get(
                    "appointments", 0
                ),
                "gap": meta.get("gap"),
                "input": shown_name(meta.get("input", "")),
                "recorded": (p / "next-input.xlsx").is_file(),
                "when": p.stat().st_mtime,
            }
        )
    return sorted(out, key=lambda r: (r["when"], r["name"]), reverse=True)


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                z.write(p, f"{folder.name}/{p.relative_to(folder)}")
    return buf.getvalue()


def _pct(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "-"


def _num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int | float) else "-"
