"""Artifacts in S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, ...), through boto3.

A run's files are made in a scratch folder of the worker (`MANTIS_HOME/runs/<run_id>`), uploaded under
`<prefix><run_id>/<name>` when the run ends, and the scratch folder is removed. Credentials come from
boto3's usual chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance role).
"""

from __future__ import annotations

import json
import mimetypes
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from mantis.artifacts.base import is_artifact_name
from mantis.config import Settings

# Retries for a flaky link to the store, in botocore's standard mode (its documented default of 3 tries).
RETRIES = {"max_attempts": 5, "mode": "standard"}
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Artifacts:
    def __init__(self, bucket: str, prefix: str, scratch: Path, client: Any) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._scratch = scratch
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Artifacts:
        url = urlsplit(settings.artifacts)
        prefix = url.path.strip("/")
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            config=Config(retries=RETRIES),
        )
        return cls(url.netloc, f"{prefix}/" if prefix else "", settings.home / "runs", client)

    def _key(self, run_id: str, name: str) -> str:
        return f"{self._prefix}{run_id}/{name}"

    def workdir(self, run_id: str) -> Path:
        folder = self._scratch / run_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, run_id: str, final: bool = True) -> None:
        folder = self._scratch / run_id
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            if is_artifact_name(path.name) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self._client.upload_file(
                    str(path), self._bucket, self._key(run_id, path.name), ExtraArgs={"ContentType": kind}
                )
        if final:
            shutil.rmtree(folder, ignore_errors=True)

    def put_json(self, run_id: str, name: str, data: Any) -> None:
        body = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
        self._client.put_object(
            Bucket=self._bucket,
            Key=self._key(run_id, name),
            Body=body.encode("utf-8"),
            ContentType="application/json",
        )

    def read(self, run_id: str, name: str) -> bytes | None:
        if not is_artifact_name(name):
            return None
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key(run_id, name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        data: bytes = answer["Body"].read()
        return data

    def sizes(self, run_id: str) -> dict[str, int]:
        folder = self._key(run_id, "")
        out: dict[str, int] = {}
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=folder)
        for page in pages:
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(folder) :]
                if is_artifact_name(name):
                    out[name] = int(item["Size"])
        return out

    def local_file(self, run_id: str, name: str) -> Path | None:
        return None

    def location(self, run_id: str, name: str) -> str:
        return f"s3://{self._bucket}/{self._key(run_id, name)}"
