"""The publish stage: the export folder to a Hub dataset repository, in one commit.

`plan_upload` lists exactly what will be sent (path in the repo, size, sha256), `publish` sends
it: `create_repo(repo_type="dataset", exist_ok=True)`, then one `create_commit` with one
`CommitOperationAdd` per file, so a reader never sees half an update.

The token comes from `HF_TOKEN` or the login stored by `huggingface-cli login`
(huggingface_hub's own lookup) and is checked before any network call. It is handed to the
client only, which sends it in the Authorization header; tribench never prints, logs or writes
it, and error messages are built without it (DESIGN.md, "Tokens never reach results, logs or
exports").

The Hub address is huggingface_hub's default unless `endpoint` (or `HF_ENDPOINT`, read at call
time) names another: a mirror, or the fake Hub of the tests.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tribench import __version__
from tribench.constants import EXPORT_SCHEMA_VERSION
from tribench.errors import UserError

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_LOGIN_HINT = "set HF_TOKEN to a write token, or run `huggingface-cli login` (`hf auth login`)"


@dataclass(frozen=True)
class UploadFile:
    path_in_repo: str
    local_path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class UploadPlan:
    repo_id: str
    exports_dir: Path
    files: list[UploadFile]
    private: bool = False

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class PublishResult:
    repo_url: str
    commit_url: str
    commit_oid: str
    files: list[UploadFile]


def check_repo_id(repo_id: str) -> str:
    if not _REPO_ID.match(repo_id or ""):
        raise UserError(f"repo id {repo_id!r} is not ORG/NAME (letters, digits, '.', '_', '-')",
                        field="--repo-id")
    return repo_id


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_upload(exports_dir: Path, repo_id: str, *, private: bool = False) -> UploadPlan:
    """Every file of the export folder, sorted; hidden files (e.g. `.x.tmp` of an interrupted
    atomic write) are never uploaded."""
    check_repo_id(repo_id)
    exports_dir = Path(exports_dir)
    files = []
    for path in sorted(p for p in exports_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(exports_dir).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        files.append(UploadFile(rel, path, path.stat().st_size, _sha256(path)))
    names = {f.path_in_repo for f in files}
    if "README.md" not in names or not any(n.startswith("data/") and n.endswith(".parquet") for n in names):
        raise UserError("not a tribench export folder (no README.md or data/*.parquet); "
                        "run `tribench export RESULTS --out DIR` first", path=exports_dir)
    return UploadPlan(repo_id, exports_dir, files, private)


def resolve_token(token: str | None = None) -> str:
    """The token to publish with: `token`, else HF_TOKEN, else the stored login. No network."""
    if token:
        return token
    from huggingface_hub import get_token  # heavy import, only for publishing

    found = get_token()
    if not found:
        raise UserError(f"no Hugging Face token found: {_LOGIN_HINT}")
    return found


def resolve_endpoint(endpoint: str | None = None) -> str | None:
    return endpoint or os.environ.get("HF_ENDPOINT") or None


def _hub_error(exc: Exception, plan: UploadPlan) -> UserError:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status == 401:
        return UserError(f"the Hub rejected the token (HTTP 401): {_LOGIN_HINT}")
    if status == 403:
        return UserError(f"the token may not write to {plan.repo_id} (HTTP 403): use a write token "
                         "of an account that is a member of the organisation")
    # huggingface_hub's message carries the server's reason and request id, never the token.
    return UserError(f"the Hub refused the upload to {plan.repo_id}: {exc}")


def publish(plan: UploadPlan, *, token: str | None = None, endpoint: str | None = None,
            commit_message: str | None = None) -> PublishResult:
    """Create the dataset repo if needed and commit every planned file in one commit."""
    token = resolve_token(token)
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    # The client's own transport error (httpx2/httpx or requests) is the base of HfHubHTTPError.
    transport_errors = (HfHubHTTPError.__mro__[1], OSError)
    api = HfApi(endpoint=resolve_endpoint(endpoint), token=token, library_name="tribench",
                library_version=__version__)
    operations = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local_path))
                  for f in plan.files]
    message = commit_message or (f"tribench export: {len(plan.files)} files "
                                 f"(export schema {EXPORT_SCHEMA_VERSION})")
    try:
        repo_url = api.create_repo(plan.repo_id, repo_type="dataset", exist_ok=True,
                                   private=True if plan.private else None)
        info = api.create_commit(plan.repo_id, operations, commit_message=message, repo_type="dataset")
    except HfHubHTTPError as exc:
        raise _hub_error(exc, plan) from None
    except transport_errors as exc:
        raise UserError(f"cannot reach the Hub at {api.endpoint}: {exc}; check the network or HF_ENDPOINT") from None
    return PublishResult(str(repo_url), info.commit_url, info.oid, plan.files)
