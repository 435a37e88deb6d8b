"""Artifact links that open in a browser: `result` hands out URLs signed for one file of one run, for a
short while; without the token they open only with a valid, unexpired signature of that very file."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.conftest import Server

from mantis.viewer.signing import Signer, artifact_subject

PLAN = [{"type": "navigate", "params": {"url": "{site}"}}, {"type": "extract_data", "intent": "the page"}]


@pytest.fixture(scope="module")
def links(server: Server, site: str) -> dict[str, str]:
    plane = {"compute_backend": "browser_use_plane", "detached": False}
    answer = server.predict({"micro": PLAN, "inputs": {"site": site}, **plane}).json()
    assert answer["status"] == "succeeded", answer
    return dict(answer["result"]["artifacts"])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_signed_link_opens_without_the_token(server: Server, links: dict[str, str]) -> None:
    url = links["extracted_rows.csv"]
    assert set(query(url)) == {"exp", "sig"}
    assert 0 < int(query(url)["exp"]) - time.time() <= 900
    opened = httpx.get(url)
    assert opened.status_code == 200
    run_id = urlsplit(url).path.split("/")[3]
    assert opened.content == (server.home / "runs" / run_id / "extracted_rows.csv").read_bytes()
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert opened.headers["content-security-policy"] == "sandbox"
    shot = next(name for name in links if name.endswith(".png"))
    assert httpx.get(links[shot]).headers["content-type"] == "image/png"


def test_the_token_still_works_and_nothing_else_does(server: Server, links: dict[str, str]) -> None:
    url = links["result.json"]
    bare = url.split("?")[0]
    assert httpx.get(bare, headers=server.headers()).status_code == 200
    refused = httpx.get(bare)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    other_file = links["extracted_rows.csv"].split("?")[0] + "?" + urlsplit(url).query
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    for wrong in (other_file, tampered, bare + "?exp=99999999999&sig=" + "0" * 64, bare + "?sig=abc"):
        answer = httpx.get(wrong)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature", wrong


def test_expired_and_viewer_signatures_do_not_open_files(server: Server, links: dict[str, str]) -> None:
    url = links["result.json"].split("?")[0]
    run_id = urlsplit(url).path.split("/")[3]
    signer = Signer.for_home(server.home)
    past = int(time.time()) - 5
    expired = httpx.get(f"{url}?exp={past}&sig={signer.sign(artifact_subject(run_id, 'result.json'), past)}")
    assert expired.status_code == 403
    later = int(time.time()) + 60
    as_viewer = httpx.get(f"{url}?exp={later}&sig={signer.sign(run_id, later)}")  # a live viewer's signature
    assert as_viewer.status_code == 403
    fresh = httpx.get(f"{url}?exp={later}&sig={signer.sign(artifact_subject(run_id, 'result.json'), later)}")
    assert fresh.status_code == 200
    missing = f"{url.rsplit('/', 1)[0]}/nope.txt"
    signed = f"{missing}?exp={later}&sig={signer.sign(artifact_subject(run_id, 'nope.txt'), later)}"
    assert httpx.get(signed).json()["error"]["code"] == "artifact_not_found"
