"""quality_scale.yaml lists every rule of Home Assistant's quality scale once."""

import json
from pathlib import Path
import re
from typing import Final

from homeassistant.util.yaml import parse_yaml
import probatio

from custom_components.future_fish.config_flow import DISCOVERY_TOPICS
from custom_components.future_fish.repairs import ISSUE_KINDS

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


# --- the comments say only true things -------------------------------------------------

ROOT: Final = Path(__file__).parent.parent
INTEGRATION: Final = ROOT / "custom_components" / "future_fish"
COMMENTS: Final[dict[str, str]] = {
    name: entry["comment"]
    for name, entry in parse_yaml(QUALITY_SCALE.read_text(encoding="utf-8"))[  # type: ignore[index]
        "rules"
    ].items()
}
NUMBER_WORDS: Final = {"Five": 5, "Six": 6, "Seven": 7}


def test_named_files_exist() -> None:
    """Every file a comment names is where it says (integration, repo or tests)."""
    for rule, comment in COMMENTS.items():
        for name in re.findall(r"[\w./-]+\.(?:py|md|json|yaml|toml)\b", comment):
            assert (INTEGRATION / name).exists() or (ROOT / name).exists(), (
                f"{rule}: {name}"
            )


def test_named_readme_sections_exist() -> None:
    """Every README section a comment quotes is a heading of the README."""
    headings = set(
        re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), re.MULTILINE)
    )
    quoted = {
        (rule, section)
        for rule, comment in COMMENTS.items()
        if "README" in comment
        for section in re.findall(r'"([^"]+)"', comment)
    }
    assert quoted
    for rule, section in quoted:
        assert section in headings, f"{rule}: README has no section {section!r}"


def test_discovery_names_the_manifest_topics() -> None:
    """The discovery comment names exactly the topics manifest.json subscribes to."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    named = re.findall(r"\S+/\+/\w+", COMMENTS["discovery"])
    assert named == manifest["mqtt"] == sorted(DISCOVERY_TOPICS)


def test_repair_issue_kinds_are_counted_and_translated() -> None:
    """The repair-issues comment counts the kinds repairs.py raises, each translated."""
    count = re.match(r"(\w+) kinds", COMMENTS["repair-issues"])
    assert count is not None
    assert NUMBER_WORDS[count.group(1)] == len(ISSUE_KINDS)
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    assert set(strings["issues"]) == set(ISSUE_KINDS)


def test_action_count_is_the_registered_actions() -> None:
    """The action-setup comment counts the actions services.yaml describes."""
    described = parse_yaml((INTEGRATION / "services.yaml").read_text())
    count = re.search(r"services\.yaml \((\d+)\)", COMMENTS["action-setup"])
    assert count is not None
    assert int(count.group(1)) == len(described)  # type: ignore[arg-type]


def test_no_icon_is_set_in_code() -> None:
    """icon-translations says every icon comes from icons.json."""
    assert "no icon is set in code" in COMMENTS["icon-translations"]
    for module in INTEGRATION.glob("*.py"):
        assert not re.search(r"_attr_icon|\bicon=", module.read_text()), module.name


def test_coverage_threshold_is_the_one_named() -> None:
    """test-coverage names the threshold scripts/test and pyproject.toml enforce."""
    assert "95 %" in COMMENTS["test-coverage"]
    assert "FAIL_UNDER=95" in (ROOT / "scripts" / "test").read_text()
    assert "fail_under = 95" in (ROOT / "pyproject.toml").read_text()


def test_runtime_data_is_the_typed_hub() -> None:
    """runtime-data quotes the typed entry alias the platforms use."""
    alias = re.search(r"\((\w+ = ConfigEntry\[\w+\])\)", COMMENTS["runtime-data"])
    assert alias is not None
    assert f"type {alias.group(1)}" in (INTEGRATION / "coordinator.py").read_text()
