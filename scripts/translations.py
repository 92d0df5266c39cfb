"""Generate translations/en.json from strings.json, as Home Assistant core does.

Custom integrations are loaded with their translations/ files only, so references of
the form [%key:component::future_fish::a::b%] must be resolved here. Run with
`--check` to fail when en.json is out of date (the test suite does).
"""

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "future_fish"
REFERENCE = re.compile(r"\[%key:component::future_fish::([a-z0-9_:]+)%\]")


def _lookup(strings: dict[str, Any], path: str) -> str:
    node: Any = strings
    for part in path.split("::"):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"reference {path} does not name a string")
    return node


def _resolve(node: Any, strings: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _resolve(value, strings) for key, value in node.items()}
    if isinstance(node, str):
        return REFERENCE.sub(lambda match: _lookup(strings, match[1]), node)
    return node


def generate() -> str:
    """Return the text en.json must have."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    resolved = _resolve(strings, strings)
    return json.dumps(resolved, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write en.json, or with --check report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    target = INTEGRATION / "translations" / "en.json"
    expected = generate()
    if parser.parse_args().check:
        if target.read_text(encoding="utf-8") != expected:
            print(f"{target} is out of date: run python scripts/translations.py")
            return 1
        return 0
    target.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
