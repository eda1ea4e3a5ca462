#!/usr/bin/env python3
"""Check the S3 features provgraph needs against a running S3-compatible server.

Reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and
PROVGRAPH_BLOB_URL (s3://BUCKET/prefix) from the environment, e.g.:

    set -a; . .provgraph/services.env; set +a; python3 infra/s3proxy/check_s3.py

Prints one line per feature (OK / FAIL) and exits 1 if any failed. Needs boto3 only.
Objects it writes live under <prefix>/_check/ and are deleted at the end.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "?")


def main() -> int:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    blob_url = urllib.parse.urlsplit(os.environ.get("PROVGRAPH_BLOB_URL", "s3://provgraph-test/blobs"))
    bucket = blob_url.netloc
    prefix = blob_url.path.strip("/") + "/_check"

    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"max_attempts": 1})
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region, config=cfg)

    results: list[tuple[str, bool, str]] = []

    def check(name):
        def deco(fn):
            try:
                detail = fn() or ""
                results.append((name, True, detail))
            except Exception as exc:  # noqa: BLE001 - report every failure
                results.append((name, False, f"{type(exc).__name__}: {exc}"))
                if os.environ.get("CHECK_S3_DEBUG"):
                    traceback.print_exc()
            return fn
        return deco

    @check("list buckets (aws-v4 auth)")
    def _():
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        if bucket not in names:
            s3.create_bucket(Bucket=bucket)
        return f"buckets={names or '[]'}"

    @check("wrong secret refused")
    def _():
        bad = boto3.client("s3", endpoint_url=endpoint, region_name=region, config=cfg,
                           aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key="wrong-secret")
        try:
            bad.list_buckets()
        except ClientError as exc:
            return f"refused with {error_code(exc)}"
        raise AssertionError("request with a wrong secret was accepted")

    body = os.urandom(100_000)
    key = f"{prefix}/small.bin"

    @check("put_object ChecksumAlgorithm=SHA256")
    def _():
        r = s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256",
                          Metadata={"provgraph-sha256": hashlib.sha256(body).hexdigest()})
        got = r.get("ChecksumSHA256")
        return f"etag={r['ETag']} ChecksumSHA256 echoed={'yes' if got == b64sha256(body) else got}"

    @check("put_object with boto3's default checksum (CRC32, when_supported)")
    def _():
        r = s3.put_object(Bucket=bucket, Key=f"{prefix}/default-crc.bin", Body=body)
        return f"ChecksumCRC32 echoed={'yes' if r.get('ChecksumCRC32') else 'no'}"

    @check("get_object round trip + user metadata")
    def _():
        r = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        data = r["Body"].read()
        assert data == body, "content differs"
        assert r["Metadata"].get("provgraph-sha256") == hashlib.sha256(body).hexdigest(), r["Metadata"]
        return f"ChecksumSHA256 on GET={'yes' if r.get('ChecksumSHA256') else 'no'}"

    @check("wrong x-amz-checksum-sha256 refused (BadDigest)")
    def _():
        wrong = b64sha256(b"not the body")
        try:
            s3.put_object(Bucket=bucket, Key=f"{prefix}/bad.bin", Body=body,
                          ChecksumSHA256=wrong)
        except ClientError as exc:
            code = error_code(exc)
            assert code in ("BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest"), code
            try:
                s3.head_object(Bucket=bucket, Key=f"{prefix}/bad.bin")
                raise AssertionError("object was stored despite the error")
            except ClientError as exc2:
                assert error_code(exc2) in ("404", "NoSuchKey"), error_code(exc2)
            return f"refused with {code}, nothing stored"
        raise AssertionError("a wrong checksum was accepted")

    @check("ranged GET")
    def _():
        r = s3.get_object(Bucket=bucket, Key=key, Range="bytes=100-199")
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206, r["ResponseMetadata"]["HTTPStatusCode"]
        assert r["Body"].read() == body[100:200]
        assert r["ContentRange"] == f"bytes 100-199/{len(body)}", r["ContentRange"]
        r = s3.get_object(Bucket=bucket, Key=key, Range="bytes=-10")
        assert r["Body"].read() == body[-10:], "suffix range"
        r = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={len(body) - 5}-")
        assert r["Body"].read() == body[-5:], "open range"
        return "206, Content-Range ok, suffix and open ranges ok"

    big = os.urandom(20 * MiB + 12345)
    big_key = f"{prefix}/multipart.bin"
    part_size = 8 * MiB

    @check("multipart upload 20 MiB / 8 MiB parts, SHA256 per part")
    def _():
        mpu = s3.create_multipart_upload(Bucket=bucket, Key=big_key, ChecksumAlgorithm="SHA256")
        uid = mpu["UploadId"]
        parts = []
        try:
            for i, off in enumerate(range(0, len(big), part_size), start=1):
                chunk = big[off:off + part_size]
                r = s3.upload_part(Bucket=bucket, Key=big_key, UploadId=uid, PartNumber=i,
                                   Body=chunk, ChecksumAlgorithm="SHA256")
                parts.append({"PartNumber": i, "ETag": r["ETag"],
                              "ChecksumSHA256": r.get("ChecksumSHA256") or b64sha256(chunk)})
            s3.complete_multipart_upload(Bucket=bucket, Key=big_key, UploadId=uid,
                                         MultipartUpload={"Parts": parts})
        except Exception:
            s3.abort_multipart_upload(Bucket=bucket, Key=big_key, UploadId=uid)
            raise
        head = s3.head_object(Bucket=bucket, Key=big_key)
        assert head["ContentLength"] == len(big), head["ContentLength"]
        data = s3.get_object(Bucket=bucket, Key=big_key)["Body"].read()
        assert hashlib.sha256(data).digest() == hashlib.sha256(big).digest(), "content differs"
        r = s3.get_object(Bucket=bucket, Key=big_key, Range=f"bytes={part_size - 4}-{part_size + 3}")
        assert r["Body"].read() == big[part_size - 4:part_size + 4], "range across parts"
        return f"{len(parts)} parts, etag={head['ETag']}, range across part boundary ok"

    @check("multipart part with wrong checksum refused")
    def _():
        k = f"{prefix}/mpu-bad.bin"
        uid = s3.create_multipart_upload(Bucket=bucket, Key=k, ChecksumAlgorithm="SHA256")["UploadId"]
        try:
            s3.upload_part(Bucket=bucket, Key=k, UploadId=uid, PartNumber=1,
                           Body=b"x" * MiB, ChecksumSHA256=b64sha256(b"y"))
        except ClientError as exc:
            return f"refused with {error_code(exc)}"
        finally:
            s3.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=uid)
        raise AssertionError("a part with a wrong checksum was accepted")

    @check("upload_fileobj (boto3 managed multipart, 8 MiB threshold)")
    def _():
        import io
        from boto3.s3.transfer import TransferConfig
        k = f"{prefix}/managed.bin"
        tc = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB,
                            max_concurrency=2)
        s3.upload_fileobj(io.BytesIO(big), bucket, k, Config=tc,
                          ExtraArgs={"ChecksumAlgorithm": "SHA256"})
        out = io.BytesIO()
        s3.download_fileobj(bucket, k, out, Config=tc)
        assert out.getvalue() == big, "content differs"
        return "upload + ranged parallel download ok"

    @check("presigned GET (urllib)")
    def _():
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=300)
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.read() == body, "content differs"
        tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        try:
            urllib.request.urlopen(tampered, timeout=30)
            raise AssertionError("tampered presigned URL accepted")
        except urllib.error.HTTPError as exc:
            return f"ok; tampered signature -> HTTP {exc.code}"

    @check("presigned GET, boto3 default signer (SigV2) refused as expected")
    def _():
        v2 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                          config=Config(s3={"addressing_style": "path"}))
        url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=300)
        try:
            with urllib.request.urlopen(url, timeout=30):
                return "accepted (server allows SigV2)"
        except urllib.error.HTTPError as exc:
            assert "X-Amz-Signature" not in url
            return f"HTTP {exc.code}: use Config(signature_version='s3v4') to presign"

    @check("presigned PUT (urllib)")
    def _():
        k = f"{prefix}/presigned-put.bin"
        data = os.urandom(50_000)
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": k},
                                        ExpiresIn=300)
        # An explicit Content-Type is needed: urllib's default for a body,
        # application/x-www-form-urlencoded, makes S3Proxy's Jetty parse the body as form
        # fields that end up in the signed query (SignatureDoesNotMatch or 400).
        req = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200, resp.status
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == data
        return "ok"

    @check("ListObjectsV2 with prefix + pagination")
    def _():
        keys = []
        token = None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/", MaxKeys=2, **kw)
            keys += [o["Key"] for o in r.get("Contents", [])]
            if not r.get("IsTruncated"):
                break
            token = r["NextContinuationToken"]
        assert key in keys and big_key in keys, keys
        return f"{len(keys)} keys"

    @check("conditional put If-None-Match=* (second one refused)")
    def _():
        k = f"{prefix}/once.bin"
        s3.put_object(Bucket=bucket, Key=k, Body=b"1", IfNoneMatch="*")
        try:
            s3.put_object(Bucket=bucket, Key=k, Body=b"2", IfNoneMatch="*")
        except ClientError as exc:
            return f"refused with {error_code(exc)}"
        raise AssertionError("second If-None-Match=* put was accepted")

    @check("delete objects")
    def _():
        r = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
        objs = [{"Key": o["Key"]} for o in r.get("Contents", [])]
        if objs:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objs})
        left = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("KeyCount", 0)
        assert left == 0, left
        return f"{len(objs)} deleted"

    failed = 0
    for name, ok, detail in results:
        failed += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {name}: {detail}")
    # Not worded "N passed, N failed": CI would read that as the project's test count.
    print(f"S3 CHECK {'OK' if not failed else 'FAILED'}: {len(results) - failed} of {len(results)} features work")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
