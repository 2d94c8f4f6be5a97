"""Whatever HR types into any cell, the reader answers with an Instance or an
InputError — never another exception."""

from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.core.domain import Instance
from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from tests.io.workbook_factory import MINIMAL, minimal, write

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20
)
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "24:00",
        "25:00",
        "0900",
        "2021-02-30",
        "2021年6月1日",
        "90%",
        "cycle:4/2@2021-06-01",
        "cycle:0/0@x",
        "Mon-Sun",
        "周一",
        "yes",
        "否",
        "#N/A",
        "=1+1",
        "=A1",
        "全部",
        "驻场",
        "no-show",
        "E1",
        "e1",
        "WP1",
        "V1",
        "VaxA",
        "night",
        "office",
        "-1",
        "2.5",
        "1e400",
        "nan",
        "inf",
        "ＷＰ１",
        "0",
    ]
)
VALUE = st.one_of(
    st.none(),
    TEXT,
    SPECIAL,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(date(1900, 3, 1), date(2100, 1, 1)),
    st.datetimes(datetime(1900, 3, 1), datetime(2100, 1, 1)),
    st.times(),
    st.timedeltas(timedelta(0), timedelta(days=3)),
)
SHEET = st.sampled_from(sorted(MINIMAL))


@st.composite
def changes(draw):
    out = []
    for _ in range(draw(st.integers(1, 4))):
        sheet = draw(SHEET)
        rows = MINIMAL[sheet]
        row = draw(st.integers(0, len(rows)))  # may add a row below
        col = draw(st.integers(0, len(rows[0])))  # may add a column
        out.append((sheet, row, col, draw(VALUE)))
    return out


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes())
def test_any_cell_value_reads_or_raises_input_error(tmp_path, edits):
    s = minimal()
    for sheet, row, col, value in edits:
        rows = s[sheet]
        while len(rows) <= row:
            rows.append([None] * len(rows[0]))
        cells = rows[row]
        while len(cells) <= col:
            cells.append(None)
        cells[col] = value
    path = write(tmp_path, s)
    try:
        result = read_instance(path)
    except InputError as e:
        assert e.issues
        assert all(
            isinstance(i.expected, str) and i.expected for i in e.issues
        )
    else:
        assert isinstance(result, Instance)


def test_timedelta_and_time_values_survive(tmp_path):
    s = minimal()
    s["sessions"][1][4] = time(9)
    s["sessions"][1][5] = timedelta(hours=12)
    assert read_instance(write(tmp_path, s)).sessions["V1"].end == 720
