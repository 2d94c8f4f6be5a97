"""One id per rule: the enum, the model's and the checker's registries,
their function names, the shared limits and docs/model.md agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler.check.checker import CHECKS
from scheduler.core.rules import Rule, team_away_limit, team_jabs_limit
from scheduler.model.constraints import BY_CONSTRUCTION, HARD_RULES

MODEL_MD = Path(__file__).parents[2] / "docs" / "model.md"


def test_every_rule_has_a_check_named_after_it():
    assert list(CHECKS) == list(Rule)  # domain.md's order
    for rule, check in CHECKS.items():
        assert check.__name__ == f"check_{rule.value}"


def test_every_rule_is_modelled_or_holds_by_construction():
    assert set(HARD_RULES).isdisjoint(BY_CONSTRUCTION)
    assert set(HARD_RULES) | set(BY_CONSTRUCTION) == set(Rule)
    assert list(HARD_RULES) == sorted(HARD_RULES, key=lambda r: r.number)
    for rule, add in HARD_RULES.items():
        assert add.__name__ == f"add_{rule.value}"


def _hard_rules_table() -> dict[str, tuple[int, str]]:
    """id -> (domain.md number, constraint) from the rows of the table
    under "## Hard rules" in docs/model.md."""
    text = MODEL_MD.read_text(encoding="utf-8")
    section = text.split("## Hard rules", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| (.*) \|$", section, re.M)
    return {rid: (int(n), what) for rid, n, what in rows}


def test_model_md_names_every_rule_with_its_number():
    table = _hard_rules_table()
    assert {rid: n for rid, (n, _) in table.items()} == {
        r.value: r.number for r in Rule
    }
    structural = {
        rid for rid, (_, what) in table.items() if "by construction" in what
    }
    assert structural == {r.value for r in BY_CONSTRUCTION}


@pytest.mark.parametrize(
    ("share", "on_duty", "limit"),
    [
        (0.25, 8, 2),  # exactly ⌊2.0⌋
        (0.25, 11, 2),  # ⌊2.75⌋
        (0.25, 12, 3),
        (0.25, 3, 1),  # ⌊0.75⌋ = 0: one may always go
        (0.25, 0, 1),  # nobody on duty: still one
        (0.29, 100, 29),  # 0.29 × 100 is 28.999… in floating point
        (1.0, 5, 5),
    ],
)
def test_team_limits(share, on_duty, limit):
    assert team_away_limit(share, on_duty) == limit
    assert team_jabs_limit(share, on_duty) == limit
