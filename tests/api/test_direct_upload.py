"""Direct uploads: part URLs presigned by the service, bytes sent straight to S3, the
blob PENDING until verified; a folder store answers 501."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx

from ..backends import server_url
from .conftest import ClientFactory
from .support import TestClient

MiB = 1024 * 1024


def test_parts_go_straight_to_s3_and_the_blob_stays_pending(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(blob_url=f"{server_url('blob')}/direct-{os.getpid()}-{tmp_path.name}?create_bucket=true&part_size_mb=5")
    data = os.urandom(12 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    started = client.post(f"/blobs/sha256/{digest}/uploads", json={"size": len(data)})
    assert started.status_code == 201, started.text
    plan = started.json()
    assert plan["partSize"] == 5 * MiB and [p["partNumber"] for p in plan["parts"]] == [1, 2, 3]
    etags = []
    for part in plan["parts"]:
        chunk = data[(part["partNumber"] - 1) * 5 * MiB: part["partNumber"] * 5 * MiB]
        sent = httpx.put(part["url"], content=chunk, headers={"content-type": "application/octet-stream"})
        assert sent.status_code == 200, sent.text
        etags.append({"partNumber": part["partNumber"], "etag": sent.headers["etag"]})
    done = client.post(f"/blobs/sha256/{digest}/uploads/{plan['uploadId']}/complete", json={"parts": etags})
    assert done.json() == {"digest": digest, "size": len(data), "status": "PENDING"}
    blob = client.post("/graphql", json={"query": f'{{ blob(digest: "{digest}") {{ status size }} }}'}).json()
    assert blob["data"]["blob"] == {"status": "PENDING", "size": len(data)}
    with client.stream("GET", f"/blobs/sha256/{digest}?redirect=0") as response:
        assert hashlib.sha256(response.read()).hexdigest() == digest
    again = client.post(f"/blobs/sha256/{digest}/uploads", json={"size": len(data)})
    assert again.json() == {"exists": True}


def test_abandoned_upload_leaves_nothing(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(blob_url=f"{server_url('blob')}/abort-{os.getpid()}-{tmp_path.name}?create_bucket=true&part_size_mb=5")
    digest = hashlib.sha256(b"never sent").hexdigest()
    plan = client.post(f"/blobs/sha256/{digest}/uploads", json={"size": 10}).json()
    httpx.put(plan["parts"][0]["url"], content=b"never sent", headers={"content-type": "application/octet-stream"})
    assert client.delete(f"/blobs/sha256/{digest}/uploads/{plan['uploadId']}").status_code == 204
    assert client.head(f"/blobs/sha256/{digest}").status_code == 404
    negative = client.post(f"/blobs/sha256/{digest}/uploads", json={"size": -1})
    assert (negative.status_code, negative.json()["error"]["message"]) == (400, "size -1 is negative")
    broken = client.post(f"/blobs/sha256/{digest}/uploads", content=b"[")
    assert (broken.status_code, broken.json()["error"]["message"]) == (400, "the request body must be a JSON object")


def test_folder_store_answers_501(client: TestClient) -> None:
    answer = client.post(f"/blobs/sha256/{'a' * 64}/uploads", json={"size": 10})
    assert answer.status_code == 501
    assert answer.json() == {"error": {"code": "BAD_INPUT",
                                       "message": "this blob store takes bytes through PUT /blobs/sha256/{digest} only"}}
