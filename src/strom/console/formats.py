"""How the message browser shows a key or a value: as text, as pretty JSON, or as hex.

Records are bytes; the console never guesses a serializer. Text is UTF-8 with undecodable bytes replaced, JSON
falls back to text when the bytes are not JSON, hex is what kcat -f '%K' would need to be read by a person.
"""

from __future__ import annotations

import json
from typing import Literal

Format = Literal["text", "json", "hex"]
FORMATS: tuple[Format, ...] = ("text", "json", "hex")


def show(data: bytes | None, fmt: Format) -> str:
    """The bytes as the chosen format; a null key or value is shown as the word null (Kafka's tombstone)."""
    if data is None:
        return "null"
    if fmt == "hex":
        return " ".join(data[i : i + 16].hex(" ") for i in range(0, len(data), 16))
    text = data.decode("utf-8", errors="replace")
    if fmt == "json":
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=False)
        except ValueError:
            return text
    return text


def matches(needle: str, *fields: bytes | None) -> bool:
    """The browser's filter: a case-insensitive substring of the key or the value read as UTF-8."""
    if not needle:
        return True
    lowered = needle.casefold()
    return any(f is not None and lowered in f.decode("utf-8", errors="replace").casefold() for f in fields)


def parse_headers(text: str) -> list[tuple[str, bytes]]:
    """Headers typed into the produce form, one `name=value` (or `name:value`) a line, in order."""
    out: list[tuple[str, bytes]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep <= 0:
            raise ValueError(f"header {line!r} is not name=value")
        out.append((line[:sep].strip(), line[sep + 1 :].strip().encode()))
    return out


def human_bytes(n: int | None) -> str:
    """1536 -> '1.5 KiB': sizes as an operator reads them."""
    if n is None or n < 0:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
