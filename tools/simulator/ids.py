"""Device ids (Wi-Fi MACs) and command id spellings."""

from __future__ import annotations

import random
import uuid

from .options import IdStyle

# Espressif's OUI, the first half of every deployed controller's MAC.
_OUI = (0xEC, 0xE3, 0x34)


def format_mac(octets: tuple[int, ...], style: IdStyle) -> str:
    """Spell a MAC the way `style` says."""
    separator = "-" if style is IdStyle.HYPHEN else ":"
    text = separator.join(f"{octet:02X}" for octet in octets)
    return text.lower() if style is IdStyle.COLON_LOWER else text


def device_ids(count: int, seed: int, style: IdStyle) -> list[str]:
    """Return `count` distinct MACs, the same ones for the same seed in every style."""
    rng = random.Random(seed)
    # 2**24 suffixes: enough room that sampling without replacement stays cheap.
    suffixes = rng.sample(range(1 << 24), count)
    return [
        format_mac((*_OUI, suffix >> 16, (suffix >> 8) & 0xFF, suffix & 0xFF), style)
        for suffix in suffixes
    ]


def normalize_command_id(command_id: str) -> str:
    """Return the key under which a command id is remembered for deduplication.

    Hex and hyphenated spellings of one UUID are the same command; anything that is not
    a UUID is compared as sent.
    """
    try:
        return uuid.UUID(command_id).hex
    except ValueError:
        return command_id


def hyphenated(command_id: str) -> str:
    """Return a UUID command id in hyphenated form (anything else unchanged)."""
    try:
        return str(uuid.UUID(command_id))
    except ValueError:
        return command_id
