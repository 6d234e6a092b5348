"""The serving result block is read by label, and a number it cannot attribute is an error.

The story: the first system of this kind scraped the block by position and by exact spelling,
so a vLLM release that added `Failed requests:` above the throughput, or spelled `Total token
throughput` with a small t, shifted or dropped numbers without a word. These tests feed the
block in the shapes real outputs take (padded with the tool's `{:<40} {:<10}`, stripped of
trailing spaces, CRLF, behind a progress bar's carriage return, reordered, printed twice) and
in the shapes a broken run leaves (duplicated label with two values, a line that is not a
label, a block cut off, an empty or garbage file, truncated JSON): each either parses to the
same numbers or fails with the file and the line named — never a silent guess.
"""

from __future__ import annotations

import json

import pytest

from tribench.parsers import ParseError, parse_file, parse_text

TITLE = "============ Serving Benchmark Result ============"
RULE = "=" * 50
ROWS = [
    ("Successful requests:", "10"),
    ("Benchmark duration (s):", "5.78"),
    ("Request throughput (req/s):", "1.73"),
    ("Output token throughput (tok/s):", "382.89"),
    ("Total Token throughput (tok/s):", "619.85"),
    ("Mean TTFT (ms):", "71.54"),
    ("Median TTFT (ms):", "73.88"),
    ("P99 TTFT (ms):", "79.49"),
    ("Mean TPOT (ms):", "7.91"),
    ("P99 ITL (ms):", "8.39"),
]
EXPECTED = {
    "successful_requests": 10.0, "benchmark_duration": 5.78, "request_throughput": 1.73,
    "output_throughput": 382.89, "total_throughput": 619.85, "ttft_mean": 71.54,
    "ttft_median": 73.88, "ttft_p99": 79.49, "tpot_mean": 7.91, "itl_p99": 8.39,
}


def block(rows=ROWS, *, padded=True, sections=True) -> str:
    lines = [TITLE]
    for i, (label, value) in enumerate(rows):
        if sections and i == 5:
            lines.append("---------------Time to First Token----------------")
        lines.append("{:<40} {:<10}".format(label, value) if padded else f"{label} {value}")
    lines.append(RULE)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("padded", [True, False], ids=["padded", "stripped"])
def test_trailing_spaces_or_none_give_the_same_numbers(padded):
    text = block(padded=padded)
    assert ("8.39      \n" in text) == padded and ("8.39\n" in text) != padded
    assert parse_text(text).metrics == EXPECTED


def test_shuffled_labels_still_land_on_their_metrics():
    # Position means nothing: a release that reorders or inserts lines must not shift values.
    shuffled = list(reversed(ROWS))
    shuffled.insert(3, ("Failed requests:", "0"))
    result = parse_text(block(shuffled, sections=False))
    assert result.metrics == {**EXPECTED, "failed_requests": 0.0}


def test_label_case_and_spacing_variants_map_to_one_metric():
    # v0.6-v0.10 `Total Token throughput`, later `Total token throughput`, SGLang 2024 `Total throughput`.
    for label in ("Total Token throughput (tok/s):", "Total token throughput (tok/s):",
                  "total  token throughput (tok/s):", "Total throughput (tok/s):"):
        text = block([(label, "619.85"), ("Mean TTFT (ms):", "71.54")])
        assert parse_text(text).metrics == {"total_throughput": 619.85, "ttft_mean": 71.54}, label


def test_crlf_and_progress_bar_carriage_returns_do_not_hide_the_block():
    text = ("100%|##########| 10/10 [00:05<00:00,  1.73it/s]\r" + block()).replace("\n", "\r\n")
    assert parse_text(text).metrics == EXPECTED


def test_percentile_labels_from_metric_percentiles_and_e2el_map_to_the_registry():
    rows = [("P25 TTFT (ms):", "60.0"), ("P99.9 ITL (ms):", "40.5"), ("Mean E2EL (ms):", "900.1"),
            ("P95 E2EL (ms):", "1200.0"), ("Request goodput (req/s):", "1.50")]
    assert parse_text(block(rows, sections=False)).metrics == {
        "ttft_p25": 60.0, "itl_p999": 40.5, "e2el_mean": 900.1, "e2el_p95": 1200.0, "request_goodput": 1.5}


def test_unknown_labels_are_reported_and_never_guessed_into_a_metric():
    rows = [*ROWS, ("Acceptance rate (%):", "71.30"), ("P10 TTFT (ms):", "50.00")]
    result = parse_text(block(rows))
    assert result.metrics == EXPECTED
    assert result.unknown_labels == ["Acceptance rate (%)", "P10 TTFT (ms)"]


def test_settings_echoed_in_the_block_are_neither_metrics_nor_unknown():
    rows = [("Maximum request concurrency:", "8"), ("Request rate configured (RPS):", "10.00"), *ROWS]
    result = parse_text(block(rows))
    assert result.metrics == EXPECTED
    assert result.unknown_labels == []


def test_a_duplicated_label_with_two_values_is_an_ambiguity_error():
    rows = [*ROWS, ("Mean TTFT (ms):", "99.99")]
    with pytest.raises(ParseError) as caught:
        parse_text(block(rows), name="bench.log")
    message = str(caught.value)
    assert message.startswith("bench.log [line ")
    assert "ambiguous ttft_mean" in message and "71.54" in message and "99.99" in message


def test_two_blocks_with_different_numbers_are_an_ambiguity_error_not_the_last_one():
    second = [(label, "1.74") if label.startswith("Request throughput") else (label, value)
              for label, value in ROWS]
    with pytest.raises(ParseError, match="ambiguous request_throughput"):
        parse_text(block() + "some log line\n" + block(second))


def test_a_block_repeated_with_identical_numbers_is_fine():
    summary = [row for row in ROWS if "TTFT" in row[0]]
    assert parse_text(block() + block(summary, sections=False)).metrics == EXPECTED


def test_a_line_inside_the_block_that_is_not_a_label_is_an_error_naming_the_line():
    text = block().replace("Mean TPOT", "  42.0 stray number\nMean TPOT")
    with pytest.raises(ParseError) as caught:
        parse_text(text, name="run.log")
    assert "run.log [line 11]" in str(caught.value)
    assert "cannot attribute '42.0 stray number'" in str(caught.value)


def test_a_metric_label_with_a_word_for_a_value_is_an_error():
    with pytest.raises(ParseError, match=r"\[line 3 \(Request throughput \(req/s\)\)\].*'fast' is not a number"):
        parse_text(block([("Successful requests:", "10"), ("Request throughput (req/s):", "fast")]))


def test_a_metric_label_without_a_value_is_an_error():
    with pytest.raises(ParseError, match="has no value"):
        parse_text(block([("Mean TTFT (ms):", "")], padded=False))


def test_nan_from_the_tool_is_no_value_not_zero():
    result = parse_text(block([("Mean TTFT (ms):", "71.54"), ("Mean TPOT (ms):", "nan")]))
    assert result.metrics == {"ttft_mean": 71.54}


def test_a_block_cut_off_before_its_closing_rule_is_an_error():
    text = block().rsplit(RULE, 1)[0]
    with pytest.raises(ParseError, match="no closing `=====` rule; the output looks truncated"):
        parse_text(text)


def test_empty_output_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.log"
    path.write_text("")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert str(caught.value) == f"{path}: the output is empty: the benchmark printed nothing"


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ParseError, match="no such file"):
        parse_file(tmp_path / "absent.json")


def test_garbage_with_numbers_is_not_attributed_to_anything(tmp_path):
    path = tmp_path / "garbage.log"
    path.write_text("Traceback (most recent call last):\n  File 'x.py', line 12\nvalue 3.14 at 99%\n")
    with pytest.raises(ParseError, match="no parser recognises this text"):
        parse_file(path)
    with pytest.raises(ParseError, match="no `==== Serving Benchmark Result ====` block"):
        parse_file(path, "vllm-serve")


def test_a_truncated_save_result_json_is_an_error_not_a_text_fallback(fixtures_dir, tmp_path):
    whole = (fixtures_dir / "bench-outputs" / "vllm_cpu_0.32.0_bench_serve_run1.json").read_text()
    path = tmp_path / "r1.json"
    path.write_text(whole[: len(whole) // 2])
    for parser in ("auto", "vllm-serve"):
        with pytest.raises(ParseError, match=r"not valid JSON .* the file looks truncated"):
            parse_file(path, parser)


def test_a_broken_line_of_a_jsonl_file_is_named(tmp_path):
    good = json.dumps({"request_throughput": 1.0, "mean_ttft_ms": 2.0})
    path = tmp_path / "results.jsonl"
    path.write_text(f"{good}\n{good[:20]}\n")
    with pytest.raises(ParseError, match=r"\[line 2\]: not valid JSON"):
        parse_file(path, index=0)


def test_a_log_starting_with_a_bracketed_timestamp_is_text_not_broken_json():
    text = "[W1125 06:54:00.522164309 utils.cpp:68] Warning: NUMA binding\n" + block()
    assert parse_text(text).metrics == EXPECTED


def test_save_result_json_key_variants_map_to_one_metric_each():
    record = {"request_throughput": 2.0, "request_goodput:": 1.5, "mean_ttft_ms": 10.0,
              "p99.9_itl_ms": 30.0, "percentiles_ttft_ms": [[50, 9.0], [99, 20.0], [10, 5.0]],
              "p99_ttft_ms": 20.0, "mean_e2el_ms": 100.0, "request_rate": "inf", "gpu": "H100"}
    result = parse_text(json.dumps(record))
    assert result.metrics == {"request_throughput": 2.0, "request_goodput": 1.5, "ttft_mean": 10.0,
                              "itl_p999": 30.0, "ttft_p50": 9.0, "ttft_p99": 20.0, "e2el_mean": 100.0}
    assert result.unknown_labels == ["percentiles_ttft_ms[10]"]


def test_save_result_json_giving_one_percentile_twice_with_two_values_is_ambiguous():
    record = {"request_throughput": 2.0, "percentiles_ttft_ms": [[99, 21.0]], "p99_ttft_ms": 20.0}
    with pytest.raises(ParseError, match="ambiguous ttft_p99"):
        parse_text(json.dumps(record))


def test_index_on_console_text_is_refused_rather_than_ignored():
    with pytest.raises(ParseError, match="--index picks one object of a JSONL"):
        parse_text(block(), "vllm-serve", index=0)
