"""Audit the legacy sources' own improvement numbers against tribench's recomputation.

For every claim a source makes (a CSV row's `human_improvement_*`, `agent_improvement_*`,
`agent_vs_human_*` columns; a rerun file's `analysis` block), tribench recomputes the
improvement from *that source's own* arm values through `compare.build_result` (so the
protocol applies: arms measured under different conditions are not compared). A claim agrees
when |ours - theirs| <= 0.01 percentage points; every other claim is a disagreement with a
reason, found by trying, in order:

1. ours is None: why (an input missing in the source, "not compared: <flag detail>", b = 0);
2. the source's sign convention is inverted (ours = -theirs);
3. the inputs are printed rounded and the claim was computed before rounding;
4. the source rounded its claim, or (agent_vs_human) subtracted the two improvements;
5. the claim was computed on another run: some value of the same arms (or other arms) found
   in another ingested file of the same task reproduces it (named, with its file);
6. otherwise: not reproducible from any ingested file, with the numbers.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tribench import stats
from tribench.compare import build_result
from tribench.constants import ARMS, Arm, Direction, Flag
from tribench.ingest.source import LegacySource
from tribench.metrics import direction_of
from tribench.model import COMPARISONS, Instance, Result

# The "Must show" of the legacy-ingest issue: agreement to 0.01 percentage points.
AUDIT_TOLERANCE_PP = 0.01
_CONDITION_FLAGS = (Flag.MODEL_MISMATCH, Flag.COMMAND_MISMATCH, Flag.MODE_MISMATCH)


@dataclass(frozen=True)
class AuditEntry:
    commit: str
    source: str  # file, plus ":row N" for CSV rows
    comparison: str  # human_improvement, agent_improvement, agent_vs_human
    metric: str  # canonical metric name
    ours: float | None
    theirs: float
    reason: str | None = None  # set on disagreements

    def describe(self) -> str:
        ours = "none" if self.ours is None else f"{self.ours:+.4f}"
        return f"{self.comparison}.{self.metric}: ours {ours}, theirs {self.theirs:+.4f} ({self.reason})"


@dataclass
class ImprovementAudit:
    agreements: list[AuditEntry] = field(default_factory=list)
    disagreements: list[AuditEntry] = field(default_factory=list)
    tolerance: float = AUDIT_TOLERANCE_PP

    def disagreements_of(self, source_path: str) -> list[AuditEntry]:
        return [d for d in self.disagreements if d.source == source_path]


# (arm, value, file) of one metric, from every ingested source of one task.
_Values = list[tuple[Arm, float, str]]


def audit_improvements(
    sources: Iterable[LegacySource],
    *,
    context: Iterable[LegacySource] | None = None,
    tolerance: float = AUDIT_TOLERANCE_PP,
) -> ImprovementAudit:
    """Agreements and disagreements of every claimed improvement in `sources`.

    `context` (default: `sources`) holds the other files of the same tasks, used only to
    explain a disagreement (rule 5); commits are matched on `LegacySource.best_commit`.
    """
    sources = list(sources)
    by_commit: dict[str, list[LegacySource]] = defaultdict(list)
    for source in sources if context is None else context:
        by_commit[source.best_commit].append(source)
    audit = ImprovementAudit(tolerance=tolerance)
    for source in sources:
        if not source.reported:
            continue
        result = build_result(Instance(commit_hash=source.best_commit),
                              {a: r.model_copy(deep=True) for a, r in source.arms.items()})
        for key in sorted(source.reported):
            comparison, metric = key.split(".", 1)
            entry = _entry(source, result, comparison, metric, by_commit[source.best_commit], tolerance)
            (audit.agreements if entry.reason is None else audit.disagreements).append(entry)
    return audit


def _entry(source: LegacySource, result: Result, comparison: str, metric: str,
           context: list[LegacySource], tolerance: float) -> AuditEntry:
    theirs = source.reported[f"{comparison}.{metric}"]
    found = result.comparisons.get(comparison, {}).get(metric)
    ours = found.improvement if found else None
    reason = None
    if ours is None or abs(ours - theirs) > tolerance:
        values = _values(metric, source, context)
        reason = _explain(source, result, comparison, metric, ours, theirs, values, tolerance)
    return AuditEntry(source.best_commit, source.path, comparison, metric, ours, theirs, reason)


def _values(metric: str, own: LegacySource, context: list[LegacySource]) -> _Values:
    """The source's own values first (an explanation keeps as many of them as it can)."""
    ordered = [own] + sorted((s for s in context if s.path != own.path), key=lambda s: (s.kind, s.path))
    return [(arm, result.metrics[metric], source.path)
            for source in ordered for arm, result in source.arms.items() if result.ok and metric in result.metrics]


def _explain(source: LegacySource, result: Result, comparison: str, metric: str, ours: float | None,
             theirs: float, values: _Values, tolerance: float) -> str:
    ref_arm, cand_arm = COMPARISONS[comparison]
    direction = direction_of(metric)
    parts = []
    if ours is None:
        parts.append(_why_none(source, result, comparison, metric))
    else:
        own = (source.arms[ref_arm].metrics[metric], source.arms[cand_arm].metrics[metric])
        simple = _simple_cause(own, ours, theirs, direction, tolerance) or _difference_of_improvements(
            result, comparison, metric, theirs, tolerance)
        if simple:
            return simple
    other = _other_run(source.path, comparison, metric, theirs, values, direction, tolerance, own_pair=ours is None)
    if other:
        parts.append(other)
    elif ours is not None:
        b, o = source.arms[ref_arm].metrics[metric], source.arms[cand_arm].metrics[metric]
        parts.append(f"not reproducible: this source's {ref_arm.value} {b:g} -> {cand_arm.value} {o:g} "
                     f"gives {ours:+.4f}%, and no value of these arms in the ingested files gives {theirs:+.4f}%")
        parts += [note for arm in (ref_arm, cand_arm) if (note := _failed_output(source, arm))]
    else:
        parts.append("no value in the ingested files reproduces the claim")
    return "; ".join(parts)


_ERROR_LINE = re.compile(r"Error\b|\berror:|Traceback", re.I)


def _failed_output(source: LegacySource, arm: Arm) -> str | None:
    """The source keeps an output for the arm that ends in an error: its numbers are not from it."""
    lines = [line.strip() for line in (source.arms[arm].raw_output or "").splitlines() if line.strip()]
    if lines and _ERROR_LINE.search(lines[-1]):
        return f"this source's {arm.value} output ends in an error ({lines[-1][:120]}), so its numbers come from elsewhere"
    return None


def _why_none(source: LegacySource, result: Result, comparison: str, metric: str) -> str:
    ref_arm, cand_arm = COMPARISONS[comparison]
    for arm in (ref_arm, cand_arm):
        found = source.arms.get(arm)
        if found is None or not found.ok:
            return f"input missing: this source has no measured {arm.value} arm"
        if metric not in found.metrics:
            return f"input missing: {arm.value} {metric} is empty in this source"
    compared = result.comparisons.get(comparison, {})
    if metric in compared and compared[metric].reason:
        return compared[metric].reason
    details = [f.detail for f in result.flags
               if f.flag in _CONDITION_FLAGS and ref_arm.value in f.detail and cand_arm.value in f.detail]
    return "not compared: " + "; ".join(details) if details else "not compared by tribench"


def _decimals(value: float) -> int:
    text = repr(float(value))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1])


def _simple_cause(own: tuple[float, float], ours: float, theirs: float, direction: Direction | None,
                  tolerance: float) -> str | None:
    """Rules 2-4: sign convention, rounded inputs, rounded claim."""
    if abs(ours + theirs) <= tolerance:
        return "the source's sign convention is inverted (its positive means worse)"
    b, o = own
    hb, ho = 0.5 * 10 ** -_decimals(b), 0.5 * 10 ** -_decimals(o)
    corners = [stats.improvement(rb, ro, direction)[0] for rb in (b - hb, b + hb) for ro in (o - ho, o + ho)]
    corners = [c for c in corners if c is not None]
    if corners and min(corners) - tolerance <= theirs <= max(corners) + tolerance:
        return (f"value recomputed from rounded inputs ({b:g}, {o:g}): the claim was computed before "
                "rounding and lies within their rounding interval")
    places = _decimals(theirs)
    if places < 4 and round(ours, places) == round(theirs, places):
        return f"the source rounded its claim to {places} decimal(s)"
    return None


def _difference_of_improvements(result: Result, comparison: str, metric: str, theirs: float,
                                tolerance: float) -> str | None:
    """The seed README's example gives agent_vs_human = agent_improvement - human_improvement."""
    if comparison != "agent_vs_human":
        return None
    human = result.comparisons.get("human_improvement", {}).get(metric)
    agent = result.comparisons.get("agent_improvement", {}).get(metric)
    if human is None or agent is None or human.improvement is None or agent.improvement is None:
        return None
    if abs(agent.improvement - human.improvement - theirs) <= tolerance:
        return ("the source's agent_vs_human is agent_improvement - human_improvement (a difference of "
                "percentages), not the agent's improvement over the human arm")
    return None


def _other_run(own_path: str, comparison: str, metric: str, theirs: float, values: _Values,
               direction: Direction | None, tolerance: float, own_pair: bool = False) -> str | None:
    """Rule 5: values of the same arms first, then of other arms, from any file of the task.

    `own_pair`: tribench did not compare the source's own pair (protocol), so it may explain.
    """
    ref_arm, cand_arm = COMPARISONS[comparison]
    pairs = [(ref_arm, cand_arm)] + [p for p in itertools.permutations(ARMS, 2) if p != (ref_arm, cand_arm)]
    for first, second in pairs:
        for (a, b, pb), (c, o, po) in itertools.product(values, values):
            own = pb == po == own_path and (a, c) == (ref_arm, cand_arm)
            if (a, c) != (first, second) or (own and not own_pair):
                continue  # the pair this source itself gives is "ours", already compared
            value, _ = stats.improvement(b, o, direction) if direction else (None, None)
            if value is not None and abs(value - theirs) <= tolerance and own:
                return f"the source compared them anyway ({a.value} {b:g} -> {c.value} {o:g} gives {value:+.4f}%)"
            if value is not None and abs(value - theirs) <= tolerance:
                used = " and ".join(f"{arm.value} {metric} = {v:g} from {'this source' if p == own_path else p}"
                                    for arm, v, p in ((a, b, pb), (c, o, po)))
                where = "another run" if (first, second) == (ref_arm, cand_arm) else f"{first.value} vs {second.value}"
                return f"computed on {where}: the claim matches {used}"
    return None
