"""Sessions, credentials and client settings for AWS discovery: the only module that touches credentials.

- Credentials come from boto3's standard chain (`--profile`, environment, SSO, instance or task role), resolved
  once; each role given with `--role-arn` is assumed from them with botocore's own `AssumeRoleCredentialFetcher`,
  which refreshes before expiry. Credentials are handed to clients and nowhere else: never logged, never in a
  result, never in an error message (`describe_error` also redacts anything shaped like an access key).
- boto3 sessions are not thread-safe, clients are (boto3 guide, "Multithreading or multiprocessing with
  sessions"): the one session is used under a lock, to make clients, and the workers share the clients.
- Every client uses botocore's *adaptive* retry mode (client-side rate limiting on throttling) and honours
  boto3's standard endpoint configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, `endpoint_url` in
  the profile), which is how the tests and the benchmark run the same code against a local moto server.
- A `before-call` / `before-send` hook on every session counts API operations and HTTP attempts per service.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from botocore.credentials import (  # type: ignore[import-untyped,unused-ignore]
    AssumeRoleCredentialFetcher,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    BotoCoreError,
    ClientError,
    ProfileNotFound,
)

from residency_scan.discovery.result import AwsCredentialsError
from residency_scan.errors import InputError, Problem, UsageError
from residency_scan.inventory.suggest import printable, shown

ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/[A-Za-z0-9_+=,.@/-]{1,512}")
#: Where a partition's global services (S3 listing, CloudFront, Route 53, STS) are called.
CONTROL_REGION = {"aws": "us-east-1", "aws-cn": "cn-northwest-1", "aws-us-gov": "us-gov-west-1"}
MAX_ACCOUNTS_FILE = 1024 * 1024
MAX_MESSAGE = 300
MAX_CLIENTS = 256  # recently used clients kept for reuse (S3 chunks, EC2 and EBS share one)
EventHandler = Callable[..., Any]

_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9/+=]{100,}")
_XML_CODE = re.compile(r"<Code>([A-Za-z0-9.]{1,80})</Code>")
_HTML_TAG = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class AwsAccess:
    """How one account is reached: the base credentials themselves, or a role assumed with them."""

    role_arn: str | None = None
    external_id: str | None = None

    @property
    def account_hint(self) -> str | None:
        """The account id written in the role ARN (known before the role is assumed)."""
        match = ROLE_ARN.fullmatch(self.role_arn or "")
        return match.group(2) if match else None

    @property
    def partition(self) -> str | None:
        match = ROLE_ARN.fullmatch(self.role_arn or "")
        return match.group(1) if match else None


@dataclass(frozen=True)
class SessionSettings:
    profile: str | None = None
    max_attempts: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 10
    role_session_name: str = "residency-scan"


class ApiCallCounter:
    """API operations (`before-call`) and HTTP attempts (`before-send`, retries included) per service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()

    def on_call(self, event_name: str = "", **_: Any) -> None:
        with self._lock:
            self.calls[_service_of(event_name)] += 1

    def on_send(self, event_name: str = "", **_: Any) -> None:
        with self._lock:
            self.requests[_service_of(event_name)] += 1


def _service_of(event_name: str) -> str:
    parts = event_name.split(".")
    return parts[1] if len(parts) > 1 else "unknown"


class AwsSessions:
    """Credentials per account, and the clients of every worker. `event_handlers` are registered on the session
    (the tests inject AWS errors with `before-send` handlers, which go through botocore's real retry logic)."""

    def __init__(self, settings: SessionSettings | None = None, *,
                 event_handlers: Sequence[tuple[str, EventHandler]] = ()) -> None:
        self.settings = settings or SessionSettings()
        self.config = Config(
            retries={"mode": "adaptive", "total_max_attempts": self.settings.max_attempts},
            connect_timeout=self.settings.connect_timeout, read_timeout=self.settings.read_timeout,
            max_pool_connections=self.settings.max_pool_connections, user_agent_extra="residency-scan")
        self.counter = ApiCallCounter()
        # NOTE: the session is used by one thread at a time (this lock); the clients it makes are shared. A
        # session per thread was measured: each one loads every service model again, which made 8 workers
        # five times slower than one on a 2-core machine (bench/bench_discovery.py).
        self._lock = threading.RLock()
        self._session = self._new_session(event_handlers)
        self._credentials: dict[AwsAccess, Any] = {}
        self._clients: OrderedDict[tuple[str, str, str, str | None], Any] = OrderedDict()

    def _new_session(self, event_handlers: Sequence[tuple[str, EventHandler]]) -> Any:
        try:
            session = boto3.Session(profile_name=self.settings.profile)
        except ProfileNotFound:
            raise UsageError(f"AWS profile {shown(self.settings.profile)} is not in the AWS config files "
                             "(~/.aws/config, ~/.aws/credentials)") from None
        for event, handler in (("before-call", self.counter.on_call), ("before-send", self.counter.on_send),
                               *event_handlers):
            session.events.register(event, handler)
        return session

    def credentials(self, access: AwsAccess) -> Any:
        """The (refreshable) credentials of one account; raises `AwsCredentialsError` without base ones."""
        with self._lock:
            found = self._credentials.get(access)
            if found is not None:
                return found
            base = self._credentials.get(AwsAccess()) or self._base_credentials()
            self._credentials[AwsAccess()] = base
            if access.role_arn is None:
                return base
            extra = {"RoleSessionName": self.settings.role_session_name}
            if access.external_id:
                extra["ExternalId"] = access.external_id
            fetcher = AssumeRoleCredentialFetcher(self._sts_creator(access.partition or "aws"), base,
                                                  access.role_arn, extra_args=extra)
            found = DeferredRefreshableCredentials(refresh_using=fetcher.fetch_credentials, method="assume-role")
            self._credentials[access] = found
            return found

    def _base_credentials(self) -> Any:
        try:
            found = self._session.get_credentials()
        except BotoCoreError as exc:
            raise AwsCredentialsError(f"AWS credentials could not be loaded: {describe_error(exc)[1]}") from None
        if found is None:
            raise AwsCredentialsError(
                "no AWS credentials found: give --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, run 'aws sso login', or run where an instance or task role is attached")
        return found

    def _sts_creator(self, partition: str) -> Callable[..., Any]:
        """Client factory for the role fetcher, which refreshes on whichever thread needs the credentials."""
        def create(service_name: str, **kwargs: Any) -> Any:
            with self._lock:
                return self._session.client(service_name, region_name=CONTROL_REGION.get(partition, "us-east-1"),
                                            config=self.config, **kwargs)
        return create

    def client(self, access: AwsAccess, service: str, region: str) -> Any:
        """A client of `service` in `region` for one account (clients are thread-safe; they are shared)."""
        frozen = self.credentials(access).get_frozen_credentials()  # may assume the role: outside the lock
        key = (service, region, frozen.access_key, frozen.token)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            client = self._session.client(service, region_name=region, config=self.config,
                                          aws_access_key_id=frozen.access_key,
                                          aws_secret_access_key=frozen.secret_key, aws_session_token=frozen.token)
            self._clients[key] = client
            if len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            return client


def partition_of(region: str) -> str:
    """The partition a region name belongs to (moto lists every partition's regions; AWS only the caller's)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if "-iso" in region:
        return "aws-iso"
    return "aws"


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(error code, message) of a failed call, bounded, on one line, with anything credential-like removed."""
    if isinstance(exc, ClientError):
        response: dict[str, Any] = exc.response or {}
        error = response.get("Error") or {}
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        code = str(error.get("Code") or status or "ClientError")
        message = str(error.get("Message") or "")
        embedded = _XML_CODE.search(message) if code.isdigit() else None
        if embedded:  # a body botocore could not parse for this protocol (an XML error from a JSON service)
            code = embedded.group(1)
        retries = (response.get("ResponseMetadata") or {}).get("RetryAttempts")
        if retries:
            message += f" (after {retries} retries)"
    else:
        code, message = type(exc).__name__, str(exc)
    return printable(code, 80), tidy(message or code)


def tidy(message: str) -> str:
    text = _HTML_TAG.sub(" ", message)
    text = _ACCESS_KEY.sub("[access key]", text)
    text = _LONG_TOKEN.sub("[token]", text)
    return printable(_SPACES.sub(" ", text).strip(), MAX_MESSAGE)


def check_role_arn(value: str) -> str:
    """A role ARN from the command line, or `UsageError` saying what one looks like."""
    text = value.strip()
    if not ROLE_ARN.fullmatch(text):
        raise UsageError(f"--role-arn {shown(value)} is not an IAM role ARN "
                         "(arn:aws:iam::123456789012:role/NAME)")
    return text


def read_role_arns(path: Path) -> tuple[str, ...]:
    """An accounts file: one role ARN per line; blank lines and `#` comments ignored; duplicates once."""
    display = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_ACCOUNTS_FILE + 1)
    except OSError as exc:
        raise InputError([Problem(display, f"cannot read the accounts file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_ACCOUNTS_FILE:
        raise InputError([Problem(display, f"the accounts file is over {MAX_ACCOUNTS_FILE} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(display, "the accounts file is not UTF-8 text")]) from None
    found: dict[str, None] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if ROLE_ARN.fullmatch(value):
            found.setdefault(value)
        else:
            problems.append(Problem(display, f"{shown(value)} is not an IAM role ARN", line=number,
                                    hint="one role per line: arn:aws:iam::123456789012:role/NAME"))
    if problems:
        raise InputError(problems[:100])
    if not found:
        raise InputError([Problem(display, "the accounts file lists no role ARN",
                                  hint="one role per line: arn:aws:iam::123456789012:role/NAME")])
    return tuple(found)
