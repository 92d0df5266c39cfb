"""quality_scale.yaml lists every rule of Home Assistant's quality scale once."""

import json
from pathlib import Path
import re
from typing import Final

from homeassistant.util.yaml import parse_yaml
import probatio

QUALITY_SCALE: Final = (
    Path(__file__).parent.parent
    / "custom_components"
    / "future_fish"
    / "quality_scale.yaml"
)
TIERS: Final = ("bronze", "silver", "gold", "platinum")
# The rules per tier as the scale has them (a copy, since CI cannot read where the
# list is kept). A rule is a name, or an object with an "id" and its sub-checks.
SCALE: Final = json.loads(
    (Path(__file__).parent / "quality_scale_rules.json").read_text()
)
RULES: Final = [
    rule if isinstance(rule, str) else rule["id"]
    for tier in TIERS
    for rule in SCALE[tier]
]
# hassfest's schema of a rule (script/hassfest/quality_scale.py), here with a comment
# for every status: where a rule is done, why it is exempt, or what is missing.
ENTRY: Final = probatio.Schema(
    {
        probatio.Required("status"): probatio.In(["done", "todo", "exempt"]),
        probatio.Required("comment"): probatio.All(str, probatio.Length(min=10)),
    }
)


def test_every_rule_once_with_a_valid_status() -> None:
    """The file has exactly the scale's rules, each once, with a status and a reason."""
    text = QUALITY_SCALE.read_text(encoding="utf-8")
    rules = parse_yaml(text)["rules"]  # type: ignore[index]
    # YAML keeps the last of two equal keys, so count them in the text.
    listed = re.findall(r"^  ([a-z-]+):", text, re.MULTILINE)

    assert len(set(RULES)) == len(RULES)
    assert sorted(listed) == sorted(RULES)
    for name, entry in rules.items():
        ENTRY(entry)
        assert "\n" not in entry["comment"].strip(), f"{name}: one line"


def test_rules_are_in_the_order_of_the_scale() -> None:
    """Tier by tier, so a reader sees at once how far each tier is."""
    tier_of = {
        (rule if isinstance(rule, str) else rule["id"]): index
        for index, tier in enumerate(TIERS)
        for rule in SCALE[tier]
    }
    listed = re.findall(
        r"^  ([a-z-]+):", QUALITY_SCALE.read_text(encoding="utf-8"), re.MULTILINE
    )
    order = [tier_of[name] for name in listed]

    assert order == sorted(order)
