"""Captures MLflow's own server responses for the Model Registry calls model-ledger serves.

Run once by hand, not in CI (it needs the full `mlflow` package, not mlflow-skinny):

    python3 -m venv ~/.cache/model-ledger/venvs/mlflow-full
    ~/.cache/model-ledger/venvs/mlflow-full/bin/pip install mlflow==3.17.2
    ~/.cache/model-ledger/venvs/mlflow-full/bin/python test/mlflow/capture_reference.py

It starts `mlflow server` on SQLite on loopback, makes the same non-governed calls over raw
HTTP that the client makes, and writes each response (status + JSON body) to
test/mlflow/fixtures/<call>.json. test/mlflow/fixtures.e2e.spec.ts compares field names and
JSON types of model-ledger's answers with these.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DIGEST = "sha256:" + "ab" * 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    url = f"{base}/api/2.0/mlflow/{path}"
    data = None
    headers = {}
    if method == "GET" and body:
        url += "?" + urllib.parse.urlencode(body, doseq=True)
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main():
    import mlflow

    assert mlflow.__version__ == "3.17.2", mlflow.__version__
    work = tempfile.mkdtemp(prefix="mlflow-ref-")
    port = free_port()
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{work}/mlflow.db",
            "--default-artifact-root",
            f"{work}/artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(work, "server.log"), "w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2)
                break
            except Exception:
                time.sleep(1)
        else:
            raise SystemExit("mlflow server did not start; see " + work)

        calls = [
            ("registered-models-create", "POST", "registered-models/create",
             {"name": "churn", "tags": [{"key": "team", "value": "risk"}], "description": "churn model"}),
            ("registered-models-create-exists", "POST", "registered-models/create", {"name": "churn"}),
            ("model-versions-create", "POST", "model-versions/create",
             {"name": "churn", "source": "s3://bucket/churn/1", "run_id": "0123456789abcdef0123456789abcdef",
              "run_link": "http://runs/1", "tags": [{"key": "model_ledger.artifact_digest", "value": DIGEST}],
              "description": "first"}),
            ("model-versions-create-2", "POST", "model-versions/create", {"name": "churn", "source": "s3://bucket/churn/2"}),
            ("registered-models-get", "GET", "registered-models/get", {"name": "churn"}),
            ("registered-models-get-missing", "GET", "registered-models/get", {"name": "nope"}),
            ("registered-models-search", "GET", "registered-models/search",
             {"filter": "name LIKE 'ch%' AND tag.`mlflow.prompt.is_prompt` != 'true'", "max_results": 1}),
            ("registered-models-update", "PATCH", "registered-models/update", {"name": "churn", "description": "updated"}),
            ("registered-models-set-tag", "POST", "registered-models/set-tag", {"name": "churn", "key": "k", "value": "v"}),
            ("registered-models-delete-tag", "DELETE", "registered-models/delete-tag", {"name": "churn", "key": "k"}),
            ("registered-models-get-latest-versions", "POST", "registered-models/get-latest-versions", {"name": "churn"}),
            ("model-versions-get", "GET", "model-versions/get", {"name": "churn", "version": "1"}),
            ("model-versions-get-missing", "GET", "model-versions/get", {"name": "churn", "version": "99"}),
            ("model-versions-search", "GET", "model-versions/search", {"filter": "name = 'churn'", "max_results": 1}),
            ("model-versions-update", "PATCH", "model-versions/update", {"name": "churn", "version": "1", "description": "d"}),
            ("model-versions-set-tag", "POST", "model-versions/set-tag", {"name": "churn", "version": "1", "key": "k", "value": "v"}),
            ("model-versions-delete-tag", "DELETE", "model-versions/delete-tag", {"name": "churn", "version": "1", "key": "k"}),
            ("registered-models-alias-set", "POST", "registered-models/alias", {"name": "churn", "alias": "shadow", "version": "2"}),
            ("registered-models-alias-get", "GET", "registered-models/alias", {"name": "churn", "alias": "shadow"}),
            ("registered-models-alias-delete", "DELETE", "registered-models/alias", {"name": "churn", "alias": "shadow"}),
            ("model-versions-get-download-uri", "GET", "model-versions/get-download-uri", {"name": "churn", "version": "1"}),
            ("model-versions-transition-stage", "POST", "model-versions/transition-stage",
             {"name": "churn", "version": "2", "stage": "Staging", "archive_existing_versions": False}),
            ("model-versions-create-invalid", "POST", "model-versions/create", {"name": "churn"}),
            ("model-versions-delete", "DELETE", "model-versions/delete", {"name": "churn", "version": "2"}),
        ]
        os.makedirs(OUT, exist_ok=True)
        for name, method, path, body in calls:
            status, payload = call(base, method, path, body)
            with open(os.path.join(OUT, f"{name}.json"), "w") as f:
                json.dump({"request": {"method": method, "path": path, "body": body}, "status": status, "body": payload},
                          f, indent=2, sort_keys=True)
                f.write("\n")
            print(f"{status} {method} {path} -> {name}.json")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
