"""The real MLflow client (mlflow-skinny 3.17.2) against model-ledger's MLflow-compatible API.

Driven by test/mlflow/mlflow-client.int.spec.ts, which starts the app (SQLite or PostgreSQL),
mints the tokens below and runs this file with the venv from `scripts/services.sh up mlflow-client`.
Each step is a function; they run in order (later steps build on earlier ones) and the first
failure stops the run with its name and traceback. Prints `ok <step>` per step.

Env: MLFLOW_TRACKING_URI, ML_TOKEN_{WRITER,PROMOTER,READER,APPROVER,AUDITOR}.
"""

import contextlib
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

BASE = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
TOKENS = {role: os.environ[f"ML_TOKEN_{role.upper()}"] for role in ["writer", "promoter", "reader", "approver", "auditor"]}
D = {n: "sha256:" + format(n, "x").rjust(64, "0") for n in range(1, 10)}
GIT = "a" * 40
assert mlflow.__version__ == "3.17.2", mlflow.__version__


@contextlib.contextmanager
def as_role(role):
    # The client reads MLFLOW_TRACKING_TOKEN for every request.
    before = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = TOKENS[role]
    try:
        yield MlflowClient()
    finally:
        if before is None:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = before


def refused(fn, error_code, *needles):
    """Runs fn, expects an MlflowException with error_code whose message contains every needle."""
    try:
        fn()
    except MlflowException as e:
        assert e.error_code == error_code, f"expected {error_code}, got {e.error_code}: {e.message}"
        for n in needles:
            assert n in e.message, f"{n!r} not in {e.message!r}"
        return e
    raise AssertionError(f"expected MlflowException {error_code}")


def http(method, path, role, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {TOKENS[role]}", **({"Content-Type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def tags_of(mv):
    return dict(mv.tags)


def approve(semver, role="approver"):
    status, body = http("POST", f"/v1/models/churn/versions/{semver}/approvals", role, {"decision": "approve"})
    assert status in (200, 201), (status, body)


STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


@step
def register_model_twice_and_once_without_tags():
    with as_role("writer"):
        mv1 = mlflow.register_model("s3://bucket/churn/1", "churn", tags={"model_ledger.artifact_digest": D[1], "mlflow.source.git.commit": GIT})
        assert (mv1.name, mv1.version, mv1.status) == ("churn", "1", "READY")
        assert tags_of(mv1)["model_ledger.version"] == "1.0.0"
        assert tags_of(mv1)["model_ledger.artifact_digest"] == D[1]
        # The second call meets RESOURCE_ALREADY_EXISTS for the model, which register_model relies on.
        mv2 = mlflow.register_model("s3://bucket/churn/2", "churn", tags={"model_ledger.artifact_digest": D[2], "team": "risk"})
        assert mv2.version == "2" and tags_of(mv2)["model_ledger.version"] == "1.1.0" and tags_of(mv2)["team"] == "risk"
        mv3 = mlflow.register_model("s3://bucket/churn/3", "churn")
        assert mv3.version == "3" and tags_of(mv3)["model_ledger.version"] == "1.2.0"
        assert "model_ledger.artifact_digest" not in tags_of(mv3)
        fix = mlflow.register_model("s3://bucket/churn/3b", "churn", tags={"model_ledger.change_kind": "fix", "model_ledger.artifact_digest": D[4]})
        assert fix.version == "4" and tags_of(fix)["model_ledger.version"] == "1.2.1"


@step
def client_create_get_update_tags():
    with as_role("writer") as c:
        rm = c.create_registered_model("fraud", tags={"team": "risk"}, description="fraud model")
        assert rm.name == "fraud" and rm.description == "fraud model" and rm.tags == {"team": "risk"}
        refused(lambda: c.create_registered_model("fraud"), "RESOURCE_ALREADY_EXISTS")
        got = c.get_registered_model("churn")
        assert got.name == "churn" and got.creation_timestamp > 1_600_000_000_000
        assert {mv.current_stage for mv in got.latest_versions} == {"None"}
        c.update_registered_model("fraud", description="updated")
        assert c.get_registered_model("fraud").description == "updated"
        c.set_registered_model_tag("fraud", "tier", "1")
        assert c.get_registered_model("fraud").tags == {"team": "risk", "tier": "1"}
        c.delete_registered_model_tag("fraud", "tier")
        assert c.get_registered_model("fraud").tags == {"team": "risk"}
        c.set_model_version_tag("churn", "2", "reviewed", "yes")
        c.update_model_version("churn", "2", description="second")
        mv = c.get_model_version("churn", "2")
        assert mv.description == "second" and mv.tags["reviewed"] == "yes"
        c.delete_model_version_tag("churn", "2", "reviewed")
        assert "reviewed" not in c.get_model_version("churn", "2").tags
        refused(lambda: c.get_registered_model("nope"), "RESOURCE_DOES_NOT_EXIST")
        refused(lambda: c.get_model_version("churn", "99"), "RESOURCE_DOES_NOT_EXIST")


@step
def search_with_the_clients_own_filter():
    with as_role("reader") as c:
        # The client appends AND tag.`mlflow.prompt.is_prompt` != 'true' to each of these.
        assert [m.name for m in c.search_registered_models()] == ["churn", "fraud"]
        assert [m.name for m in c.search_registered_models(filter_string="name LIKE 'fr%'")] == ["fraud"]
        assert [m.name for m in c.search_registered_models(filter_string="name ILIKE 'CH%'")] == ["churn"]
        assert [m.name for m in c.search_registered_models(filter_string="name = 'churn'")] == ["churn"]
        assert [m.name for m in c.search_registered_models(filter_string="name != 'churn'")] == ["fraud"]
        assert [m.name for m in c.search_registered_models(filter_string="tags.team = 'risk'")] == ["fraud"]
        assert [m.name for m in c.search_registered_models(filter_string="tag.`team` = 'risk' AND name LIKE '%d'")] == ["fraud"]
        assert [m.name for m in c.search_registered_models(order_by=["name DESC"])] == ["fraud", "churn"]
        first = c.search_registered_models(max_results=1)
        assert [m.name for m in first] == ["churn"] and first.token
        second = c.search_registered_models(max_results=1, page_token=first.token)
        assert [m.name for m in second] == ["fraud"] and not second.token
        refused(lambda: c.search_registered_models(filter_string="name LIKE"), "INVALID_PARAMETER_VALUE")
        assert [v.version for v in c.search_model_versions("name = 'churn'")] == ["4", "3", "2", "1"]
        assert [v.version for v in c.search_model_versions("name = 'churn' AND tags.team = 'risk'")] == ["2"]
        assert [v.version for v in c.search_model_versions("source_path = 's3://bucket/churn/3'")] == ["3"]
        assert [v.version for v in c.search_model_versions("tags.`model_ledger.version` = '1.0.0'")] == ["1"]


@step
def rename_refused():
    with as_role("writer") as c:
        refused(lambda: c.rename_registered_model("churn", "churn2"), "INVALID_PARAMETER_VALUE", "permanent")
        assert c.get_registered_model("churn").name == "churn"


@step
def protected_alias_needs_approval_then_resolves():
    with as_role("promoter") as c:
        refused(lambda: c.set_registered_model_alias("churn", "prod", "1"), "INVALID_STATE", "approvals", "more needed")
    approve("1.0.0")
    with as_role("promoter") as c:
        c.set_registered_model_alias("churn", "prod", "1")
        mv = c.get_model_version_by_alias("churn", "prod")
        assert (mv.version, mv.current_stage, mv.aliases) == ("1", "Production", ["prod"])


@step
def digest_less_version_refused_until_its_digest_is_recorded():
    approve("1.2.0")
    with as_role("promoter") as c:
        e = refused(lambda: c.set_registered_model_alias("churn", "champion", "3"), "INVALID_STATE", "no artifact digest")
        assert "model_ledger.artifact_digest" in e.message
    with as_role("writer") as c:
        c.set_model_version_tag("churn", "3", "model_ledger.artifact_digest", D[3])
        assert c.get_model_version("churn", "3").tags["model_ledger.artifact_digest"] == D[3]
        refused(lambda: c.set_model_version_tag("churn", "3", "model_ledger.artifact_digest", D[5]), "INVALID_STATE", "never changes")
        refused(lambda: c.set_model_version_tag("churn", "3", "model_ledger.version", "9.9.9"), "INVALID_PARAMETER_VALUE")
    with as_role("promoter") as c:
        c.set_registered_model_alias("churn", "champion", "3")
        assert c.get_model_version_by_alias("churn", "champion").version == "3"


@step
def transition_to_production_archives_the_incumbent():
    approve("1.1.0")
    with as_role("promoter") as c:
        mv = c.transition_model_version_stage("churn", "2", "Production", archive_existing_versions=False)
        assert mv.current_stage == "Production"
        assert c.get_model_version("churn", "1").current_stage == "Archived"
        assert c.get_model_version_by_alias("churn", "prod").version == "2"
        latest = {v.current_stage: v.version for v in c.get_latest_versions("churn")}
        assert latest["Production"] == "2" and latest["Archived"] == "1"
        assert c.get_model_version_download_uri("churn", "2") == "s3://bucket/churn/2"


@step
def delete_version_is_a_tombstone():
    with as_role("writer") as c:
        c.set_registered_model_alias("churn", "shadow", "4")
        c.delete_model_version("churn", "4")
        assert "4" not in [v.version for v in c.search_model_versions("name = 'churn'")]
        refused(lambda: c.get_model_version("churn", "4"), "RESOURCE_DOES_NOT_EXIST")
        refused(lambda: c.get_model_version_by_alias("churn", "shadow"), "RESOURCE_DOES_NOT_EXIST")
    status, body = http("GET", "/v1/audit/events?model=churn&type=VersionDeleted", "auditor")
    assert status == 200 and [(e["type"], e["version"], e["actor"]) for e in body["items"]] == [("VersionDeleted", "1.2.1", "writer")], body
    # Delivered over SSE like every other event (replayed from the start of the store).
    req = urllib.request.Request(BASE + "/v1/events/stream?model=churn", headers={"Authorization": f"Bearer {TOKENS['reader']}", "Last-Event-ID": "0"})
    deadline = time.time() + 20
    with urllib.request.urlopen(req, timeout=20) as stream:
        while time.time() < deadline:
            line = stream.readline().decode()
            if line.startswith("data:") and "version.deleted" in line:
                event = json.loads(line[5:])
                assert event["type"] == "dev.model-ledger.version.deleted.v1" and event["data"]["version"] == "1.2.1"
                break
        else:
            raise AssertionError("no version.deleted event over SSE")


@step
def deletes_of_protected_things_refused():
    with as_role("writer") as c:
        refused(lambda: c.delete_model_version("churn", "2"), "INVALID_STATE", "Production")
        refused(lambda: c.delete_model_version("churn", "3"), "INVALID_STATE", "@champion")
        refused(lambda: c.delete_registered_model("churn"), "PERMISSION_DENIED")
    with as_role("promoter") as c:
        refused(lambda: c.delete_registered_model("churn"), "INVALID_STATE")
        c.delete_registered_model("fraud")
        assert [m.name for m in c.search_registered_models()] == ["churn"]


@step
def read_token_cannot_set_aliases():
    with as_role("reader") as c:
        refused(lambda: c.set_registered_model_alias("churn", "shadow", "3"), "PERMISSION_DENIED", "registry:write")
        refused(lambda: c.set_registered_model_alias("churn", "prod", "3"), "PERMISSION_DENIED")
        assert c.get_model_version_by_alias("churn", "prod").version == "2"


@step
def native_api_shows_mlflow_numbers_and_ajax_prefix_answers():
    status, body = http("GET", "/v1/models/churn/versions/1.1.0", "reader")
    assert status == 200 and body["mlflowVersion"] == 2, body
    status, body = http("GET", "/ajax-api/2.0/mlflow/registered-models/get?name=churn", "reader")
    assert status == 200 and body["registered_model"]["name"] == "churn", body


def main():
    failed = None
    for fn in STEPS:
        try:
            fn()
            print(f"ok {fn.__name__}", flush=True)
        except Exception:
            failed = fn.__name__
            print(f"FAIL {fn.__name__}\n{traceback.format_exc()}", flush=True)
            break
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
