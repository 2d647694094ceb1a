"""A moto server on 127.0.0.1 for the discovery tests, with boto3 pointed at it through AWS_ENDPOINT_URL.

What is real and what is injected (see also docs in each test):
- real (moto's behaviour): every resource, tag and region; S3 bucket locations including the legacy 'EU'; the
  second account, reached by assuming a role (moto maps the returned credentials to the role's account); the
  opt-in status of regions ('not-opted-in' for il-central-1 and others); AccessDenied from IAM policies (moto's
  policy enforcement, switched on for one test); an endpoint that refuses connections;
- injected with botocore event handlers, because moto cannot produce them: throttling (a `before-send` handler
  answering HTTP 400 ThrottlingException, so botocore's real adaptive retry logic runs), a region that refuses
  every call (`before-call` answering AuthFailure), single failures (one bucket's location, the tagging API,
  a role that cannot be assumed) and CloudTrail LookupEvents answers (moto does not implement the operation).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]
from moto.server import ThreadedMotoServer

from tests.discovery.world import build_world

FAKE_KEY_ID = "AKIAFAKETESTKEY00001"
FAKE_SECRET = "fake-secret-0123456789-must-never-appear"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def start_moto() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One moto server for the session, the world built in it once; the environment points boto3 at it."""
    server, endpoint = start_moto()
    home = tmp_path_factory.mktemp("aws-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        patch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_CONFIG_FILE", str(home / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never reach for an instance metadata service
        build_world()
        yield endpoint
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str) -> str:
    """Every discovery test runs with this environment (the session fixture set it)."""
    return moto_endpoint


def signed_scope(request: Any) -> tuple[str | None, str | None]:
    """(region, service) a request was signed for: a custom endpoint URL no longer names the region."""
    header = request.headers.get("Authorization") or b""
    text = header.decode() if isinstance(header, bytes) else str(header)
    found = _CREDENTIAL_SCOPE.search(text)
    return (found.group(1), found.group(2)) if found else (None, None)


def json_error(status: int, code: str, message: str) -> AWSResponse:
    """An error answer of a JSON-protocol service (DynamoDB, CloudTrail...), as AWS sends it."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse("https://aws.invalid/", status, {"Content-Type": "application/x-amz-json-1.0"},
                       Raw(body))


def xml_error(status: int, code: str, message: str) -> AWSResponse:
    """An error answer of S3, as AWS sends it."""
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return AWSResponse("https://aws.invalid/", status, {"Content-Type": "application/xml"}, Raw(body.encode()))


def json_answer(payload: dict[str, Any]) -> AWSResponse:
    return AWSResponse("https://aws.invalid/", 200, {"Content-Type": "application/x-amz-json-1.1"},
                       Raw(json.dumps(payload, default=str).encode()))


def parsed_error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    """A `before-call` answer: botocore raises it as a ClientError without sending anything (any protocol)."""
    return (AWSResponse("https://aws.invalid/", status, {}, Raw(b"")),
            {"Error": {"Code": code, "Message": message},
             "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}})


class Raw:
    """The urllib3-like body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._body


class Recorder:
    """Counts what an injected handler saw, from several threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str | None, str | None]] = []

    def add(self, item: tuple[str | None, str | None]) -> int:
        with self.lock:
            self.seen.append(item)
            return len(self.seen)


Handler = Callable[..., Any]
