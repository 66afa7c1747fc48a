"""Summaries of repeated samples: min, median, max, and the pghalo/Patroni ratio of the medians.

Pure functions over plain numbers, unit-tested in bench/test_benchkit.py.
"""

from __future__ import annotations

import dataclasses
import statistics


@dataclasses.dataclass(frozen=True)
class Summary:
    n: int
    min: float
    median: float
    max: float
    failures: int = 0  # samples that could not be measured (timeouts, errors)

    def cell(self, fmt: str) -> str:
        """`min / **median** / max (n=N)` in the given number format, with the failure count:
        the sample count is always shown, since runs may have fewer repetitions than planned."""
        if self.n == 0:
            text = "-"
        elif self.n == 1:
            text = format(self.median, fmt)
        else:
            text = (f"{format(self.min, fmt)} / **{format(self.median, fmt)}** / "
                    f"{format(self.max, fmt)}")
        text += f" (n={self.n}" + (f", {self.failures} failed)" if self.failures else ")")
        return text


def summarize(values, failures: int = 0) -> Summary:
    values = sorted(v for v in values if v is not None)
    if not values:
        return Summary(0, float("nan"), float("nan"), float("nan"), failures)
    return Summary(len(values), values[0], statistics.median(values), values[-1], failures)


def ratio(numerator: Summary, denominator: Summary) -> float | None:
    """numerator.median / denominator.median, None when either is missing or the divisor is 0."""
    if numerator.n == 0 or denominator.n == 0 or denominator.median == 0:
        return None
    return numerator.median / denominator.median


def ratio_cell(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0x"
    if value >= 100:
        return f"{value:.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x" if value >= 0.01 else f"{value:.4f}x"
