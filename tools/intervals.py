"""The one interval the result tools report, a mean over seeds with its Student-t interval, and
the one way they print a number.

scipy is imported where the interval is computed, so a tool that imports this module for other
reasons (paper_runs.py's pairing check, under a Python without scipy) does not need it.
"""
import math


def num(v, sign=False):
    """Two decimals, never "-0.00" (a difference that rounds to zero has no sign)."""
    text = f"{v:+.2f}" if sign else f"{v:.2f}"
    return text.replace("-0.00", "0.00").replace("+0.00", "0.00")


def t_interval(values, confidence):
    """(mean, lo, hi): the mean of VALUES (one per seed) and its two-sided Student-t interval at
    CONFIDENCE (e.g. 0.9). Needs at least 2 values."""
    from scipy import stats

    n = len(values)
    if n < 2:
        raise ValueError("an interval over seeds needs at least 2 seeds")
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half
