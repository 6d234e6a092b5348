"""Figures of the report (matplotlib, Agg backend, byte-reproducible PNGs)."""

from __future__ import annotations

from pathlib import Path

from tribench.analyze import Summary

AGENT_VS_HUMAN_FIGURE = "agent_vs_human_improvement.png"


def agent_vs_human_figure(summary: Summary, out_dir: Path) -> Path | None:
    """Human and agent improvement over baseline per task on the primary metric; None if no data."""
    rows = [r for r in summary.rows if r.agent_vs_human is not None or r.human_improvement is not None]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    several = len(summary.leaderboard) > 1
    labels = [f"{r.commit_short}\n{r.agent.split(' ')[0]}" if several else r.commit_short for r in rows]

    def values(name: str) -> list[float]:
        return [getattr(r, name) if getattr(r, name) is not None else np.nan for r in rows]

    x = np.arange(len(rows))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(6.0, 0.7 * len(rows) + 2), 7.0), dpi=100, sharex=True)
    top.bar(x - 0.2, values("human_improvement"), width=0.4, label="human vs baseline", color="#4c72b0")
    top.bar(x + 0.2, values("agent_improvement"), width=0.4, label="agent vs baseline", color="#dd8452")
    top.axhline(0, color="black", linewidth=0.8)
    top.set_ylabel("improvement (%)")
    top.set_title("Improvement over baseline on the primary metric (positive = better)")
    top.legend(fontsize=8)
    vs = values("agent_vs_human")
    low = [v - r.ci_low if r.ci_low is not None else 0.0 for v, r in zip(vs, rows)]
    high = [r.ci_high - v if r.ci_high is not None else 0.0 for v, r in zip(vs, rows)]
    bottom.bar(x, vs, width=0.5, color="#55a868", yerr=[low, high], capsize=3, label="agent vs human (95% CI)")
    tolerance = summary.tolerance_pct
    bottom.axhspan(-tolerance, tolerance, color="grey", alpha=0.2, label=f"match band (±{tolerance:g}%)")
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylabel("agent vs human (%)")
    bottom.set_title("Agent vs human per task")
    bottom.legend(fontsize=8)
    bottom.set_xticks(x, labels, rotation=60 if len(rows) > 8 else 0, fontsize=8)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / AGENT_VS_HUMAN_FIGURE
    # No Software/date metadata: the same records give the same bytes.
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path
