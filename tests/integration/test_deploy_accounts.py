"""`python -m infra.accounts`: the first admin and API keys of a deployed stage (on moto)."""

from __future__ import annotations

import io
from argparse import Namespace
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import accounts
from infra.resources import describe_resources
from local.environment import PREFIX, REGION
from local.provision import LocalProvisioner, provision
from tests.integration.test_package import AWS_ENV


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A stage's resources and the stack outputs the commands read."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    from chalicelib import caches

    caches.reset_all()
    with mock_aws():
        provisioner: LocalProvisioner = provision(
            describe_resources(PREFIX, frontend_origins=[]), REGION
        )
        pepper = boto3.client("secretsmanager").create_secret(
            Name="pepper", SecretString="cloud-pepper"
        )["ARN"]
        outputs = {
            "UserPoolId": provisioner.outputs["UserPoolId"],
            "UserPoolClientId": provisioner.outputs["UserPoolClientId"],
            "CasesTableName": provisioner.refs["CasesTable"],
            "WebhooksTableName": provisioner.refs["WebhooksTable"],
            "ApiKeyPepperSecretArn": pepper,
            "FrontendUrl": "https://d111.cloudfront.net",
        }
        yield outputs
    caches.reset_all()


def test_admin_is_created_in_cognito_and_the_reviewer_directory(
    stage: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from chalicelib.aws.dynamodb import DynamoReviewerDirectory

    monkeypatch.setattr("sys.stdin", io.StringIO("Adm1n!password-42\n"))
    args = Namespace(email="ada@acme.test", name="Ada", tenant="acme")
    accounts.create_admin(stage, args)
    boto3.client("cognito-idp").admin_get_user(
        UserPoolId=stage["UserPoolId"], Username="ada@acme.test"
    )
    (reviewer,) = DynamoReviewerDirectory(stage["CasesTableName"]).list_reviewers("acme")
    assert (reviewer.email, reviewer.roles) == ("ada@acme.test", ["admin"])
    assert "https://d111.cloudfront.net" in capsys.readouterr().out


def test_api_key_is_stored_as_its_hash_with_the_stage_pepper(stage: dict[str, str]) -> None:
    from chalicelib.aws.dynamodb import DynamoTenantDirectory
    from chalicelib.aws.dynamodb_webhooks import DynamoWebhookStore
    from chalicelib.tenants.api_keys import hash_api_key

    api_key = accounts.create_api_key(stage, Namespace(tenant="acme", label="test"))
    directory = DynamoTenantDirectory(stage["CasesTableName"])
    assert directory.tenant_for_key_hash(hash_api_key(api_key, "cloud-pepper")) == "acme"
    assert directory.tenant_for_key_hash(hash_api_key(api_key, "local-pepper")) is None
    # The tenant's per-run webhook signing secret comes with it, not yet shown to anyone.
    signing = DynamoWebhookStore(stage["WebhooksTableName"]).get_signing_secret("acme")
    assert signing is not None and not signing.revealed
    accounts.create_api_key(stage, Namespace(tenant="acme", label="second"))
    assert DynamoWebhookStore(stage["WebhooksTableName"]).get_signing_secret("acme") == signing


def test_admin_with_an_email_of_another_tenant_is_refused_and_changes_nothing(
    stage: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.aws.cognito import CognitoUserPool
    from chalicelib.aws.dynamodb import DynamoReviewerDirectory
    from chalicelib.errors import Unauthenticated

    monkeypatch.setattr("sys.stdin", io.StringIO("Adm1n!password-42\n"))
    accounts.create_admin(stage, Namespace(email="ada@acme.test", name="Ada", tenant="acme"))

    monkeypatch.setattr("sys.stdin", io.StringIO("Other!password-43\n"))
    with pytest.raises(SystemExit, match="another tenant"):
        accounts.create_admin(stage, Namespace(email="ada@acme.test", name="Eve", tenant="evil"))

    cognito = boto3.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=stage["UserPoolId"], Username="ada@acme.test")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:tenant"] == "acme"
    pool = CognitoUserPool(stage["UserPoolId"], stage["UserPoolClientId"])
    assert pool.sign_in("ada@acme.test", "Adm1n!password-42").id_token
    with pytest.raises(Unauthenticated):
        pool.sign_in("ada@acme.test", "Other!password-43")
    assert DynamoReviewerDirectory(stage["CasesTableName"]).list_reviewers("evil") == []


def test_admin_again_in_the_same_tenant_resets_the_password(
    stage: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.aws.cognito import CognitoUserPool

    for password in ("Adm1n!password-42", "N3w!password-4242"):
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
        accounts.create_admin(stage, Namespace(email="ada@acme.test", name="Ada", tenant="acme"))
    pool = CognitoUserPool(stage["UserPoolId"], stage["UserPoolClientId"])
    assert pool.sign_in("ada@acme.test", "N3w!password-4242").id_token
