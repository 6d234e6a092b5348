"""The metric registry: canonical names, units, direction, mode, and the legacy spellings.

Every number tribench stores goes through `canonical_metric` first: the legacy files of the seed
system spell one metric many ways (`ttft_mean_ms`, `mean_ttft_ms`, `ttft_mean`), and some carry
another unit (vLLM's latency JSON gives `avg_latency` in seconds). An alias therefore maps to a
canonical name *and* a scale factor into the canonical unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tribench.constants import Direction, Mode


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str
    direction: Direction | None  # None: informational (counts, durations of the client run)
    mode: Mode
    description: str

    @property
    def comparable(self) -> bool:
        return self.direction is not None


@dataclass(frozen=True)
class Alias:
    canonical: str
    scale: float = 1.0


_LATENCY_FAMILIES = {
    "ttft": "time to first token",
    "tpot": "time per output token, first token excluded",
    "itl": "inter-token latency",
    "e2el": "end-to-end request latency",
}
_LATENCY_STATS = {
    "mean": "mean",
    "median": "median",
    "std": "standard deviation",
    "p25": "25th percentile",
    "p50": "50th percentile",
    "p75": "75th percentile",
    "p90": "90th percentile",
    "p95": "95th percentile",
    "p99": "99th percentile",
    "p999": "99.9th percentile",
}


def _build_registry() -> tuple[dict[str, MetricSpec], dict[str, Alias]]:
    specs: dict[str, MetricSpec] = {}
    aliases: dict[str, Alias] = {}

    def add(spec: MetricSpec, *names: str | tuple[str, float]) -> None:
        specs[spec.name] = spec
        aliases[spec.name] = Alias(spec.name)
        for name in names:
            raw, scale = (name, 1.0) if isinstance(name, str) else name
            aliases[raw] = Alias(spec.name, scale)

    for family, family_text in _LATENCY_FAMILIES.items():
        for stat, stat_text in _LATENCY_STATS.items():
            direction = None if stat == "std" else Direction.LOWER
            add(
                MetricSpec(f"{family}_{stat}", "ms", direction, Mode.SERVING,
                           f"{stat_text.capitalize()} {family_text} over the requests of a run."),
                f"{family}_{stat}_ms", f"{stat}_{family}_ms", f"{stat}_{family}",
            )

    serving = [
        ("request_throughput", "req/s", Direction.HIGHER, "Completed requests per second.",
         ["request_throughput_req_s", "throughput_req_s", "requests_per_second"]),
        ("output_throughput", "tok/s", Direction.HIGHER, "Generated tokens per second.",
         ["output_token_throughput_tok_s", "output_token_throughput", "output_tok_s",
          "output_throughput_tok_s"]),
        ("total_throughput", "tok/s", Direction.HIGHER, "Input plus generated tokens per second.",
         ["total_token_throughput_tok_s", "total_token_throughput", "total_tok_s"]),
        ("request_goodput", "req/s", Direction.HIGHER,
         "Requests per second that met the service-level objectives.",
         ["request_goodput:", "request_goodput_req_s"]),
        ("max_output_throughput", "tok/s", Direction.HIGHER, "Peak generated tokens per second.",
         ["max_output_tokens_per_s"]),
        ("successful_requests", "count", None, "Requests that completed.", ["completed"]),
        ("benchmark_duration", "s", None, "Wall time of the client run.",
         ["benchmark_duration_s", "duration"]),
        ("total_input_tokens", "count", None, "Prompt tokens sent.", []),
        ("total_output_tokens", "count", None, "Tokens generated.",
         ["total_generated_tokens"]),
    ]
    for name, unit, direction, text, extra in serving:
        add(MetricSpec(name, unit, direction, Mode.SERVING, text), *extra)

    standalone = [
        ("latency_avg", "ms", Direction.LOWER, "Average latency of one batch (vLLM bench latency).",
         ["latency_avg_ms", "avg_latency_ms", "mean_latency_ms", ("avg_latency", 1000.0),
          ("latency_avg_s", 1000.0)]),
        ("throughput", "tok/s", Direction.HIGHER,
         "Tokens per second of an offline run (vLLM bench throughput: total tokens/s).",
         ["throughput_tok_s", "tokens_per_second", "tokens_per_sec"]),
        ("request_rate", "req/s", Direction.HIGHER, "Requests per second of an offline run.",
         ["requests_per_sec"]),
        ("input_throughput", "tok/s", Direction.HIGHER, "Prompt tokens per second.",
         ["input_throughput_tok_s"]),
        ("elapsed_time", "s", Direction.LOWER, "Wall time of an offline run.",
         ["elapsed_time_s"]),
    ]
    for name, unit, direction, text, extra in standalone:
        add(MetricSpec(name, unit, direction, Mode.STANDALONE, text), *extra)
    for pct in ("p10", "p25", "p50", "p75", "p90", "p99"):
        add(MetricSpec(f"latency_{pct}", "ms", Direction.LOWER, Mode.STANDALONE,
                       f"{pct[1:]}th percentile of batch latency (vLLM bench latency)."),
            f"latency_{pct}_ms")

    add(MetricSpec("wall_time", "s", Direction.LOWER, Mode.COMMAND,
                   "Wall time of the performance command."),
        "wall_time_s", ("wall_time_ms", 0.001))

    # Added with the output parsers (tribench.parsers): what the benchmark tools print beyond
    # the seed's metrics. Informational counts have no direction.
    parsed = [
        ("failed_requests", "count", None, Mode.SERVING,
         "Requests that failed (vLLM bench serve `Failed requests`).", ["failed"]),
        ("max_concurrent_requests", "count", None, Mode.SERVING,
         "Peak number of requests in flight (vLLM bench serve `Peak concurrent requests`).",
         ["peak_concurrent_requests"]),
        ("latency_per_token_mean", "ms", Direction.LOWER, Mode.SERVING,
         "Mean over requests of latency / (prompt + output tokens); benchmark_serving.py before "
         "v0.4 (`Average latency per token`).", []),
        ("latency_per_output_token_mean", "ms", Direction.LOWER, Mode.SERVING,
         "Mean over requests of latency / output tokens, first token included; "
         "benchmark_serving.py before v0.4 (`Average latency per output token`).", []),
        ("prefill_latency", "ms", Direction.LOWER, Mode.STANDALONE,
         "Latency of the prefill of one static batch (SGLang bench_one_batch).", ["prefill_latency_ms"]),
        ("prefill_throughput", "tok/s", Direction.HIGHER, Mode.STANDALONE,
         "Prompt tokens per second of that prefill (SGLang bench_one_batch).", ["prefill_throughput_tok_s"]),
        ("decode_latency_median", "ms", Direction.LOWER, Mode.STANDALONE,
         "Median latency of one decode step of a static batch (SGLang bench_one_batch).",
         ["median_decode_latency_ms"]),
        ("decode_throughput_median", "tok/s", Direction.HIGHER, Mode.STANDALONE,
         "Batch size / median decode-step latency (SGLang bench_one_batch).", ["median_decode_throughput"]),
        ("total_latency", "ms", Direction.LOWER, Mode.STANDALONE,
         "Latency of one static batch, prefill plus every decode step (SGLang bench_one_batch).",
         ["total_latency_ms"]),
        ("wall_time_mean", "s", Direction.LOWER, Mode.COMMAND,
         "Mean time of one benchmarked call or command (pytest-benchmark, hyperfine).", []),
        ("wall_time_min", "s", Direction.LOWER, Mode.COMMAND,
         "Fastest time of one benchmarked call or command (pytest-benchmark, hyperfine).", []),
        ("wall_time_max", "s", Direction.LOWER, Mode.COMMAND,
         "Slowest time of one benchmarked call or command (pytest-benchmark, hyperfine).", []),
        ("wall_time_std", "s", None, Mode.COMMAND,
         "Standard deviation of the times of one benchmarked call or command.", []),
    ]
    for name, unit, direction, mode, text, extra in parsed:
        add(MetricSpec(name, unit, direction, mode, text), *extra)
    return specs, aliases


METRICS, ALIASES = _build_registry()

# The serving and standalone metrics of the seed's schema, in its column order.
SEED_SERVING_METRICS: tuple[str, ...] = tuple(
    f"{family}_{stat}" for family in ("ttft", "tpot", "itl") for stat in ("mean", "median", "p99")
)
SEED_STANDALONE_METRICS: tuple[str, ...] = ("latency_avg", "throughput")
SEED_METRICS: tuple[str, ...] = SEED_SERVING_METRICS + SEED_STANDALONE_METRICS


class UnknownMetricError(KeyError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown metric {self.name!r}"


def canonical_metric(name: str) -> Alias:
    """The canonical name and scale factor of a metric spelling; raises UnknownMetricError."""
    key = name.strip().lower()
    try:
        return ALIASES[key]
    except KeyError:
        raise UnknownMetricError(name) from None


def direction_of(name: str) -> Direction | None:
    found = METRICS.get(name)
    return found.direction if found else None


def to_float(value: object) -> float | None:
    """A metric value as a finite float, or None for the legacy spellings of 'no value'."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower() in {"", "n/a", "na", "none", "null", "nan", "-"}:
            return None
        number = float(text)  # ValueError names the bad text; callers add the field
    else:
        raise ValueError(f"not a number: {value!r}")
    return number if math.isfinite(number) else None
