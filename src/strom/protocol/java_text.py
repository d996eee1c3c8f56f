"""Numbers as Java prints them, where Kafka stores or shows Java's text (quota values, kafka-configs lines)."""

from __future__ import annotations

import math
from decimal import Decimal


def java_double(value: float) -> str:
    """Java's Double.toString: plain from 1e-3 up to 1e7 ("1048576.0"), scientific beyond ("1.048576E7")."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(float(value))
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent + len(text) - 1}"
