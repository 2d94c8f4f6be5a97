"""Cross-row and cross-sheet checks, and construction of the Instance.

Cells are parsed already (``read``); here ids are registered (duplicates
ignoring case), references resolved to the defining sheet's spelling, and
rules that span columns or sheets checked. Each issue points at the cell
holding the offending value. Domain objects are built only from rows that
passed every check, so their own invariants never fire on user data (if
one does, it still becomes an issue, not a traceback).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from scheduler.core.domain import (
    OFFICE,
    Absence,
    Booking,
    BookingStatus,
    CalendarKind,
    DutyRow,
    Employee,
    Instance,
    Product,
    Scope,
    Service,
    Session,
    SessionOption,
    Settings,
    ShiftPattern,
    Site,
    SiteKind,
    TestRequirement,
    Workplace,
    hhmm,
)
from scheduler.core.errors import InputError, InputIssue
from scheduler.core.messages import Msg, nothing
from scheduler.io.read import cells
from scheduler.io.read.cells import fold
from scheduler.io.read.schema import (
    SESSION_OPTIONS,
    SETTING_BY_NAME,
    SETTING_INDEX,
    label_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from scheduler.io.read.table import Record, Report, Table

T = TypeVar("T")

#: entity -> (sheet defining it, its id column)
DEFINED_IN = {
    "workplace": ("workplaces", "workplace_id"),
    "site": ("sites", "site_id"),
    "product": ("products", "product"),
    "session": ("sessions", "session_id"),
    "pattern": ("shift_patterns", "pattern_id"),
    "employee": ("employees", "employee_id"),
}


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def build_instance(tables: dict[str, Table], rep: Report) -> Instance:
    """Check everything, then build; raises InputError listing all issues."""
    return _Builder(tables, rep).run()


class _Builder:
    def __init__(self, tables: dict[str, Table], rep: Report) -> None:
        self.t = tables
        self.rep = rep
        self.ids: dict[str, dict[str, str]] = {}  # entity -> fold -> id

    # --- helpers -----------------------------------------------------------

    def make(
        self, table: Table, rec: Record, start: int, ctor: Callable[[], T]
    ) -> T | None:
        """Build a domain object from a row without any issue.

        ``start`` is the issue count before this row's checks began; rows
        with a reported cell or a blank required cell are skipped.
        """
        if self.rep.count() != start or rec.bad:
            return None
        if any(c.name not in rec.values for c in table.spec.required_columns):
            return None
        try:
            return ctor()
        except ValueError as e:
            self.rep.issues.append(
                InputIssue(
                    table.title,
                    rec.row,
                    None,
                    None,
                    Msg("row.invalid", error=str(e)),
                )
            )
            return None

    def register(self, name: str, column: str, entity: str) -> None:
        """Ids of sheet ``name``, unique ignoring case and full-width."""
        table = self.t[name]
        seen: dict[str, tuple[str, int]] = {}
        for rec in table.records:
            ident = rec.get(column)
            if not isinstance(ident, str):
                continue
            k = fold(ident)
            if k in seen:
                first, row = seen[k]
                self.rep.cell(
                    table,
                    rec,
                    column,
                    Msg(
                        "id.unique",
                        column=table.header(column),
                        first=first,
                        row=row,
                    ),
                )
            else:
                seen[k] = (ident, rec.row)
        self.ids[entity] = {k: v for k, (v, _) in seen.items()}

    def ref(
        self,
        table: Table,
        rec: Record,
        column: str,
        entity: str,
        report: bool = True,
    ) -> str | None:
        """The canonical id a cell names; an issue if it names none."""
        ident = rec.get(column)
        if not isinstance(ident, str) or column in rec.bad:
            return None
        canon = self.ids.get(entity, {}).get(fold(ident))
        if canon is None and report:
            sheet, id_column = DEFINED_IN[entity]
            where = self.t[sheet]
            name = where.header(id_column)
            missing = Msg("ref.sheet_missing") if not where.present else None
            extra = Msg("ref.or_office") if entity == "pattern" else None
            self.rep.cell(
                table,
                rec,
                column,
                Msg(
                    "ref.listed",
                    a=_a(name),
                    column=name,
                    sheet=where.title,
                    missing=missing or nothing(),
                    extra=extra or nothing(),
                ),
            )
        return canon

    def need(self, table: Table, rec: Record, column: str, why: Msg) -> None:
        """A cell that must be filled in because of another one."""
        if column not in rec.bad:
            self.rep.cell(table, rec, column, why, value=None)

    # --- the run -----------------------------------------------------------

    def run(self) -> Instance:
        settings = self.settings()
        workplaces = self.workplaces()
        sites = self.sites()
        travel = self.travel(sites)
        products = self.products()
        sessions = self.sessions()
        horizon = self.horizon(settings)
        patterns = self.patterns()
        holidays, workdays = self.calendar()
        employees = self.employees(horizon[0] if horizon else None)
        absences = self.absences()
        duty = self.duty()
        requirements = self.requirements(employees)
        bookings = self.bookings(sessions, horizon)
        session_options = self.session_options(horizon)
        settings_obj = None
        if horizon is not None:
            try:
                settings_obj = Settings(
                    horizon_start=horizon[0],
                    horizon_end=horizon[1],
                    **settings,
                )
            except ValueError as e:
                self.rep.issues.append(
                    InputIssue(
                        self.t["settings"].title,
                        None,
                        None,
                        None,
                        Msg("settings.invalid", error=str(e)),
                    )
                )
        if self.rep.issues or settings_obj is None:
            raise InputError(
                self._sorted(self.rep.issues), settings.get("language")
            )
        return Instance(
            settings=settings_obj,
            workplaces=workplaces,
            sites=sites,
            travel=travel,
            products=products,
            sessions=sessions,
            patterns=patterns,
            employees=employees,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            absences=tuple(absences),
            duty=tuple(duty),
            test_requirements=tuple(requirements),
            bookings=tuple(bookings),
            session_options=session_options,
            notices=tuple(self.rep.notices),
            warnings=tuple(self.rep.warnings),
        )

    def _sorted(self, issues: list[InputIssue]) -> list[InputIssue]:
        """File and sheet problems first, then by sheet and row."""
        order = {t.title: i for i, t in enumerate(self.t.values())}
        return sorted(
            issues,
            key=lambda x: (
                x.row is not None,
                order.get(x.sheet, -1),
                x.row or 0,
            ),
        )

    # --- settings ----------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        table = self.t["settings"]
        out: dict[str, object] = {}
        self.setting_rows: dict[str, Record] = {}
        for rec in table.records:
            key = rec.get("key")
            if not isinstance(key, str):
                continue
            name = SETTING_INDEX.get(label_key(key))
            if name is None:
                self.rep.notice(
                    Msg(
                        "notice.setting_unknown",
                        sheet=table.title,
                        row=rec.row,
                        key=key,
                    )
                )
                continue
            if name in self.setting_rows:
                self.rep.cell(
                    table,
                    rec,
                    "key",
                    Msg(
                        "setting.twice",
                        name=name,
                        row=self.setting_rows[name].row,
                    ),
                )
                continue
            self.setting_rows[name] = rec
            if not rec.given("value"):
                continue
            try:
                out[name] = cells.parse(
                    SETTING_BY_NAME[name], rec.raw["value"]
                )
            except cells.CellError as e:
                self.rep.cell(
                    table,
                    rec,
                    "value",
                    Msg("setting.value", name=name, expected=e.expected),
                )
        return out

    def horizon(self, settings: dict[str, Any]) -> tuple[date, date] | None:
        """From settings, else the first and last session dates."""
        table = self.t["settings"]
        dates = [
            d
            for r in self.t["sessions"].records
            if isinstance(d := r.get("date"), date)
        ]
        start = settings.pop("horizon_start", None)
        end = settings.pop("horizon_end", None)
        bad = {"horizon_start", "horizon_end"} & {
            k for k, r in self.setting_rows.items() if "value" in r.bad
        }
        if bad:
            return None
        start = start or (min(dates) if dates else None)
        end = end or (max(dates) if dates else None)
        if start is None or end is None:
            self.rep.sheet(table, Msg("horizon.none", sheet=table.title))
            return None
        if end < start:
            key = (
                "horizon_end"
                if "horizon_end" in self.setting_rows
                else ("horizon_start")
            )
            rec = self.setting_rows.get(key)
            expected = Msg("horizon.order", start=str(start), end=str(end))
            if rec is None:
                self.rep.sheet(table, expected)
            else:
                self.rep.cell(table, rec, "value", expected)
            return None
        return start, end

    # --- places and products -----------------------------------------------

    def workplaces(self) -> dict[str, Workplace]:
        table = self.t["workplaces"]
        self.register("workplaces", "workplace_id", "workplace")
        out = {}
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            w = self.make(
                table,
                rec,
                n0,
                lambda: Workplace(
                    id=v["workplace_id"],
                    name=v["name"],
                    city=v.get("city", ""),
                    address=v.get("address", ""),
                ),
            )
            if w is not None:
                out[w.id] = w
        return out

    def sites(self) -> dict[str, Site]:
        table = self.t["sites"]
        self.register("sites", "site_id", "site")
        out = {}
        for rec in table.records:
            n0 = self.rep.count()
            wp = self.ref(table, rec, "workplace_id", "workplace")
            kind = rec.get("kind")
            if kind is SiteKind.ONSITE and not rec.given("workplace_id"):
                self.need(
                    table,
                    rec,
                    "workplace_id",
                    Msg(
                        "site.onsite_workplace",
                        column=table.header("workplace_id"),
                    ),
                )
            v = rec.values
            s = self.make(
                table,
                rec,
                n0,
                lambda: Site(
                    id=v["site_id"],
                    name=v["name"],
                    kind=kind,
                    workplace_id=wp,
                    address=v.get("address", ""),
                ),
            )
            if s is not None:
                out[s.id] = s
        return out

    def travel(self, sites: dict[str, Site]) -> dict[tuple[str, str], int]:
        table = self.t["travel"]
        out: dict[tuple[str, str], int] = {}
        rows: dict[tuple[str, str], int] = {}
        for rec in table.records:
            n0 = self.rep.count()
            wp = self.ref(table, rec, "workplace_id", "workplace")
            site = self.ref(table, rec, "site_id", "site")
            minutes = rec.get("minutes")
            if wp is None or site is None or self.rep.count() != n0:
                continue
            if (wp, site) in rows:
                self.rep.cell(
                    table,
                    rec,
                    "site_id",
                    Msg("travel.pair_twice", row=rows[(wp, site)]),
                )
                continue
            rows[(wp, site)] = rec.row
            s = sites.get(site)
            if s and s.kind is SiteKind.ONSITE and s.workplace_id == wp:
                if minutes:
                    self.rep.notice(
                        Msg(
                            "notice.travel_own",
                            sheet=table.title,
                            row=rec.row,
                            site=site,
                            workplace=wp,
                        )
                    )
                continue
            if isinstance(minutes, int):
                out[(wp, site)] = minutes
        return out

    def _at_least(self, table, rec, low: str, high: str, key: str) -> None:
        """A product's upper bound (``max_…``) below its lower bound is
        reported at the upper bound's cell."""
        lo, hi = rec.values.get(low), rec.values.get(high)
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.rep.cell(
                table,
                rec,
                high,
                Msg(
                    key,
                    column=table.header(high),
                    low_column=table.header(low),
                    low=lo,
                ),
            )

    def products(self) -> dict[str, Product]:
        table = self.t["products"]
        self.register("products", "product", "product")
        out = {}
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            self._at_least(
                table,
                rec,
                "min_interval_days",
                "max_interval_days",
                "product.max_interval",
            )
            self._at_least(table, rec, "min_age", "max_age", "product.max_age")
            p = self.make(
                table,
                rec,
                n0,
                lambda: Product(
                    name=v["product"],
                    doses=v["doses"],
                    min_interval_days=v["min_interval_days"],
                    max_interval_days=v["max_interval_days"],
                    min_age=v.get("min_age", 18),
                    max_age=v.get("max_age"),
                    booster_after_days=v.get("booster_after_days"),
                ),
            )
            if p is not None:
                out[p.name] = p
        return out

    # --- sessions and the horizon -------------------------------------------

    def sessions(self) -> dict[str, Session]:
        table = self.t["sessions"]
        self.register("sessions", "session_id", "session")
        has_products = self.t["products"].present
        out = {}
        vaccinations = False
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            site = self.ref(table, rec, "site_id", "site")
            service = v.get("service")
            product = None
            if service is Service.VACCINATION:
                vaccinations = True
                if rec.given("product"):
                    product = self.ref(
                        table,
                        rec,
                        "product",
                        "product",
                        report=has_products,
                    )
                else:
                    self.need(
                        table,
                        rec,
                        "product",
                        Msg("session.product_needed"),
                    )
            elif service is Service.NUCLEIC_TEST and rec.given("product"):
                self.rep.notice(
                    Msg("notice.test_product", sheet=table.title, row=rec.row)
                )
            start, end, slot = (
                v.get("start"),
                v.get("end"),
                v.get("slot_minutes"),
            )
            if isinstance(start, int) and isinstance(end, int):
                if end <= start:
                    self.rep.cell(
                        table,
                        rec,
                        "end",
                        Msg("session.end_after_start", start=hhmm(start)),
                    )
                elif isinstance(slot, int) and end - start < slot:
                    self.rep.cell(
                        table,
                        rec,
                        "slot_minutes",
                        Msg(
                            "session.slots_fit",
                            start=hhmm(start),
                            end=hhmm(end),
                            minutes=end - start,
                        ),
                        value=rec.raw.get("slot_minutes", slot),
                    )
            wps = self._workplace_list(table, rec)
            if service is Service.VACCINATION and product is None:
                continue  # reported: blank, unknown, or no products sheet
            s = self.make(
                table,
                rec,
                n0,
                lambda: Session(
                    id=v["session_id"],
                    service=service,
                    site_id=site,
                    date=v["date"],
                    start=start,
                    end=end,
                    capacity_per_slot=v["capacity_per_slot"],
                    slot_minutes=slot,
                    product=product,
                    doses_available=v.get("doses_available"),
                    observation_seats=v.get("observation_seats"),
                    provider=v.get("provider", ""),
                    workplaces=wps,
                ),
            )
            if s is not None:
                out[s.id] = s
        if vaccinations and not has_products:
            self.rep.sheet(
                self.t["products"],
                Msg("sheet.products_needed", name="products", alias="疫苗"),
            )
        return out

    def _workplace_list(
        self, table: Table, rec: Record
    ) -> frozenset[str] | None:
        items = rec.get("workplaces")
        if not items or "workplaces" in rec.bad:
            return None
        known = self.ids.get("workplace", {})
        got = {i: known.get(fold(i)) for i in items}
        unknown = [i for i, c in got.items() if c is None]
        if unknown:
            self.rep.cell(
                table,
                rec,
                "workplaces",
                Msg(
                    "ref.workplaces_listed",
                    sheet=self.t["workplaces"].title,
                    unknown=", ".join(unknown),
                ),
            )
            return None
        return frozenset(c for c in got.values() if c)

    # --- duty ----------------------------------------------------------------

    def patterns(self) -> dict[str, ShiftPattern]:
        table = self.t["shift_patterns"]
        self.register("shift_patterns", "pattern_id", "pattern")
        ids = self.ids["pattern"]
        office = fold(OFFICE.id)
        ids[office] = OFFICE.id  # built in; a row named office replaces it
        out = {OFFICE.id: OFFICE}
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            start, end = v.get("start"), v.get("end")
            if isinstance(start, int) and start == end:
                self.rep.cell(
                    table,
                    rec,
                    "end",
                    Msg("end.differs"),
                )
            days = v.get("days")
            ident = v.get("pattern_id")
            if isinstance(ident, str) and fold(ident) == office:
                ident = OFFICE.id
            p = self.make(
                table,
                rec,
                n0,
                lambda: ShiftPattern(
                    id=ident,
                    start=start,
                    end=end,
                    weekdays=days.weekdays,
                    cycle_on=days.cycle_on,
                    cycle_off=days.cycle_off,
                    cycle_anchor=days.anchor,
                ),
            )
            if p is not None:
                out[p.id] = p
        return out

    def calendar(self) -> tuple[set[date], set[date]]:
        table = self.t["calendar"]
        seen: dict[date, tuple[CalendarKind, int]] = {}
        for rec in table.records:
            d, kind = rec.get("date"), rec.get("kind")
            if not isinstance(d, date) or kind is None:
                continue
            if d in seen and seen[d][0] is not kind:
                self.rep.cell(
                    table,
                    rec,
                    "kind",
                    Msg(
                        "calendar.one_kind",
                        row=seen[d][1],
                        date=str(d),
                        kind=str(seen[d][0]),
                    ),
                )
                continue
            seen.setdefault(d, (kind, rec.row))
        hol = {d for d, (k, _) in seen.items() if k is CalendarKind.HOLIDAY}
        return hol, set(seen) - hol

    # --- people --------------------------------------------------------------

    def employees(self, horizon_start: date | None) -> dict[str, Employee]:
        table = self.t["employees"]
        self.register("employees", "employee_id", "employee")
        out = {}
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            wp = self.ref(table, rec, "workplace_id", "workplace")
            pattern = OFFICE.id
            if rec.given("shift_pattern"):
                pattern = self.ref(table, rec, "shift_pattern", "pattern")
            product = self.ref(table, rec, "last_product", "product")
            doses = v.get("doses_received", 0)
            if isinstance(doses, int) and doses > 0:
                doses_col = table.header("doses_received")
                for col in ("last_dose_date", "last_product"):
                    if not rec.given(col):
                        self.need(
                            table,
                            rec,
                            col,
                            Msg(
                                f"employee.{col}",
                                column=doses_col,
                                doses=doses,
                            ),
                        )
            if horizon_start is not None:
                for col in ("last_dose_date", "last_test_date", "birth_date"):
                    d = v.get(col)
                    if isinstance(d, date) and d >= horizon_start:
                        self.rep.cell(
                            table,
                            rec,
                            col,
                            Msg(
                                "employee.before_horizon"
                                if col == "birth_date"
                                else "employee.history_before_horizon",
                                start=str(horizon_start),
                            ),
                        )
            e = self.make(
                table,
                rec,
                n0,
                lambda: Employee(
                    id=v["employee_id"],
                    name=v["name"],
                    workplace_id=wp,
                    department=v["department"],
                    team=v.get("team", ""),
                    role=v.get("role", ""),
                    shift_pattern=pattern,
                    birth_date=v.get("birth_date"),
                    age=v.get("age"),
                    phone=v.get("phone", ""),
                    doses_received=doses,
                    last_dose_date=v.get("last_dose_date"),
                    last_product=product,
                    exemption=v.get("vaccination_exemption"),
                    last_test_date=v.get("last_test_date"),
                    priority=v.get("priority", 3),
                ),
            )
            if e is not None:
                out[e.id] = e
        return out

    def absences(self) -> list[Absence]:
        table = self.t["absences"]
        out = []
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            emp = self.ref(table, rec, "employee_id", "employee")
            a, b = v.get("start_date"), v.get("end_date")
            if isinstance(a, date) and isinstance(b, date) and b < a:
                self.rep.cell(
                    table,
                    rec,
                    "end_date",
                    Msg(
                        "absence.end_order",
                        column=table.header("end_date"),
                        low_column=table.header("start_date"),
                        start=str(a),
                    ),
                )
            x = self.make(
                table,
                rec,
                n0,
                lambda: Absence(
                    employee_id=emp,
                    start_date=a,
                    end_date=b,
                    reason=v.get("reason", ""),
                ),
            )
            if x is not None:
                out.append(x)
        return out

    def duty(self) -> list[DutyRow]:
        table = self.t["duty"]
        out = []
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            emp = self.ref(table, rec, "employee_id", "employee")
            start, end = v.get("start"), v.get("end")
            if isinstance(start, int) and start == end:
                self.rep.cell(
                    table,
                    rec,
                    "end",
                    Msg("end.differs"),
                )
            x = self.make(
                table,
                rec,
                n0,
                lambda: DutyRow(
                    employee_id=emp, date=v["date"], start=start, end=end
                ),
            )
            if x is not None:
                out.append(x)
        return out

    def requirements(
        self, employees: dict[str, Employee]
    ) -> list[TestRequirement]:
        table = self.t["test_requirements"]
        self.register("test_requirements", "requirement_id", "requirement")
        out = []
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            scope = v.get("scope")
            value = v.get("value") or None
            if (
                isinstance(scope, Scope)
                and scope is not Scope.ALL
                and not value
            ):
                self.need(
                    table,
                    rec,
                    "value",
                    Msg("requirement.value_needed", scope=str(scope)),
                )
            elif scope is Scope.WORKPLACE and value:
                # A typo here would quietly drop a screening (issue 20).
                value = self.ref(table, rec, "value", "workplace")
            self._cadence_or_window(table, rec)
            r = self.make(
                table,
                rec,
                n0,
                lambda: TestRequirement(
                    id=v["requirement_id"],
                    scope=scope,
                    value=None if scope is Scope.ALL else value,
                    every_days=v.get("every_days"),
                    window_start=v.get("window_start"),
                    window_end=v.get("window_end"),
                ),
            )
            if r is not None:
                out.append(r)
                if scope is Scope.ALL and not employees:
                    pass  # no employees at all: reported where they are
                elif not any(r.applies_to(e) for e in employees.values()):
                    self.rep.warning(
                        Msg(
                            "warning.requirement_nobody",
                            sheet=table.title,
                            row=rec.row,
                            column=table.header("value"),
                            scope=Msg(f"word.scope.{scope}"),
                            value=value,
                            id=r.id,
                        )
                    )
        return out

    def _cadence_or_window(self, table: Table, rec: Record) -> None:
        cols = ("every_days", "window_start", "window_end")
        if any(c in rec.bad for c in cols):
            return
        every, ws, we = (rec.given(c) for c in cols)
        names = {
            "every": table.header("every_days"),
            "start": table.header("window_start"),
            "end": table.header("window_end"),
        }
        if every and (ws or we):
            self.rep.cell(
                table, rec, "every_days", Msg("requirement.both", **names)
            )
        elif not every and ws != we:
            missing = "window_end" if ws else "window_start"
            self.need(
                table,
                rec,
                missing,
                Msg("requirement.window_both", missing=table.header(missing)),
            )
        elif not every and not ws:
            self.need(
                table,
                rec,
                "every_days",
                Msg("requirement.cadence_or_window", **names),
            )
        elif ws and we:
            a, b = rec.get("window_start"), rec.get("window_end")
            if b < a:
                self.rep.cell(
                    table,
                    rec,
                    "window_end",
                    Msg(
                        "requirement.window_order",
                        column=names["end"],
                        low_column=names["start"],
                        start=str(a),
                    ),
                )

    # --- bookings ------------------------------------------------------------

    def bookings(
        self,
        sessions: dict[str, Session],
        horizon: tuple[date, date] | None,
    ) -> list[Booking]:
        table = self.t["bookings"]
        out = []
        booked: dict[tuple[str, str], int] = {}
        for rec in table.records:
            n0 = self.rep.count()
            v = rec.values
            status = v.get("status", BookingStatus.BOOKED)
            history = status is not BookingStatus.BOOKED
            emp = self.ref(table, rec, "employee_id", "employee", not history)
            sid = self.ref(table, rec, "session_id", "session", not history)
            where = Msg("where.row", sheet=table.title, row=rec.row)
            if (
                history
                and (emp is None or sid is None)
                and self.rep.count() == n0
            ):
                if rec.given("employee_id") and rec.given("session_id"):
                    what = "employee" if emp is None else "session"
                    self.rep.notice(
                        Msg(
                            "notice.history_unknown",
                            where=where,
                            what=Msg(f"word.{what}"),
                        )
                    )
                continue
            session = sessions.get(sid) if sid else None
            slot = v.get("slot_start")
            if session is not None and isinstance(slot, int):
                starts = [a for a, _ in session.slots]
                if slot not in starts:
                    shown = ", ".join(hhmm(a) for a in starts[:4])
                    more = ", …" if len(starts) > 4 else ""
                    msg = Msg(
                        "booking.slot_start", session=sid, shown=shown + more
                    )
                    if history:
                        self.rep.notice(
                            Msg(
                                "notice.history_slot",
                                where=where,
                                expected=msg,
                            )
                        )
                    else:
                        self.rep.cell(table, rec, "slot_start", msg)
            if not history and emp and sid and self.rep.count() == n0:
                if (emp, sid) in booked:
                    self.rep.cell(
                        table,
                        rec,
                        "session_id",
                        Msg(
                            "booking.twice",
                            employee=emp,
                            row=booked[(emp, sid)],
                        ),
                    )
                booked[(emp, sid)] = rec.row
            pinned = bool(v.get("pinned", False))
            if (
                pinned
                and not history
                and session is not None
                and horizon is not None
                and not horizon[0] <= session.date <= horizon[1]
            ):
                self.rep.warning(
                    Msg(
                        "warning.pinned_outside",
                        where=where,
                        employee=emp,
                        session=sid,
                        date=str(session.date),
                        start=str(horizon[0]),
                        end=str(horizon[1]),
                    )
                )
                continue
            b = self.make(
                table,
                rec,
                n0,
                lambda: Booking(
                    employee_id=emp,
                    session_id=sid,
                    slot_start=slot,
                    pinned=pinned,
                    status=status,
                ),
            )
            if b is not None:
                out.append(b)
        return out

    # --- session options (capacity planning only) ----------------------------

    def session_options(
        self, horizon: tuple[date, date] | None
    ) -> dict[str, SessionOption]:
        """The ``session_options`` sheet, present only when the reader was
        asked for it: every row checked as a row of ``sessions`` is (a
        second builder reads the sheet as if it were that one, so the
        checks and messages are the same), its ``session_id`` unique and
        not one of ``sessions``, and its cost."""
        table = self.t.get(SESSION_OPTIONS.name)
        if table is None or not table.present:
            return {}
        sub = _Builder({**self.t, "sessions": table}, self.rep)
        sub.ids = dict(self.ids)
        found = sub.sessions()
        taken = self.ids.get("session", {})
        rows = {
            fold(r.get("session_id")): r.row
            for r in self.t["sessions"].records
            if isinstance(r.get("session_id"), str)
        }
        out: dict[str, SessionOption] = {}
        for rec in table.records:
            ident = rec.get("session_id")
            if not isinstance(ident, str) or "session_id" in rec.bad:
                continue
            if fold(ident) in taken:
                self.rep.cell(
                    table,
                    rec,
                    "session_id",
                    "a session_id not in sheet "
                    f"'{self.t['sessions'].title}' (it is on row "
                    f"{rows.get(fold(ident), '?')} there): an option is a "
                    "session not arranged yet",
                )
                continue
            session = found.get(ident)
            if session is None or rec.bad:
                continue
            if horizon is not None and not (
                horizon[0] <= session.date <= horizon[1]
            ):
                self.rep.notice(
                    f"sheet '{table.title}', row {rec.row}: option "
                    f"{ident} on {session.date} is outside the horizon "
                    f"({horizon[0]} to {horizon[1]}); ignored"
                )
                continue
            out[session.id] = SessionOption(
                session=session, cost=float(rec.values.get("cost", 1.0))
            )
        return out
