"""Java's text forms of numbers, where users and other programs see them (Jackson's JSON, header values).

Java prints Float/Double.toString: the fewest digits that read back as the same value (at least two in
scientific form, which can differ from Python's repr in the last digit for subnormals), plain between 10^-3 and
10^7, else `d.dddE<n>`."""

from __future__ import annotations

import decimal
import math
import struct

__all__ = ["java_double_to_string", "java_float_to_string", "to_float32"]


def _java_fp(digits: str, exp10: int, negative: bool) -> str:
    """Java's Double/Float.toString layout of the shortest digits d1.d2...dn x 10^exp10."""
    sign = "-" if negative else ""
    if -3 <= exp10 < 7:
        if exp10 >= 0:
            int_part = digits[: exp10 + 1].ljust(exp10 + 1, "0")
            frac = digits[exp10 + 1 :] or "0"
        else:
            int_part = "0"
            frac = "0" * (-exp10 - 1) + digits
        return f"{sign}{int_part}.{frac}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp10}"


def _shortest(text: str) -> tuple[str, int]:
    """Digits (no trailing zeros) and decimal exponent of a repr like '1.5e-07' or '1234.5'."""
    d = decimal.Decimal(text)
    _, digit_tuple, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exp10 = len(digit_tuple) - 1 + exponent
    return digits, exp10


def java_double_to_string(value: float) -> str:
    """Java's Double.toString (shortest round-trip digits, as Python's repr, in Java's layout)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    digits, exp10 = _shortest(repr(abs(value)))
    if len(digits) == 1:  # Java prints at least two digits: the two-digit decimal nearest the exact value
        two = f"{decimal.Decimal(abs(value)):.1e}"
        if float(two) == abs(value):
            digits, exp10 = _shortest(two)
    return _java_fp(digits, exp10, value < 0)


def to_float32(value: float) -> float:
    """The nearest float32, as Java's (float) cast."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def java_float_to_string(value: float) -> str:
    """Java's Float.toString of value rounded to float32 (shortest digits that read back as the same float32)."""
    f = to_float32(value)
    if math.isnan(f) or math.isinf(f) or f == 0:
        return java_double_to_string(f)
    for precision in range(0, 9):
        text = f"{abs(f):.{precision}e}"
        if to_float32(float(text)) == abs(f):
            break
    digits, exp10 = _shortest(text)
    if len(digits) == 1:
        two = f"{decimal.Decimal(abs(f)):.1e}"
        if to_float32(float(two)) == abs(f):
            digits, exp10 = _shortest(two)
    return _java_fp(digits, exp10, f < 0)
