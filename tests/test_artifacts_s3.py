"""The S3 artifact store against a real S3-protocol server on loopback (moto's server mode): the store on
its own, and a server whose runs' files live only in the bucket."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import httpx
import pytest
from tests.conftest import Server, free_port, start_server, stop_server

from mantis.artifacts.s3 import S3Artifacts
from mantis.config import Settings

MOTO = Path(sys.executable).parent / "moto_server"
BUCKET = "mantis-artifacts"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("ab")
    process = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    for name, value in CREDENTIALS.items():
        monkeypatch_module.setenv(name, value)
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def store(endpoint: str, home: Path, prefix: str) -> S3Artifacts:
    settings = Settings(home=home, plans_dir=home, database_url="sqlite://")
    return S3Artifacts.from_settings(
        replace(settings, artifacts=f"s3://{BUCKET}/{prefix}", s3_endpoint_url=endpoint)
    )


def test_published_files_are_read_back_and_the_scratch_folder_goes(s3_endpoint: str, tmp_path: Path) -> None:
    artifacts = store(s3_endpoint, tmp_path, "unit/")
    folder = artifacts.workdir("run-a")
    (folder / "leads.csv").write_text("name\nWidget\n")
    (folder / "step_001.png").write_bytes(b"\x89PNG fake")
    (folder / ".computer").mkdir()
    (folder / "result.json.tmp").write_text("half")
    artifacts.publish("run-a")
    artifacts.put_json("run-a", "status.json", {"status": "succeeded"})
    assert not folder.exists()
    sizes = artifacts.sizes("run-a")
    assert sizes.keys() == {"leads.csv", "step_001.png", "status.json"} and sizes["step_001.png"] == 9
    assert json.loads(artifacts.read("run-a", "status.json") or b"") == {"status": "succeeded"}
    assert artifacts.read("run-a", "leads.csv") == b"name\nWidget\n"
    assert artifacts.read("run-a", "missing.csv") is None
    assert artifacts.read("run-b", "leads.csv") is None  # another run's folder is not this one's
    for hostile in ("../run-a/leads.csv", ".hidden", "a/b", "x\x00y", "result.json.tmp"):
        assert artifacts.read("run-a", hostile) is None
    assert artifacts.location("run-a", "leads.csv") == f"s3://{BUCKET}/unit/run-a/leads.csv"
    assert artifacts.local_file("run-a", "leads.csv") is None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("mantis-s3"),
        MANTIS_ARTIFACTS=f"s3://{BUCKET}/served",
        MANTIS_S3_ENDPOINT_URL=s3_endpoint,
        **CREDENTIALS,
    )
    yield running
    stop_server(running)


def test_a_run_s_files_live_in_the_bucket_and_the_api_serves_them(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {
            "type": "extract_data",
            "extract": {"fields": [{"name": "name"}, {"name": "price", "type": "int"}], "max_items": 3},
        },
    ]
    handle = server.predict({"micro": plan, "compute_backend": "browser_use_plane"}).json()
    run_id = handle["run_id"]
    assert handle["csv_path"] == f"s3://{BUCKET}/served/{run_id}/leads.csv"
    assert server.wait(run_id)["status"] == "succeeded"
    result = server.predict({"action": "result", "run_id": run_id}).json()["result"]
    assert [row["name"] for row in result["rows"]] == ["Widget Pro", "Gizmo Max", "Doohickey"]
    assert {"leads.csv", "result.json", "status.json", "events.log"} <= set(result["artifacts"])
    csv = httpx.get(result["artifacts"]["leads.csv"], headers=server.headers(), timeout=30)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Gizmo Max" in csv.text
    shot = next(name for name in result["artifacts"] if name.endswith(".png"))
    image = httpx.get(result["artifacts"][shot], headers=server.headers(), timeout=30)
    assert image.content.startswith(b"\x89PNG")
    missing = httpx.get(f"{server.url}/v1/runs/{run_id}/artifacts/nope.csv", headers=server.headers())
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "artifact_not_found"
    assert not (server.home / "runs" / run_id).exists()  # nothing kept on the server's disk
    bucket = boto3.client("s3", endpoint_url=server.env["MANTIS_S3_ENDPOINT_URL"])
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"served/{run_id}/")
    assert f"served/{run_id}/result.json" in {item["Key"] for item in listed["Contents"]}
