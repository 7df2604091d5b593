"""Small statistics for evaluation results: Wilson intervals and value wording."""

from __future__ import annotations

import math

from brief.load.model import Evaluation

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval (low, high) for a proportion, as proportions 0..1."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pct(share: float) -> str:
    """Return a proportion as a percentage with no spurious precision (0.84 -> '84%', 0.551 -> '55.1%')."""
    value = share * 100
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def value_text(ev: Evaluation) -> str:
    """Return the value as the source states it: '84%', '7/100', '2.53×', or the source's words."""
    if ev.value is None:
        return ev.value_text or ""
    if ev.unit == "percent":
        return pct(ev.value / 100)
    if ev.unit == "proportion":
        return pct(ev.value)
    if ev.unit == "count":
        count = f"{ev.value:g}"
        return f"{count}/{ev.n}" if ev.n else count
    if ev.unit == "ratio":
        return f"{ev.value:g}×"
    return f"{ev.value:g}"


def n_text(ev: Evaluation) -> str:
    """Return n as the brief prints it ('100', or 'n not disclosed')."""
    if ev.n is not None:
        return f"{ev.n:,}"
    return "n not disclosed" if not ev.n_note or "disclos" in ev.n_note or "not stated" in ev.n_note else ev.n_note


def interval_text(ev: Evaluation) -> str:
    """Return the interval: the source's own where given, else Wilson 95% where n is known, else ''."""
    if ev.interval_low is not None and ev.interval_high is not None:
        if ev.unit in ("percent", "proportion"):
            scale = 1 if ev.unit == "proportion" else 100
            return f"{pct(ev.interval_low / scale)} to {pct(ev.interval_high / scale)} (as reported)"
        return f"{ev.interval_low:g} to {ev.interval_high:g} (as reported)"
    share = ev.share
    if share is not None and ev.n:
        low, high = wilson(share * ev.n, ev.n)
        return f"{pct(low)} to {pct(high)}"
    return ""


def wilson_bounds(ev: Evaluation) -> tuple[float, float] | None:
    """Return the Wilson 95% bounds as proportions where n and a proportion are known."""
    share = ev.share
    if share is None or not ev.n:
        return None
    return wilson(share * ev.n, ev.n)
