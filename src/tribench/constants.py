"""Every closed set and magic string of tribench, in one place.

The values are what lands on disk (records, exports, reports): renaming one is a schema change.
"""

from __future__ import annotations

from enum import StrEnum

# History of the canonical record format (bump on any change to what is written):
#   1: first tribench record (instance + result + per-arm trials + comparisons + flags).
SCHEMA_VERSION = 1

# The flat export's column layout: the seed's schema v3 (75 columns) plus `data_source`
# (the seed called that v5 in its METRIC_ANALYSIS.md; the columns are the same).
EXPORT_SCHEMA_VERSION = "v5"

RESULT_FILENAME = "benchmark_result.json"
DEFAULT_RESULTS_DIR = "results"
DEFAULT_EXPORTS_DIRNAME = "exports"

# Tolerance of the verdict rule, in percent (DESIGN.md, "Statistics and verdicts").
DEFAULT_TOLERANCE_PCT = 5.0
# A change larger than this (in percent, either way) is flagged as implausible.
IMPLAUSIBLE_CHANGE_PCT = 300.0
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE_LEVEL = 0.95


class Arm(StrEnum):
    BASELINE = "baseline"
    HUMAN = "human"
    AGENT = "agent"


ARMS: tuple[Arm, ...] = (Arm.BASELINE, Arm.HUMAN, Arm.AGENT)


class Status(StrEnum):
    """Outcome of one arm (DESIGN.md, "Outcomes and who owns a failure")."""

    OK = "ok"
    SETUP_FAILED = "setup_failed"
    TIMEOUT = "timeout"
    SERVER_FAILED = "server_failed"
    NO_METRICS = "no_metrics"
    CRASH = "crash"
    INCORRECT = "incorrect"
    PATCH_FAILED = "patch_failed"
    NEEDS_BUILD = "needs_build"
    # The arm was never measured (no file, no patch): absence, not failure.
    MISSING = "missing"


class Owner(StrEnum):
    """Who is charged with a failed arm."""

    NONE = "none"
    INFRA = "infra"
    TASK = "task"
    AGENT = "agent"


class Mode(StrEnum):
    SERVING = "serving"
    STANDALONE = "standalone"
    COMMAND = "command"


class Direction(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


class Verdict(StrEnum):
    """Agent vs human on the primary metric, from the confidence interval."""

    BEATS = "beats"
    MATCHES = "matches"
    LOSES = "loses"
    INCONCLUSIVE = "inconclusive"


class PointVerdict(StrEnum):
    """The seed's point-estimate verdict, reported beside `Verdict` for comparability."""

    WIN = "win"
    MATCH = "match"
    LOSS = "loss"


class VerdictMethod(StrEnum):
    BOOTSTRAP = "bootstrap_ci"
    # n=1 per arm: the interval is degenerate, the verdict is the point estimate's.
    POINT_ESTIMATE = "point_estimate"


class Flag(StrEnum):
    """Data-quality findings attached to a task record."""

    MODEL_MISMATCH = "model_mismatch"
    MODE_MISMATCH = "mode_mismatch"
    COMMAND_MISMATCH = "command_mismatch"
    MISSING_ARM = "missing_arm"
    IMPLAUSIBLE_VALUE = "implausible_value"
    DUPLICATE_TASK = "duplicate_task"
    SINGLE_TRIAL = "single_trial"
    UNKNOWN_METRIC = "unknown_metric"
    IMPROVEMENT_MISMATCH = "improvement_mismatch"
    # The campaign's tasks (or one task's arms) were measured on different GPU models: each
    # task's own comparison is fair, but verdicts across tasks mix machines.
    MIXED_GPU_MODELS = "mixed_gpu_models"
    # Legacy data: the compared arms come from different pipelines (e.g. a Docker human run
    # against a separate-pipeline agent run), i.e. measured apart, hours or days from each other.
    ARMS_MEASURED_APART = "arms_measured_apart"


class ExecutorName(StrEnum):
    """Where `tribench run` measures the task units (`--executor`); recorded as `BenchmarkRecord.executor`."""

    LOCAL = "local"
    RAY = "ray"
    MODAL = "modal"
