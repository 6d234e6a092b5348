"""A fake Hub: the few HTTP endpoints huggingface_hub calls to create a dataset repo and commit.

Only the transport is fake: the tests drive the real `huggingface_hub` client (and the real
`tribench` CLI) against this server on 127.0.0.1, with the request and response shapes of the
installed client (huggingface_hub `hf_api.create_repo`, `_commit_api._fetch_upload_modes`,
`_commit_api._prepare_commit_payload`, `hf_api._validate_yaml`):

    POST /api/repos/create                         {"name", "organization", "type", ...} -> {"url"}
    POST /api/validate-yaml                        {"content", "repoType"}    -> {"errors", "warnings"}
    POST /api/{type}s/{org}/{name}/preupload/{rev} {"files": [{"path", "sample", "size"}]}
                                                   -> {"files": [{"path", "uploadMode", "shouldIgnore"}]}
    POST /api/{type}s/{org}/{name}/commit/{rev}    NDJSON: a header line, one line per file
                                                   -> {"commitUrl", "commitOid", "pullRequestUrl"}

Preupload answers "regular" for every file, so files travel base64-encoded inside the commit
payload (the real Hub would send data files to LFS/Xet storage, which is out of scope here).
Every request is recorded, headers included, so a test can check where the token went. The
server is started and stopped with the `with` statement; `shutdown()` joins its thread.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

_REPO_PATH = re.compile(r"^/api/(?P<type>models|datasets|spaces)/(?P<repo>[^/]+/[^/]+)/(?P<op>preupload|commit)/(?P<rev>[^/]+)$")


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Commit:
    repo_id: str
    repo_type: str
    revision: str
    summary: str
    files: dict[str, bytes]
    lfs_files: list[dict] = field(default_factory=list)


class FakeHub:
    def __init__(self, token: str | None = None):
        self.token = token  # when set, requests must carry `Authorization: Bearer <token>`
        self.requests: list[Request] = []
        self.commits: list[Commit] = []
        self.repos: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start the fake Hub with `with FakeHub() as hub:`"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            owner = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()  # returns once serve_forever has stopped
        self._server.server_close()
        self._thread.join()

    # --- endpoint logic -------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(request)
            if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
                return 401, {"error": "Invalid credentials in Authorization header"}
            if request.method != "POST":
                return 404, {"error": f"fake Hub: no route for {request.method} {request.path}"}
            if request.path == "/api/repos/create":
                return self._create_repo(json.loads(request.body))
            if request.path == "/api/validate-yaml":
                return self._validate_yaml(json.loads(request.body))
            match = _REPO_PATH.match(request.path)
            if match is None:
                return 404, {"error": f"fake Hub: no route for POST {request.path}"}
            repo_id = match["repo"]
            if repo_id not in self.repos:
                return 404, {"error": f"Repository not found: {repo_id}"}
            if match["op"] == "preupload":
                files = json.loads(request.body)["files"]
                return 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                       for f in files]}
            return self._commit(repo_id, match["type"][:-1], match["rev"], request.body)

    def _create_repo(self, payload: dict) -> tuple[int, dict]:
        repo_id = f"{payload['organization']}/{payload['name']}"
        if repo_id in self.repos:
            return 409, {"error": "You already created this dataset repo", "url": self._repo_url(repo_id)}
        self.repos[repo_id] = payload
        return 200, {"url": self._repo_url(repo_id)}

    def _validate_yaml(self, payload: dict) -> tuple[int, dict]:
        content = payload["content"]
        if not content.startswith("---\n"):
            return 400, {"errors": [{"message": "README.md has no YAML front matter"}]}
        try:
            yaml.safe_load(content.split("---\n")[1])
        except yaml.YAMLError as exc:
            return 400, {"errors": [{"message": f"invalid YAML: {exc}"}]}
        return 200, {"errors": [], "warnings": []}

    def _commit(self, repo_id: str, repo_type: str, revision: str, body: bytes) -> tuple[int, dict]:
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header, operations = lines[0], lines[1:]
        assert header["key"] == "header", header
        commit = Commit(repo_id, repo_type, revision, header["value"]["summary"], {})
        for op in operations:
            if op["key"] == "file":
                assert op["value"]["encoding"] == "base64"
                commit.files[op["value"]["path"]] = base64.b64decode(op["value"]["content"])
            else:
                commit.lfs_files.append(op)
        self.commits.append(commit)
        oid = hashlib.sha1(body).hexdigest()
        return 200, {"commitUrl": f"{self._repo_url(repo_id)}/commit/{oid}", "commitOid": oid,
                     "pullRequestUrl": None}

    def _repo_url(self, repo_id: str) -> str:
        return f"{self.endpoint}/datasets/{repo_id}"


class _Handler(BaseHTTPRequestHandler):
    owner: FakeHub
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive threads

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().strip(), 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        url = urlsplit(self.path)
        request = Request(self.command, url.path, url.query,
                          {k.lower(): v for k, v in self.headers.items()}, self._body())
        status, payload = self.owner.handle(request)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass
