"""Publishing: one commit with exactly the export, and the token nowhere but the auth header.

The seed uploaded with a hand-run script. These tests run the real `tribench upload` (in a
child process, as a user would) and the real huggingface_hub client against a fake Hub on
127.0.0.1 (tests/fake_hub.py): only the transport is fake. They pin that one upload is one
commit holding byte for byte the files of the export folder (exported first when missing),
that the token is sent only in the Authorization header and never printed or written, that a
missing or rejected token is a clear error naming HF_TOKEN and `huggingface-cli login` before
any request, and that `--dry-run` needs neither token nor network.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from fake_hub import FakeHub
from records_tree import build_results_tree
from tribench.errors import UserError
from tribench.export import export_results
from tribench.publish import plan_upload, publish

REPO = "tribench-org/results"
COMMIT_SEQUENCE = ["/api/repos/create", "/api/validate-yaml",
                   f"/api/datasets/{REPO}/preupload/main", f"/api/datasets/{REPO}/commit/main"]
_HF_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_ENDPOINT", "HF_OIDC_RESOURCE",
           "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


@pytest.fixture
def token() -> str:
    return "hf_faketoken_" + secrets.token_hex(16)  # unique: any occurrence outside the header is a leak


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return build_results_tree(tmp_path)


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """`tribench ARGS` in a child process with no ambient Hub login (empty HF_HOME)."""
    clean = {k: v for k, v in os.environ.items() if k not in _HF_ENV}
    hf_home = cwd / "hf-home"
    hf_home.mkdir(exist_ok=True)
    clean.update(HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1,localhost",
                 COLUMNS="200", **env)
    return subprocess.run([sys.executable, "-c", "from tribench.cli import main; main()", *args],
                          cwd=cwd, env=clean, capture_output=True, text=True, timeout=120)


def export_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_upload_is_one_commit_with_exactly_the_export_files(results: Path, tmp_path: Path, token: str):
    assert not (tmp_path / "exports").exists()  # upload must export first
    with FakeHub(token=token) as hub:
        done = run_cli(["upload", "results", "--repo-id", REPO], tmp_path, HF_TOKEN=token, HF_ENDPOINT=hub.endpoint)
    assert done.returncode == 0, done.stderr
    assert [r.path for r in hub.requests] == COMMIT_SEQUENCE
    assert hub.repos[REPO]["type"] == "dataset"
    assert len(hub.commits) == 1
    commit = hub.commits[0]
    local = export_files(tmp_path / "exports")
    assert set(local) >= {"README.md", "data/train-00000-of-00001.parquet", "tribench_results.jsonl",
                          "schema_v2_results.json"}
    assert commit.files == local and not commit.lfs_files
    assert commit.repo_type == "dataset" and commit.revision == "main"
    assert "commit" in done.stdout and hub.endpoint in done.stdout


def test_token_travels_only_in_the_authorization_header(results: Path, tmp_path: Path, token: str):
    with FakeHub(token=token) as hub:
        done = run_cli(["upload", "results", "--repo-id", REPO], tmp_path, HF_TOKEN=token, HF_ENDPOINT=hub.endpoint)
    assert done.returncode == 0, done.stderr
    assert hub.requests
    for request in hub.requests:
        assert request.headers["authorization"] == f"Bearer {token}"
        others = [v for k, v in request.headers.items() if k != "authorization"]
        assert token not in " ".join(others) + request.path + request.query
        assert token.encode() not in request.body
    assert token not in done.stdout + done.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_missing_token_is_a_clear_error_before_any_request(results: Path, tmp_path: Path):
    with FakeHub() as hub:
        done = run_cli(["upload", "results", "--repo-id", REPO], tmp_path, HF_ENDPOINT=hub.endpoint)
    assert done.returncode == 2
    assert "HF_TOKEN" in done.stderr and "huggingface-cli login" in done.stderr
    assert hub.requests == []
    assert not (tmp_path / "exports").exists()  # nothing done before the token check


def test_dry_run_needs_no_token_and_makes_no_request(results: Path, tmp_path: Path):
    with FakeHub() as hub:
        done = run_cli(["upload", "results", "--repo-id", REPO, "--dry-run"], tmp_path, HF_ENDPOINT=hub.endpoint)
    assert done.returncode == 0, done.stderr
    assert hub.requests == []
    files = export_files(tmp_path / "exports")
    for rel, data in files.items():  # each line: sha256, size, path in the repo
        assert f"{hashlib.sha256(data).hexdigest()}  {len(data):>12}  {rel}" in done.stdout
    assert "Headline" in done.stdout and "Agent matches or beats human" in done.stdout  # the results summary
    assert "nothing uploaded" in done.stdout


def test_dry_run_without_repo_id_works_as_the_readme_says(results: Path, tmp_path: Path):
    with FakeHub() as hub:
        done = run_cli(["upload", "--dry-run"], tmp_path, HF_ENDPOINT=hub.endpoint)  # RESULTS defaults to ./results
    assert done.returncode == 0, done.stderr
    assert hub.requests == []
    assert "to dataset ORG/NAME" in done.stdout and "nothing uploaded" in done.stdout


def test_real_upload_without_repo_id_says_it_is_required(results: Path, tmp_path: Path, token: str):
    done = run_cli(["upload"], tmp_path, HF_TOKEN=token)
    assert done.returncode == 2 and "--repo-id" in done.stderr


def test_bad_repo_id_is_rejected_before_any_request(results: Path, tmp_path: Path, token: str):
    with FakeHub(token=token) as hub:
        done = run_cli(["upload", "results", "--repo-id", "no-slash"], tmp_path, HF_TOKEN=token,
                       HF_ENDPOINT=hub.endpoint)
    assert done.returncode == 2 and "ORG/NAME" in done.stderr
    assert hub.requests == []


def test_publishing_again_to_an_existing_repo_adds_exactly_one_commit(results: Path, token: str):
    exports = export_results(results).out_dir
    with FakeHub(token=token) as hub:
        for _ in range(2):
            publish(plan_upload(exports, REPO), token=token, endpoint=hub.endpoint)
    assert len(hub.commits) == 2  # the second create_repo got 409 and went on (exist_ok)
    assert [r.path for r in hub.requests].count("/api/repos/create") == 2


def test_private_flag_asks_the_hub_for_a_private_repo(results: Path, token: str):
    exports = export_results(results).out_dir
    with FakeHub(token=token) as hub:
        publish(plan_upload(exports, REPO, private=True), token=token, endpoint=hub.endpoint)
    assert hub.repos[REPO]["visibility"] == "private"


def test_rejected_token_is_a_user_error_that_does_not_repeat_the_token(results: Path, token: str):
    exports = export_results(results).out_dir
    with FakeHub(token="hf_the_right_one") as hub:
        with pytest.raises(UserError) as caught:
            publish(plan_upload(exports, REPO), token=token, endpoint=hub.endpoint)
    assert "401" in str(caught.value) and "HF_TOKEN" in str(caught.value)
    assert token not in str(caught.value)
    assert hub.commits == []


def test_unreachable_hub_is_a_user_error_naming_the_endpoint(results: Path, token: str):
    exports = export_results(results).out_dir
    with FakeHub() as hub:
        endpoint = hub.endpoint
    # The server is shut down: its port now refuses connections.
    with pytest.raises(UserError, match="cannot reach the Hub"):
        publish(plan_upload(exports, REPO), token=token, endpoint=endpoint)


def test_leftovers_of_interrupted_writes_are_never_uploaded(results: Path):
    exports = export_results(results).out_dir
    (exports / ".README.md.abc.tmp").write_text("half a file", encoding="utf-8")
    plan = plan_upload(exports, REPO)
    assert all(not f.path_in_repo.split("/")[-1].startswith(".") for f in plan.files)
    assert "README.md" in {f.path_in_repo for f in plan.files}


def test_folder_that_is_not_an_export_is_refused(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(UserError, match="tribench export"):
        plan_upload(tmp_path, REPO)
