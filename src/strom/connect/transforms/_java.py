"""Java's text and number rules that Kafka's transforms expose to users, so a config written for Kafka Connect
gives the same topic names, strings and numbers here: SimpleDateFormat patterns, java.util.regex replacement
strings and named groups, Number narrowing and the parse* methods. (Double/Float.toString and float32 rounding
are strom.connect.java_text's, shared with the converters.)"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal

__all__ = [
    "SimpleDateFormat",
    "java_regex",
    "narrow_int",
    "parse_boolean",
    "parse_double",
    "parse_int",
    "replacement_function",
    "to_integral",
]

_MONTHS = [  # the US locale's, whatever the process locale is
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_PATTERN_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")


class SimpleDateFormat:
    """java.text.SimpleDateFormat in the US locale and UTC: formatting (TimestampRouter's ``timestamp.format``,
    TimestampConverter to string) and lenient parsing (TimestampConverter from string). Unknown pattern letters
    are refused at construction, as Java does."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._parts: list[tuple[str, int] | str] = _compile_date_pattern(pattern)
        self._parser: tuple[re.Pattern[str], list[tuple[str, int]]] | None = None

    def format(self, when: dt.datetime) -> str:
        when = when.astimezone(dt.UTC) if when.tzinfo else when
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(_format_letter(part[0], part[1], when))
        return "".join(out)

    def format_millis(self, epoch_ms: int) -> str:
        epoch = dt.datetime(1970, 1, 1)
        return self.format(epoch + dt.timedelta(milliseconds=epoch_ms))

    def parse_millis(self, text: str) -> int:
        """SimpleDateFormat.parse in lenient mode and UTC: the pattern must match from the start (trailing text is
        ignored), numbers may overflow into the next unit (month 13 is January of the next year); ValueError when
        it does not match."""
        if self._parser is None:
            self._parser = _compile_parser(self._parts)
        regex, fields = self._parser
        match = regex.match(text)
        if match is None:
            raise ValueError(text)
        values: dict[str, int] = {}
        offset_minutes = 0
        pm: bool | None = None
        for group, (letter, count) in zip(match.groups(), fields, strict=True):
            if letter in "ML" and count >= 3:
                values["M"] = _month_number(group)
            elif letter == "E":
                continue
            elif letter == "a":
                pm = group.upper() == "PM"
            elif letter in "zZX":
                offset_minutes = _zone_offset(group)
            elif letter == "G":
                continue
            else:
                number = int(group)
                if letter in "yY" and count <= 2 and len(group) == 2:
                    number = _two_digit_year(number)
                values[letter] = number
        year = values.get("y", values.get("Y", 1970))
        month = values.get("M", values.get("L", 1)) - 1
        base = dt.datetime(year + month // 12, month % 12 + 1, 1)
        if "D" in values and "d" not in values:
            days = values["D"] - 1
        else:
            days = values.get("d", 1) - 1
        hour = values.get("H", 0)
        if "k" in values:
            hour = values["k"] % 24
        for letter in "hK":
            if letter in values:
                hour = values[letter] % 12 if letter == "h" else values[letter]
                hour += 12 if pm else 0
        when = base + dt.timedelta(
            days=days,
            hours=hour,
            minutes=values.get("m", 0) - offset_minutes,
            seconds=values.get("s", 0),
            milliseconds=values.get("S", 0),
        )
        delta = when - dt.datetime(1970, 1, 1)
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _compile_date_pattern(pattern: str) -> list[tuple[str, int] | str]:
    parts: list[tuple[str, int] | str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                parts.append("'")
                i += 2
                continue
            end = i + 1
            text: list[str] = []
            while True:
                if end >= n:
                    raise ValueError(f"Unterminated quote in {pattern!r}")
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            parts.append("".join(text))
            i = end + 1
        elif c.isascii() and c.isalpha():
            if c not in _PATTERN_LETTERS:
                raise ValueError(f"Illegal pattern character '{c}'")
            j = i
            while j < n and pattern[j] == c:
                j += 1
            parts.append((c, j - i))
            i = j
        else:
            parts.append(c)
            i += 1
    return parts


_NUMERIC = frozenset("yYMLwWDdFuHkKhmsS")


def _compile_parser(parts: list[tuple[str, int] | str]) -> tuple[re.Pattern[str], list[tuple[str, int]]]:
    """A regex for parsing: a numeric field followed by another numeric field takes exactly its width in
    digits (Java's abutting fields), otherwise as many digits as there are."""
    regex: list[str] = []
    fields: list[tuple[str, int]] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            regex.append(re.escape(part))
            continue
        letter, count = part
        following = parts[i + 1] if i + 1 < len(parts) else None
        abutting = isinstance(following, tuple) and following[0] in _NUMERIC
        if letter in "ML" and count >= 3:
            regex.append("([A-Za-z]+)")
        elif letter in _NUMERIC:
            regex.append(f"(\\d{{{count}}})" if abutting else "(\\d+)")
        elif letter == "E":
            regex.append("([A-Za-z]+)")
        elif letter == "a":
            regex.append("([AaPp][Mm])")
        elif letter == "G":
            regex.append("(AD|BC)")
        elif letter == "X":  # ISO 8601: X is +hh, XX +hhmm, XXX +hh:mm
            regex.append({1: "(Z|[+-]\\d{2})", 2: "(Z|[+-]\\d{4})"}.get(count, "(Z|[+-]\\d{2}:\\d{2})"))
        else:  # z and Z: RFC 822 +hhmm, or a general zone (UTC, GMT, GMT+hh:mm)
            regex.append("([+-]\\d{4}|UTC|GMT(?:[+-]\\d{1,2}:?\\d{2})?|[A-Z]{3})")
        fields.append(part)
    return re.compile("".join(regex)), fields


def _month_number(text: str) -> int:
    for i, name in enumerate(_MONTHS):
        if name.lower() == text.lower() or name[:3].lower() == text.lower():
            return i + 1
    raise ValueError(text)


def _zone_offset(text: str) -> int:
    """Minutes east of UTC of a parsed zone (UTC, GMT, Z, +hh, +hhmm, +hh:mm, GMT+hh:mm)."""
    if text in ("Z", "UTC", "GMT"):
        return 0
    digits = text[3:] if text.startswith("GMT") else text
    if not digits or digits[0] not in "+-":
        raise ValueError(text)
    numbers = digits[1:].replace(":", "")
    minutes = int(numbers[:2]) * 60 + (int(numbers[2:4]) if len(numbers) > 2 else 0)
    return minutes if digits[0] == "+" else -minutes


def _two_digit_year(number: int) -> int:
    """Java's "yy" parsing: the year within 80 years before and 20 years after today."""
    start = dt.date.today().year - 80
    year = start - start % 100 + number
    return year + 100 if year < start else year


def _us_week(when: dt.date) -> tuple[int, int]:
    """(week-based year, week of year) with the US rules: weeks start on Sunday, week 1 holds January 1."""
    start = when - dt.timedelta(days=(when.weekday() + 1) % 7)  # the Sunday of when's week
    end = start + dt.timedelta(days=6)
    if end.year > when.year:
        return end.year, 1
    jan1 = dt.date(when.year, 1, 1)
    first_sunday = jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7)
    return when.year, (start - first_sunday).days // 7 + 1


def _format_letter(letter: str, count: int, when: dt.datetime) -> str:
    if letter == "G":
        return "AD" if when.year > 0 else "BC"
    if letter in "yY":
        year = when.year if letter == "y" else _us_week(when.date())[0]
        return f"{year % 100:02d}" if count == 2 else str(year).zfill(count)
    if letter in "ML":
        if count >= 4:
            return _MONTHS[when.month - 1]
        if count == 3:
            return _MONTHS[when.month - 1][:3]
        return str(when.month).zfill(count)
    if letter == "w":
        return str(_us_week(when.date())[1]).zfill(count)
    if letter == "W":
        first = when.replace(day=1)
        return str((when.day - 1 + (first.weekday() + 1) % 7) // 7 + 1).zfill(count)
    if letter == "D":
        return str(when.timetuple().tm_yday).zfill(count)
    if letter == "d":
        return str(when.day).zfill(count)
    if letter == "F":
        return str((when.day - 1) // 7 + 1).zfill(count)
    if letter == "E":
        name = _DAYS[when.weekday()]
        return name if count >= 4 else name[:3]
    if letter == "u":
        return str(when.isoweekday()).zfill(count)
    if letter == "a":
        return "AM" if when.hour < 12 else "PM"
    if letter == "H":
        return str(when.hour).zfill(count)
    if letter == "k":
        return str(when.hour or 24).zfill(count)
    if letter == "K":
        return str(when.hour % 12).zfill(count)
    if letter == "h":
        return str(when.hour % 12 or 12).zfill(count)
    if letter == "m":
        return str(when.minute).zfill(count)
    if letter == "s":
        return str(when.second).zfill(count)
    if letter == "S":
        return str(when.microsecond // 1000).zfill(count)
    if letter == "z":
        return "Coordinated Universal Time" if count >= 4 else "UTC"
    if letter == "Z":
        return "+0000"
    return "Z"  # X: ISO 8601 zone, UTC


def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a java.util.regex pattern: Java's ``(?<name>...)`` named groups become Python's ``(?P<name>...)``
    and ``\\Q...\\E`` quoting becomes escaped text."""
    quoted = re.sub(r"\\Q(.*?)(?:\\E|$)", lambda m: re.escape(m.group(1)), pattern, flags=re.DOTALL)
    return re.compile(re.sub(r"(?<!\\)\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", quoted))


def replacement_function(replacement: str, pattern: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    """Matcher.replaceFirst's replacement syntax: ``$n`` (the longest group number that exists), ``${name}``,
    ``\\x`` for a literal x. Errors are raised here, at configuration time, with Java's messages."""
    pieces: list[str | int] = []
    literal: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        c = replacement[i]
        if c == "\\":
            i += 1
            if i >= n:
                raise ValueError("character to be escaped is missing")
            literal.append(replacement[i])
            i += 1
        elif c == "$":
            i += 1
            if i >= n:
                raise ValueError("Illegal group reference: group index is missing")
            if literal:
                pieces.append("".join(literal))
                literal = []
            if replacement[i] == "{":
                end = replacement.find("}", i)
                name = replacement[i + 1 : end] if end > 0 else ""
                if end < 0 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
                    raise ValueError("named capturing group is missing trailing '}'" if end < 0 else "Illegal group reference")
                if name not in pattern.groupindex:
                    raise ValueError(f"No group with name {{{name}}}")
                pieces.append(pattern.groupindex[name])
                i = end + 1
            else:
                if not replacement[i].isdigit():
                    raise ValueError("Illegal group reference")
                number = int(replacement[i])
                if number > pattern.groups:
                    raise ValueError(f"No group {number}")
                i += 1
                while i < n and replacement[i].isdigit() and number * 10 + int(replacement[i]) <= pattern.groups:
                    number = number * 10 + int(replacement[i])
                    i += 1
                pieces.append(number)
        else:
            literal.append(c)
            i += 1
    if literal:
        pieces.append("".join(literal))

    def expand(match: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in pieces)

    return expand


# -- numbers ---------------------------------------------------------------------------------------------------

_INT_BITS = {"INT8": 8, "INT16": 16, "INT32": 32, "INT64": 64}


def narrow_int(value: int, bits: int) -> int:
    """Two's complement truncation to ``bits``, as Java's (byte)/(short)/(int)/(long) casts of an integer."""
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


def to_integral(value: int | float | Decimal, bits: int) -> int:
    """Number.byteValue()/shortValue()/intValue()/longValue() of a Java number: floating values go through
    Java's saturating double->int (or ->long) conversion first, decimals are truncated toward zero."""
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        wide = 64 if bits == 64 else 32
        low, high = -(1 << (wide - 1)), (1 << (wide - 1)) - 1
        if math.isinf(value):
            truncated = high if value > 0 else low
        else:
            truncated = max(low, min(high, int(value)))
        return narrow_int(truncated, bits)
    if isinstance(value, Decimal):
        # BigDecimal.byteValue()/shortValue() are (byte)/(short) of intValue(), itself the low 32 bits
        return narrow_int(narrow_int(int(value), 64 if bits == 64 else 32), bits)
    return narrow_int(int(value), bits)


_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_JAVA_FLOAT = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|(0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?\d+))[fFdD]?")


def parse_int(text: str, bits: int) -> int:
    """Byte/Short/Integer/Long.parse*: decimal digits with an optional sign, in range, or ValueError."""
    if not _JAVA_INT.fullmatch(text):
        raise ValueError(f'For input string: "{text}"')
    value = int(text)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f'Value out of range. Value:"{text}" Radix:10')
    return value


def parse_double(text: str) -> float:
    """Double.parseDouble: surrounding whitespace is ignored, a trailing f/F/d/D suffix is allowed."""
    stripped = text.strip(" \t\n\r\x0b\x0c\x00")
    if not _JAVA_FLOAT.fullmatch(stripped):
        raise ValueError(f'For input string: "{text}"')
    if stripped[-1] in "fFdD" and "Infinity" not in stripped and "x" not in stripped.lower():
        stripped = stripped[:-1]
    if "x" in stripped.lower():
        return float.fromhex(stripped.rstrip("fFdD"))
    return float(stripped.replace("Infinity", "inf"))


def parse_boolean(text: str) -> bool:
    """Boolean.parseBoolean: "true" in any case is true, everything else false."""
    return text.lower() == "true"
