"""The export's own improvement numbers must agree with tribench's, or be listed with a reason.

The story: the seed's CSV carries both raw per-arm metrics and its own improvement columns.
If tribench recomputed improvements differently (sign, direction, arm) nobody would notice
unless the two are checked against each other — and where the seed's numbers were computed
from inputs that are not in the row, a silent "agreement" would be a lie. The invariant kept
here: for every CSV row and metric where both exist, |ours - theirs| <= 0.01 percentage
points, or the row is in the disagreement list with a non-empty reason. The known real
disagreements are pinned with their explanation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tribench.constants import Flag
from tribench.ingest import AUDIT_TOLERANCE_PP, ingest_paths
from tribench.model import COMPARISONS
from tribench.store import read_record

EXPORT = "omniperf_results_3way_claude_code/hf_export"


@pytest.fixture(scope="module")
def ingested(isobench_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    report = ingest_paths([isobench_dir], tmp_path_factory.mktemp("results"))
    return report, {read_record(p).instance.commit_short: read_record(p) for p in report.records}


def _claimed_cells(isobench_dir: Path) -> dict[tuple[str, str], float]:
    """Every non-empty improvement cell of both exports, read with the stdlib only."""
    cells = {}
    for name in ("updated_rows.csv", "updated_rows_only.csv"):
        path = isobench_dir / EXPORT / name
        with open(path, newline="", encoding="utf-8") as handle:
            for index, row in enumerate(csv.DictReader(handle), start=1):
                for column, value in row.items():
                    if value and any(column.startswith(f"{c}_") for c in COMPARISONS):
                        cells[(f"{path}:row {index}", column)] = float(value)
    return cells


def test_every_claimed_csv_improvement_agrees_or_is_listed_with_a_reason(ingested, isobench_dir: Path):
    report, _ = ingested
    audit = report.audit
    entries = [e for e in audit.agreements + audit.disagreements if ".csv:row " in e.source]
    cells = _claimed_cells(isobench_dir)
    assert len(entries) == len(cells) == 39  # nothing claimed is left unaudited
    assert sorted(e.theirs for e in entries) == sorted(cells.values())
    for entry in audit.agreements:
        assert entry.ours is not None and abs(entry.ours - entry.theirs) <= AUDIT_TOLERANCE_PP, entry
    for entry in audit.disagreements:
        assert entry.reason, entry
        assert entry.ours is None or abs(entry.ours - entry.theirs) > AUDIT_TOLERANCE_PP, entry


def test_the_real_tree_has_29_agreements_and_12_explained_disagreements(ingested):
    report, _ = ingested
    assert (len(report.audit.agreements), len(report.audit.disagreements)) == (29, 12)


def test_e206b543_throughput_claim_was_computed_on_the_docker_human_run(ingested):
    report, _ = ingested
    (entry, *_) = [e for e in report.audit.disagreements
                   if e.commit.startswith("e206b543") and e.source.endswith("updated_rows.csv:row 6")]
    assert entry.metric == "output_throughput" and entry.ours == pytest.approx(-0.3575, abs=1e-4)
    assert entry.theirs == pytest.approx(1.4521, abs=1e-4)
    assert "another run" in entry.reason and "3161.47" in entry.reason
    assert "results/e206b543_human_result.json" in entry.reason


def test_99abb8b6_agent_claims_use_an_agent_value_missing_from_the_row(ingested):
    report, _ = ingested
    entries = [e for e in report.audit.disagreements if e.commit.startswith("99abb8b6")]
    assert len(entries) == 8  # 4 claims x 2 export files
    for entry in entries:
        assert entry.ours is None and entry.comparison in {"agent_improvement", "agent_vs_human"}
        assert entry.reason.startswith(f"input missing: agent {entry.metric} is empty in this source")
        assert "reruns/4_fixable/99abb8b6_result.json" in entry.reason


def test_9badee53_throughput_claim_is_not_reproducible_and_says_why(ingested):
    report, _ = ingested
    entries = [e for e in report.audit.disagreements if e.commit.startswith("9badee53")]
    assert len(entries) == 2
    for entry in entries:
        assert entry.ours == pytest.approx(-67.6606, abs=1e-4) and entry.theirs == pytest.approx(-11.4944, abs=1e-4)
        assert entry.reason.startswith("not reproducible")
        assert "baseline output ends in an error (FileNotFoundError" in entry.reason


def test_rerun_analysis_block_rounded_to_two_decimals_agrees(ingested):
    report, _ = ingested
    rerun = [e for e in report.audit.agreements if e.source.endswith("99abb8b6_result.json")]
    assert {(e.comparison, e.theirs) for e in rerun} == {("human_improvement", -0.27), ("agent_improvement", -0.58)}
    assert all(abs(e.ours - e.theirs) < 0.005 for e in rerun)


def test_records_whose_sources_disagree_carry_an_improvement_mismatch_flag(ingested):
    report, records = ingested
    flagged = {c for c, r in records.items() if r.result.has_flag(Flag.IMPROVEMENT_MISMATCH)}
    assert flagged == {"e206b543", "9badee53", "99abb8b6"}
    detail = next(f.detail for f in records["e206b543"].result.flags if f.flag == Flag.IMPROVEMENT_MISMATCH)
    assert "human_improvement.output_throughput" in detail and "3161.47" in detail
    # The claims themselves are kept on the record, for the next reader to audit.
    assert records["9badee53"].result.reported_improvements["human_improvement.output_throughput"] == pytest.approx(-11.4944, abs=1e-4)


def _rewrite_csv(source: Path, target: Path, commit_short: str, changes: dict[str, str]) -> None:
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["commit_short"] == commit_short:
            row.update(changes)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_a_claim_with_the_opposite_sign_convention_is_named_as_such(isobench_dir: Path, tmp_path: Path):
    target = tmp_path / "flipped.csv"
    _rewrite_csv(isobench_dir / EXPORT / "updated_rows.csv", target, "9badee53",
                 {"human_improvement_tpot_mean": "-57.001647446457994"})
    report = ingest_paths([target], tmp_path / "results")
    (entry,) = [e for e in report.audit.disagreements if e.metric == "tpot_mean"]
    assert entry.reason == "the source's sign convention is inverted (its positive means worse)"


def test_a_claim_computed_before_its_inputs_were_rounded_is_named_as_such(isobench_dir: Path, tmp_path: Path):
    target = tmp_path / "rounded.csv"
    _rewrite_csv(isobench_dir / EXPORT / "updated_rows.csv", target, "9badee53",
                 {"baseline_tpot_mean": "18.2", "human_tpot_mean": "7.8"})  # claim stays 57.0016 (18.21 -> 7.83)
    report = ingest_paths([target], tmp_path / "results")
    (entry,) = [e for e in report.audit.disagreements if e.metric == "tpot_mean"]
    assert entry.ours == pytest.approx(57.1429, abs=1e-4)
    assert entry.reason.startswith("value recomputed from rounded inputs (18.2, 7.8)")


def test_a_claim_between_arms_tribench_refuses_to_compare_says_not_compared(isobench_dir: Path, tmp_path: Path):
    import json

    rerun = isobench_dir / "omniperf_results_3way_claude_code/reruns/4_fixable/99abb8b6_result.json"
    data = json.loads(rerun.read_text())
    data["test_command"] += " --use-v2-block-manager"  # asymmetric: baseline ran another command
    target = tmp_path / "99abb8b6_result.json"
    target.write_text(json.dumps(data))
    report = ingest_paths([target], tmp_path / "results")
    reasons = {e.comparison: e.reason for e in report.audit.disagreements}
    assert reasons["human_improvement"] == (
        "not compared: baseline and human ran different commands; "
        "the source compared them anyway (baseline 2174.04 -> human 2179.97 gives -0.2729%)")
    assert reasons["agent_improvement"].startswith("not compared: baseline and agent ran different commands")
