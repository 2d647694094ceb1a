"""Credentials, options and the optional dependency: what a user gets wrong, and what must never leak."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from residency_scan import discovery
from residency_scan.discovery import AwsCredentialsError, AwsSupportMissing, inventory_yaml
from residency_scan.discovery.aws import AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.aws_session import AwsSessions, SessionSettings, describe_error, read_role_arns
from residency_scan.errors import InputError, UsageError
from residency_scan.models import Entity
from tests.discovery.conftest import FAKE_KEY_ID, FAKE_SECRET, json_error, signed_scope
from tests.discovery.world import PARIS, REGIONS, ROLE_B


def test_credentials_appear_nowhere_in_the_result_or_the_inventory(aws: str) -> None:
    leaked_key = "ASIAABCDEFGHIJKLMNOP"

    def leak(request: Any, **_: Any) -> Any:  # an error message quoting an access key must not be repeated
        if signed_scope(request)[1] == "logs":
            return json_error(400, "UnrecognizedClientException", f"The security token {leaked_key} is invalid")
        return None

    sessions = AwsSessions(SessionSettings(max_attempts=1), event_handlers=[("before-send.cloudwatch-logs", leak)])
    result = discover_aws(AwsDiscoveryOptions(role_arns=(ROLE_B,), regions=REGIONS, access_events=False),
                          sessions=sessions)
    text = result.model_dump_json() + inventory_yaml(result, Entity(name="x")) + "\n".join(result.gap_lines())
    assert result.gaps and all(gap.service == "logs" for gap in result.gaps)
    for secret in (FAKE_KEY_ID, FAKE_SECRET, leaked_key):
        assert secret not in text
    assert "The security token [access key] is invalid" in text


def test_no_credentials_at_all_is_one_clear_error(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsCredentialsError, match="no AWS credentials found: give --profile"):
        discover_aws(AwsDiscoveryOptions(regions=(PARIS,)))


def test_an_unknown_profile_is_a_usage_error(aws: str) -> None:
    with pytest.raises(UsageError, match="AWS profile 'nope' is not in the AWS config files"):
        discover_aws(AwsDiscoveryOptions(profile="nope", regions=(PARIS,)))


def test_a_named_profile_supplies_the_credentials(aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[audit]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n",
                           encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = discover_aws(AwsDiscoveryOptions(profile="audit", regions=(PARIS,), services=("dynamodb",),
                                              access_events=False))
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["patients"]


@pytest.mark.parametrize(("options", "message"), [
    ({"regions": ("paris",)}, "'paris' is not an AWS region name"),
    ({"services": ("dynamo",)}, "did you mean 'dynamodb'?"),
    ({"role_arns": ("arn:aws:iam::1234:role/x",)}, "is not an IAM role ARN"),
    ({"concurrency": 0}, "--concurrency must be between 1 and 64"),
    ({"max_attempts": 50}, "--max-attempts must be between 1 and 20"),
    ({"events_days": 91}, "CloudTrail keeps 90 days"),
    ({"max_events": 0}, "--max-events must be between 1 and 10000"),
    ({"sensitivity_tags": ()}, "at least one sensitivity tag"),
])
def test_wrong_options_are_refused_before_any_call(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        discover_aws(AwsDiscoveryOptions(**options))


def test_an_accounts_file_lists_roles_and_names_the_line_of_a_mistake(tmp_path: Path) -> None:
    good = tmp_path / "accounts.txt"
    good.write_text(f"# production\n{ROLE_B}  # registre\n\n{ROLE_B}\narn:aws-cn:iam::333333333333:role/a\n",
                    encoding="utf-8")
    assert read_role_arns(good) == (ROLE_B, "arn:aws-cn:iam::333333333333:role/a")
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{ROLE_B}\n222222222222\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_role_arns(bad)
    assert [(p.line, p.message) for p in raised.value.problems] == [(2, "'222222222222' is not an IAM role ARN")]
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="lists no role ARN"):
        read_role_arns(empty)
    with pytest.raises(InputError, match="cannot read the accounts file"):
        read_role_arns(tmp_path / "missing.txt")


def test_error_descriptions_are_bounded_one_line_and_without_keys() -> None:
    code, message = describe_error(RuntimeError("line one\nline two AKIAABCDEFGHIJKLMNOP " + "x" * 1000))
    assert code == "RuntimeError"
    assert "\n" not in message and "AKIA" not in message and len(message) <= 301


def test_without_boto3_discovery_asks_for_the_aws_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    prefixes = ("boto3", "botocore", "residency_scan.discovery.aws")
    for name in [name for name in sys.modules if name.startswith(prefixes)]:
        monkeypatch.delitem(sys.modules, name)
    for module in ("aws", "aws_session", "aws_context", "aws_services", "aws_global", "aws_events"):
        monkeypatch.delattr(discovery, module, raising=False)
    monkeypatch.setitem(sys.modules, "boto3", None)  # importing them now raises ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "botocore", None)
    with pytest.raises(AwsSupportMissing, match=r"pip install 'residency-scan\[aws\]'"):
        discovery.discover_aws(discovery.aws_options(regions=(PARIS,)))
    assert AwsSupportMissing().exit_code == 2
    importlib.import_module("residency_scan.discovery.result")  # the result types need no SDK
