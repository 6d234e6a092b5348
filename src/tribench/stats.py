"""Pure statistics: improvements, bootstrap intervals, rank tests and verdicts.

References:
- Improvement: the seed's formula (seed/RESULTS_README.md), positive = better.
- Bootstrap: Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), percentile interval
  of the improvement of medians, resampling each arm independently.
- Rank test: Mann & Whitney (1947), two-sided, via `scipy.stats.mannwhitneyu`.
- Verdict rule: DESIGN.md, "Statistics and verdicts".
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence

import numpy as np

from tribench.constants import (
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE_LEVEL,
    Direction,
    PointVerdict,
    Verdict,
)


def improvement(reference: float, candidate: float, direction: Direction) -> tuple[float | None, str | None]:
    """Percent improvement of `candidate` over `reference`; (None, reason) when undefined.

    lower-is-better: (b - o) / b * 100; higher-is-better: (o - b) / b * 100.
    A zero improvement is a value; a zero reference has no defined ratio.
    """
    if reference == 0:
        return None, "reference value is 0: relative change undefined"
    if direction == Direction.LOWER:
        return (reference - candidate) / reference * 100.0, None
    return (candidate - reference) / reference * 100.0, None


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _seed(*parts: object) -> int:
    # Deterministic per comparison, so reports regenerate byte for byte.
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def bootstrap_ci(
    reference: Sequence[float],
    candidate: Sequence[float],
    direction: Direction,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = CONFIDENCE_LEVEL,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the improvement of medians; None when undefined.

    Needs at least two samples per arm; resamples whose reference median is 0 are dropped.
    """
    if len(reference) < 2 or len(candidate) < 2:
        return None
    rng = np.random.default_rng(_seed(tuple(reference), tuple(candidate), direction.value))
    ref = np.asarray(reference, dtype=float)
    cand = np.asarray(candidate, dtype=float)
    ref_medians = np.median(rng.choice(ref, size=(resamples, ref.size), replace=True), axis=1)
    cand_medians = np.median(rng.choice(cand, size=(resamples, cand.size), replace=True), axis=1)
    keep = ref_medians != 0
    if not keep.any():
        return None
    ref_medians, cand_medians = ref_medians[keep], cand_medians[keep]
    if direction == Direction.LOWER:
        changes = (ref_medians - cand_medians) / ref_medians * 100.0
    else:
        changes = (cand_medians - ref_medians) / ref_medians * 100.0
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(changes, [alpha, 1.0 - alpha])
    return float(low), float(high)


def mann_whitney_p(reference: Sequence[float], candidate: Sequence[float]) -> float | None:
    """Two-sided Mann-Whitney U p-value; None when it cannot be computed (n < 2 in an arm).

    An error inside the test is not "significant" (STYLE.md, rule 24): it propagates.
    """
    if len(reference) < 2 or len(candidate) < 2:
        return None
    if len(set(reference) | set(candidate)) == 1:
        return 1.0  # all values tied: no evidence of a difference
    from scipy.stats import mannwhitneyu  # scipy is slow to import; only load when needed

    return float(mannwhitneyu(reference, candidate, alternative="two-sided").pvalue)


def verdict_from_ci(ci_low: float, ci_high: float, tolerance_pct: float) -> Verdict:
    """beats: CI above +t; loses: CI below -t; matches: CI inside [-t, +t]; else inconclusive."""
    if ci_low > tolerance_pct:
        return Verdict.BEATS
    if ci_high < -tolerance_pct:
        return Verdict.LOSES
    if ci_low >= -tolerance_pct and ci_high <= tolerance_pct:
        return Verdict.MATCHES
    return Verdict.INCONCLUSIVE


def point_verdict(change_pct: float, tolerance_pct: float) -> PointVerdict:
    """The seed's rule: win above +t, loss below -t, match within ±t."""
    if change_pct > tolerance_pct:
        return PointVerdict.WIN
    if change_pct < -tolerance_pct:
        return PointVerdict.LOSS
    return PointVerdict.MATCH


def verdict_from_point(change_pct: float, tolerance_pct: float) -> Verdict:
    """The verdict when each arm has a single trial: the point estimate stands in for the CI."""
    return {
        PointVerdict.WIN: Verdict.BEATS,
        PointVerdict.LOSS: Verdict.LOSES,
        PointVerdict.MATCH: Verdict.MATCHES,
    }[point_verdict(change_pct, tolerance_pct)]
