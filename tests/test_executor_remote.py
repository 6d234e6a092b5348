"""What every remote executor shares: the shipped result, task-level resume, optional extras, GPUs.

A remote worker measures in its own scratch folders and sends back one packed result (records
plus logs); the client writes the results tree. The failures this prevents:

- records that point at log files on a machine that no longer exists, or a packed result that
  writes outside its unit's logs folder;
- a resumed remote campaign that measures finished tasks again (a Modal container's saved
  progress dies with it), or that keeps a record measured with other inputs;
- `import tribench` pulling in Ray or Modal, and a missing extra failing with a traceback
  instead of the pip command that fixes it;
- a campaign measured on several GPU models reported as if it ran on one machine.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tribench.analyze import summarize
from tribench.campaign import run_campaign
from tribench.constants import Arm, Flag
from tribench.environment import parse_cuda_version, parse_gpu_query
from tribench.errors import UserError
from tribench.execute import RunConfig, UnitResult
from tribench.executors import make_executor
from tribench.executors.remote import (
    MAX_LOG_FILE_BYTES,
    WorkOrder,
    pack_unit_result,
    run_unit,
    unpack_unit_result,
)
from tribench.report import write_reports
from tribench.store import load_results, read_record
from tribench.taskspec import load_predictions, load_tasks

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]
BENCH = 'import json, work\nprint(json.dumps({"latency_avg_ms": work.cost()}))\n'


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def toy(tmp_path: Path) -> dict:
    """A repository whose human commit halves the reported latency, a task file and two agents."""
    repo = tmp_path / "toy"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "bench.py").write_text(BENCH)
    (repo / "work.py").write_text("def cost():\n    return 100.0\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "slow")
    (repo / "work.py").write_text("def cost():\n    return 50.0\n")
    git(repo, "commit", "-qam", "fast")
    human = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "HEAD~1")
    patches = {}
    for agent, value in (("beats", "20.0"), ("matches", "50.0")):
        (repo / "work.py").write_text(f"def cost():\n    return {value}\n")
        patches[agent] = git(repo, "diff") + "\n"
        git(repo, "checkout", "-q", "--", "work.py")
    git(repo, "checkout", "-q", "main")
    row = {"id": "toy", "repo": str(repo), "human_commit": human, "mode": "standalone",
           "perf_command": f"{sys.executable} bench.py", "metric_source": "json:latency_avg_ms=latency_avg",
           "warmups": 0, "trials": 2, "timeouts": {"setup": 30, "server_start": 3, "trial": 30}}
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(row) + "\n")
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(json.dumps({"instance_id": "toy", "model_name_or_path": a, "model_patch": p}) + "\n"
                                   for a, p in patches.items()))
    return {"repo": repo, "tasks": tasks, "predictions": predictions, "row": row}


def client_config(root: Path, **extra) -> RunConfig:
    return RunConfig(run="r", results_dir=root / "results", logs_dir=root / "logs", cache_dir=root / "cache", **extra)


def test_worker_result_comes_home_with_its_logs_and_every_path_rewritten(toy, tmp_path):
    config = client_config(tmp_path, executor="modal")
    task, predictions = load_tasks(toy["tasks"])[0], load_predictions(toy["predictions"])
    from tribench.execute import TaskUnit

    order = WorkOrder.from_unit(TaskUnit(task, predictions, config), executor="modal", env={"modal_gpu_requested": "T4"})
    blob = run_unit(order.model_dump_json())  # the worker's side, in scratch folders of its own
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        remote_root = json.loads(archive.read("unit.json"))["logs_root"]
    assert not Path(remote_root).exists()  # the worker removed its scratch folder
    result = unpack_unit_result(blob, config)
    assert {r.result.agent_name for r in result.records} == {"beats", "matches"}
    text = "".join(r.model_dump_json() for r in result.records)
    assert remote_root not in text
    for record in result.records:
        for arm in record.result.arms.values():
            assert arm.env["modal_gpu_requested"] == "T4"
            for trial in arm.trials:
                assert Path(trial.log).is_relative_to(tmp_path / "logs") and Path(trial.log).read_text()
    assert json.loads((tmp_path / "logs" / "r" / "toy" / "execution.json").read_text())["executor"] == "modal"


def test_packed_result_may_not_write_outside_its_unit(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("unit.json", json.dumps({"format": 1, "task_id": "t", "run": "r", "logs_root": "/x",
                                                  "measured_trials": 0, "error": None, "execution": {}, "records": []}))
        archive.writestr("logs/r/t/../../../escaped.log", b"nope")
    with pytest.raises(UserError, match="outside its unit"):
        unpack_unit_result(buffer.getvalue(), client_config(tmp_path))
    assert not (tmp_path / "escaped.log").exists()
    with pytest.raises(UserError, match="no packed unit result"):
        unpack_unit_result(b"not a zip", client_config(tmp_path))


def test_oversized_log_is_shipped_as_its_tail(tmp_path):
    logs = tmp_path / "worker-logs"
    big = logs / "r" / "t" / "baseline" / "0.log"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"HEAD" * 256 + b"x" * MAX_LOG_FILE_BYTES + b"the end\n")
    blob = pack_unit_result(UnitResult("t", [], 0, None), logs_dir=logs, run="r", execution={})
    result = unpack_unit_result(blob, client_config(tmp_path / "client"))
    shipped = (tmp_path / "client" / "logs" / "r" / "t" / "baseline" / "0.log").read_bytes()
    assert shipped.endswith(b"the end\n") and b"HEAD" not in shipped
    assert shipped.startswith(b"[tribench: the start of this log was cut")
    assert result.execution["logs_truncated"] == ["r/t/baseline/0.log"]


def test_resume_keeps_complete_records_and_remeasures_a_task_whose_inputs_changed(toy, tmp_path):
    config = client_config(tmp_path)
    first = run_campaign(toy["tasks"], toy["predictions"], config)
    assert first.measured_trials == 2 * 4 and not first.skipped
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "results").rglob("benchmark_result.json")}

    again = run_campaign(toy["tasks"], toy["predictions"], config, resume=True)
    assert again.skipped == ["toy"] and again.measured_trials == 0 and not again.written
    assert [r.model_dump() for r in again.records] == [r.model_dump() for r in first.records]
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # not even rewritten

    more = run_campaign(toy["tasks"], toy["predictions"], client_config(tmp_path, trials=3), resume=True)
    assert not more.skipped and more.measured_trials == 4  # one more block per arm; the rest kept

    changed = dict(toy["row"], perf_command=toy["row"]["perf_command"] + " --changed")
    toy["tasks"].write_text(json.dumps(changed) + "\n")
    again = run_campaign(toy["tasks"], toy["predictions"], client_config(tmp_path, trials=3), resume=True)
    assert not again.skipped and again.measured_trials == 3 * 4
    records = load_results(tmp_path / "results").records
    assert len(records) == 2 and all(r.result.arm(Arm.BASELINE).n_trials == 3 for r in records)


def test_import_tribench_loads_neither_ray_nor_modal():
    code = ("import sys, tribench, tribench.cli, tribench.campaign, tribench.executors.ray_executor, "
            "tribench.executors.modal_executor; print(sorted({'ray', 'modal'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("extra", ["ray", "modal"])
def test_missing_extra_fails_with_the_pip_command_and_writes_nothing(extra, toy, tmp_path):
    # A None entry in sys.modules makes `import ray` raise ImportError: the package is absent.
    code = (f"import sys; sys.modules[{extra!r}] = None; from tribench.cli import main; "
            f"sys.argv = ['tribench', 'run', {str(toy['tasks'])!r}, '--executor', {extra!r}, "
            f"'--results', {str(tmp_path / 'results')!r}]; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**__import__("os").environ, "COLUMNS": "200"})
    assert done.returncode == 2, done.stderr
    assert f"pip install 'tribench[{extra}]'" in " ".join(done.stderr.split())
    assert not (tmp_path / "results").exists()


def test_unknown_executor_name_suggests_the_close_one():
    with pytest.raises(UserError, match="did you mean 'ray'"):
        make_executor("rey")


# nvidia-smi output in the shape it prints (constructed for this test: no GPU on CI).
SMI_QUERY = ("NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB, 1980 MHz, 2619 MHz\n"
             "NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB, 1980 MHz, 2619 MHz\n")
SMI_BANNER = "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |\n"


def test_fingerprint_reads_gpu_model_driver_cuda_and_max_clocks():
    info = parse_gpu_query(SMI_QUERY)
    assert info == {"gpu_model": "NVIDIA H100 80GB HBM3", "gpu_count": "2", "gpu_driver": "550.54.15",
                    "gpu_memory": "81559 MiB", "gpu_clocks_max": "sm 1980 MHz, memory 2619 MHz"}
    assert parse_cuda_version(SMI_BANNER) == "12.4"
    unreadable = parse_gpu_query("NVIDIA A10G, 535.1, 23028 MiB, [N/A], [N/A]\n")
    assert "gpu_clocks_max" not in unreadable and unreadable["gpu_model"] == "NVIDIA A10G"
    assert parse_gpu_query("") == {} and parse_cuda_version("no banner") is None


def test_campaign_on_two_gpu_models_is_flagged_and_the_report_says_so(toy, tmp_path):
    run_campaign(toy["tasks"], toy["predictions"], client_config(tmp_path))
    paths = sorted((tmp_path / "results").rglob("benchmark_result.json"))
    records = [read_record(p) for p in paths]
    assert not summarize(records).flag_counts.get(Flag.MIXED_GPU_MODELS.value)
    for record, model in zip(records, ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB"]):
        for arm in record.result.arms.values():
            arm.env["gpu_model"] = model
    summary = summarize(records)
    assert summary.flag_counts[Flag.MIXED_GPU_MODELS.value] == 2
    text = write_reports(records, tmp_path / "report").analysis.read_text()
    assert "measured on different GPU models" in text and "`mixed_gpu_models`" in text
    assert "- **Executors.** local: 2 record(s)." in text
