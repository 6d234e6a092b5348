"""Load client for `minitext.server`: streams `--num-prompts` requests, `--concurrency` at a time.

Prints ONE JSON object on stdout in the layout of vLLM's `benchmark_serving --save-result`
(`mean_ttft_ms`, `median_tpot_ms`, `p99_itl_ms`, `output_throughput`, ...). Per request:
TTFT is the time to the first token event, TPOT the mean time per token after the first,
ITL each gap between token events, E2EL the time to the last token.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time

import _harness  # noqa: F401  (puts the repository root on sys.path)
from _inputs import prompts


def one_request(port, prompt, max_tokens):
    """Send one request; return (start, [token arrival times], prompt_tokens, end)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)  # no client timeout: a hung
    try:  # server must be killed by the harness's trial timeout, not turn into a client error
        body = json.dumps({"prompt": prompt, "max_tokens": max_tokens})
        start = time.perf_counter()
        connection.request("POST", "/generate", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from /generate")
        arrivals, prompt_tokens = [], 0
        for raw in response:
            line = raw.strip()
            if not line.startswith(b"data: "):
                continue
            payload = line[len(b"data: "):]
            if payload == b"[DONE]":
                break
            event = json.loads(payload)
            if "token" in event:
                arrivals.append(time.perf_counter())
            elif "usage" in event:
                prompt_tokens = event["usage"]["prompt_tokens"]
        return start, arrivals, prompt_tokens, time.perf_counter()
    finally:
        connection.close()


def run(port, all_prompts, max_tokens, concurrency):
    results, errors, lock = [], [], threading.Lock()
    queue = list(reversed(all_prompts))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                prompt = queue.pop()
            try:
                result = one_request(port, prompt, max_tokens)
            except (OSError, RuntimeError, ValueError) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors, time.perf_counter() - began


def _stats(name, values_s):
    ms = sorted(v * 1000.0 for v in values_s) or [0.0]
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return {
        f"mean_{name}_ms": statistics.fmean(ms),
        f"median_{name}_ms": statistics.median(ms),
        f"std_{name}_ms": statistics.pstdev(ms),
        f"p99_{name}_ms": p99,
    }


def summarize(results, errors, duration, args):
    ttfts, tpots, itls, e2els = [], [], [], []
    input_tokens = output_tokens = 0
    for start, arrivals, prompt_tokens, _end in results:
        input_tokens += prompt_tokens
        output_tokens += len(arrivals)
        if not arrivals:
            continue
        ttfts.append(arrivals[0] - start)
        e2els.append(arrivals[-1] - start)
        if len(arrivals) > 1:
            tpots.append((arrivals[-1] - arrivals[0]) / (len(arrivals) - 1))
        itls.extend(b - a for a, b in zip(arrivals, arrivals[1:]))
    summary = {
        "backend": "minitext",
        "num_prompts": args.num_prompts,
        "max_concurrency": args.concurrency,
        "duration": duration,
        "completed": len(results),
        "failed": len(errors),
        "total_input_tokens": input_tokens,
        "total_output_tokens": output_tokens,
        "request_throughput": len(results) / duration,
        "output_throughput": output_tokens / duration,
        "total_token_throughput": (input_tokens + output_tokens) / duration,
    }
    for name, values in (("ttft", ttfts), ("tpot", tpots), ("itl", itls), ("e2el", e2els)):
        summary.update(_stats(name, values))
    summary["errors"] = errors[:5]
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--num-prompts", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--prompt-words", type=int, default=1600)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args(argv)
    all_prompts = prompts(args.num_prompts, args.prompt_words)
    results, errors, duration = run(args.port, all_prompts, args.max_tokens, args.concurrency)
    print(json.dumps(summarize(results, errors, duration, args)))
    if errors:
        print(f"{len(errors)} request(s) failed; first: {errors[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
