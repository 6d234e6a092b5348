"""The Modal executor at its client boundary: the Function body on the demo suite, and no credentials.

Modal containers cannot be reached from CI, so the Modal side is exercised where Modal itself
lets a client run it without an account: `Function.local()`, which calls the registered
Function's own body in this process. Everything else is the real path: the `modal.App`, the
Function registered with its image, exact GPU, timeout, retries and container cap, the work
order serialised to JSON, the worker's scratch folders, the packed result and its unpacking.
The failures this prevents:

- a Modal run whose records differ from a local one: the demo suite through the Function body
  must give the local executor's verdict classes, statuses and trial counts, with GPU-seconds
  and an estimated cost recorded per task and the requested GPU in every arm's environment;
- a silent GPU upgrade (Modal may serve a plain `H100` request with an H200): the GPU is always
  sent in Modal's exact spelling (`H100!`), and spellings that allow a substitute are refused;
- a run without credentials that starts (or half-writes) anything: Modal's own credential
  check runs first and its error reaches the user as one clear line, with nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import modal  # the `test` extra installs it: a missing modal fails here, it is never skipped
import pytest
from modal._utils.function_utils import parse_gpu_config

from executor_demo import config, local_reference, shape, trial_logs
from tribench.campaign import plan, run_campaign
from tribench.errors import UserError
from tribench.executors import make_executor
from tribench.executors.modal_executor import MAX_TIMEOUT_S, load_price_table, pin_gpu, unit_timeout
from tribench.store import load_results
from tribench.taskspec import TaskSpec, load_tasks


def test_modal_function_body_on_the_demo_suite_records_what_a_local_run_records(tmp_path_factory, tmp_path):
    suite, local = local_reference(tmp_path_factory)
    executor = make_executor("modal", call="local", gpu="H100")
    report = run_campaign(suite.tasks_path, suite.predictions_path, config(tmp_path, "modal"), executor=executor)
    assert not report.lost and not report.warnings
    on_disk = load_results(tmp_path / "results")
    assert not on_disk.errors and shape(on_disk.records) == shape(local.records)
    assert {r.executor for r in on_disk.records} == {"modal"}
    assert all(p.is_file() and p.is_relative_to(tmp_path / "logs") for p in trial_logs(on_disk.records))
    for record in on_disk.records:
        for arm in record.result.arms.values():
            if arm.env:
                assert arm.env["modal_gpu_requested"] == "H100!"
    price = load_price_table()["gpu"]["H100"]["usd_per_second"]
    assert len(report.executions) == 4
    for execution in report.executions:
        saved = json.loads(Path(execution["execution_json"]).read_text())
        assert saved == execution
        assert execution["gpu_seconds"] == pytest.approx(execution["wall_s"], abs=1e-3)  # one GPU held
        assert execution["cost_usd"] == pytest.approx(execution["gpu_seconds"] * price, abs=1e-6)
        assert execution["modal_call"] == "local"


def test_modal_without_credentials_fails_before_any_work_and_writes_nothing(tmp_path_factory, tmp_path):
    suite, _ = local_reference(tmp_path_factory)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env.update(HOME=str(home), COLUMNS="200")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    done = subprocess.run(
        [sys.executable, "-m", "tribench", "run", str(suite.tasks_path), "--patches", str(suite.predictions_path),
         "--results", str(tmp_path / "results"), "--executor", "modal", "--gpu", "H100"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "Modal has no usable credentials" in message and "Token missing" in message
    assert "modal token new" in message and "MODAL_TOKEN_ID and MODAL_TOKEN_SECRET" in message
    assert "nothing was measured or written" in message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("asked", "sent", "count"), [
    ("H100", "H100!", 1), ("h100:2", "H100!:2", 2), ("H100!", "H100!", 1), ("B200", "B200", 1),
    ("A100-80GB", "A100-80GB", 1), ("L40S", "L40S", 1),
])
def test_gpu_is_sent_in_modals_exact_spelling(asked, sent, count):
    request = pin_gpu(asked)
    assert (request.modal, request.count) == (sent, count)
    parsed = parse_gpu_config(request.modal)  # Modal's own parser: the spelling reaches its API as is
    assert (parsed.gpu_type, parsed.count) == (sent.split(":")[0], count)


@pytest.mark.parametrize(("asked", "why"), [
    ("B200+", "pass B200"), ("A100", "A100-40GB or A100-80GB"), ("X9000", "unknown Modal GPU type"),
    ("H100:zero", "not a number"),
])
def test_gpu_spelling_that_allows_a_substitute_or_names_no_model_is_refused(asked, why):
    with pytest.raises(UserError, match=why):
        pin_gpu(asked)


def test_each_unit_gets_its_image_exact_gpu_timeout_retries_and_container_cap(tmp_path):
    row = {"id": "vllm-like", "repo": "https://example.invalid/vllm.git", "human_commit": "a" * 40,
           "mode": "standalone", "perf_command": "python bench.py", "trials": 3, "warmups": 1,
           "timeouts": {"setup": 1200, "server_start": 60, "trial": 300},
           "resources": {"cpus": 4, "gpus": 1, "gpu_type": "H100", "memory_mb": 32768},
           "environment": {"base_image": "nvidia/cuda:12.4.1-devel-ubuntu22.04", "python": "3.11",
                           "apt": ["build-essential"], "pip": ["numpy"], "env": {"HF_HUB_OFFLINE": "1"}}}
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(row) + "\n")
    units, _ = plan(load_tasks(tasks), [], config(tmp_path, "modal"))
    executor = make_executor("modal", max_containers=3, retries=2)
    options = executor.function_options(modal, units[0])
    assert options["gpu"] == "H100!" and options["max_containers"] == 3
    assert options["cpu"] == 4 and options["memory"] == 32768
    assert isinstance(options["retries"], modal.Retries)
    assert isinstance(options["image"], modal.Image)
    assert options["timeout"] == unit_timeout(units[0].task, 5, 0, 1)
    app = modal.App("tribench-test")
    first = executor._function(modal, app, units[0])
    assert executor._function(modal, app, units[0]) is first  # one Function per distinct spec


def test_unit_timeout_covers_every_limit_the_task_may_use_and_stays_under_modals_cap():
    task = TaskSpec(id="t", repo="https://example.invalid/r.git", human_commit="a" * 40, mode="serving",
                    server_command="serve", client_command="bench", trials=5, warmups=1,
                    timeouts={"setup": 600, "server_start": 120, "trial": 600})
    # 4 arms x (setup 600 + correctness 600 + warm-up 600 + 5 blocks x (600 x 2 tries + 120)) + 900 s margin
    assert unit_timeout(task, None, 2, 1) == 4 * (600 + 600 + 600 + 5 * (1200 + 120)) + 900
    assert unit_timeout(task.model_copy(update={"trials": 500}), None, 2, 1) == MAX_TIMEOUT_S
    pinned = TaskSpec.model_validate({**task.model_dump(), "resources": {"timeout_s": 1800}})
    assert unit_timeout(pinned, None, 2, 1) == 1800


def test_price_table_is_data_with_a_date_and_every_gpu_type_modal_lists():
    table = load_price_table()
    assert table["as_of"] and table["currency"] == "USD" and table["source"]
    listed = {"T4", "L4", "A10", "L40S", "A100-40GB", "A100-80GB", "RTX-PRO-6000", "H100", "H200", "B200"}
    assert set(table["gpu"]) == listed
    assert table["gpu"]["H100"]["modal"] == "H100!"
    assert all(entry.get("usd_per_second", 0) >= 0 for entry in table["gpu"].values())

