"""Accounts of a deployed stage: the first admin reviewer, and integrator API keys.

    python -m infra.accounts admin   --stage prod --tenant acme --email ada@acme.com --name "Ada"
    python -m infra.accounts api-key --stage prod --tenant acme --label "onboarding backend"

Both read the stack's outputs, so they need only AWS credentials with access to the stage. The
admin's password is asked for (or read from stdin when not a terminal), never a command-line
argument; the API key is generated, stored only as its peppered hash, and printed once.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from typing import Any

import boto3

from chalicelib.auth.accounts import register_reviewer
from chalicelib.aws.cognito import CognitoUserPool
from chalicelib.aws.dynamodb import DynamoReviewerDirectory, DynamoTenantDirectory
from chalicelib.aws.dynamodb_webhooks import DynamoWebhookStore
from chalicelib.errors import Conflict
from chalicelib.ids import utc_now
from chalicelib.tenants.api_keys import hash_api_key
from chalicelib.webhooks.tenant_secret import tenant_signing_secret


def stack_outputs(stack: str) -> dict[str, str]:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("password (12+ characters, upper, lower, digit, symbol): ")
    if getpass.getpass("again: ") != password:
        raise SystemExit("the passwords differ")
    return password


def create_admin(outputs: dict[str, str], args: Any) -> None:
    """Create the admin, or reset an existing account's password and groups if (and only if) it
    belongs to the same tenant."""
    try:
        reviewer = register_reviewer(
            CognitoUserPool(outputs["UserPoolId"], outputs["UserPoolClientId"]),
            DynamoReviewerDirectory(outputs["CasesTableName"]),
            email=args.email,
            name=args.name,
            tenant_id=args.tenant,
            roles=["admin"],
            password=read_password(),
        )
    except Conflict as exc:
        raise SystemExit(f"refused: {exc.message}") from exc
    print(f"admin {reviewer.email} ({reviewer.id}) of tenant {reviewer.tenant_id}")
    print(f"sign in at {outputs['FrontendUrl']}")


def create_api_key(outputs: dict[str, str], args: Any) -> str:
    pepper = boto3.client("secretsmanager").get_secret_value(
        SecretId=outputs["ApiKeyPepperSecretArn"]
    )["SecretString"]
    api_key = secrets.token_urlsafe(32)
    DynamoTenantDirectory(outputs["CasesTableName"]).put_api_key(
        hash_api_key(api_key, pepper), args.tenant, args.label, utc_now()
    )
    print(f"API key for tenant {args.tenant} (shown once, store it now): {api_key}")
    # The tenant's key for its runs' webhooks comes with the tenant (kept if it exists already).
    tenant_signing_secret(DynamoWebhookStore(outputs["WebhooksTableName"]), args.tenant)
    print("its admin reads the per-run webhook signing secret once in the back office")
    workflows = f"{outputs['FrontendUrl']}/api/v1/external/workflows"
    print(f"try: curl -H 'Authorization: Bearer {api_key}' {workflows}")
    return api_key


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m infra.accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("admin", "create the first admin reviewer"),
        ("api-key", "issue an integrator API key"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--stage", required=True)
        command.add_argument("--stack", help="default: kyc-backoffice-<stage>")
        command.add_argument("--tenant", required=True, help="tenant id, e.g. acme")
        if name == "admin":
            command.add_argument("--email", required=True)
            command.add_argument("--name", required=True)
        else:
            command.add_argument("--label", default="issued by infra.accounts")
    return root


def main(argv: list[str]) -> None:
    args = parser().parse_args(argv)
    outputs = stack_outputs(args.stack or f"kyc-backoffice-{args.stage}")
    (create_admin if args.command == "admin" else create_api_key)(outputs, args)


if __name__ == "__main__":
    main(sys.argv[1:])
