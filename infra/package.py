"""`make package`: `chalice package` output merged with the resources of `infra/`.

    python -m infra.package [OUT_DIR]     # default build/package: sam.json + deployment.zip

One template serves every stage: physical names are built from the `ResourcePrefix` parameter.
`describe_resources` takes the prefix as a plain string, so it is called with a marker that is
then turned into `${ResourcePrefix}` (inside `Fn::Sub`) wherever it appears.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra import cloud, monitoring
from infra.functions import PREFIX_PARAMETER, get_att, ref, sub
from infra.resources import describe_resources

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_DIR / "build" / "package"
TEMPLATE_NAME = "sam.json"
CHALICE_STAGE = "dev"  # the Chalice stage packaged; the deployed stage is a template parameter
PREFIX_MARKER = "kycprefixmarker0"
PREFIX_SUB = "${" + PREFIX_PARAMETER + "}"


def chalice_package(out_dir: Path) -> dict[str, Any]:
    """Run `chalice package` (it imports app.py; needs a region, never credentials)."""
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run(
        [
            str(chalice),
            "package",
            "--stage",
            CHALICE_STAGE,
            "--pkg-format",
            "cloudformation",
            "--template-format",
            "json",
            str(out_dir),
        ],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    return json.loads((out_dir / TEMPLATE_NAME).read_text())


def api_stage() -> str:
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    stage = config.get("stages", {}).get(CHALICE_STAGE, {})
    return str(stage.get("api_gateway_stage", config.get("api_gateway_stage", "api")))


def parametrize_prefix(value: Any) -> Any:
    """Replace the prefix marker by `${ResourcePrefix}`, wrapping plain strings in Fn::Sub."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            arg = value["Fn::Sub"]
            if isinstance(arg, str):
                return {"Fn::Sub": arg.replace(PREFIX_MARKER, PREFIX_SUB)}
            template, variables = arg
            return {
                "Fn::Sub": [
                    template.replace(PREFIX_MARKER, PREFIX_SUB),
                    parametrize_prefix(variables),
                ]
            }
        return {key: parametrize_prefix(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [parametrize_prefix(inner) for inner in value]
    if isinstance(value, str) and PREFIX_MARKER in value:
        # A literal "${" in the string must not become a Fn::Sub variable.
        return {"Fn::Sub": value.replace("${", "${!").replace(PREFIX_MARKER, PREFIX_SUB)}
    return value


def described_resources() -> dict[str, Any]:
    return parametrize_prefix(
        describe_resources(PREFIX_MARKER, frontend_origins=[cloud.FRONTEND_ORIGIN])
    )


def merge(chalice_template: dict[str, Any], stage_path: str) -> dict[str, Any]:
    """The deployable template; `stage_path` is the API Gateway stage (the URL's first part)."""
    template = json.loads(json.dumps(chalice_template))
    resources: dict[str, Any] = template["Resources"]
    described = described_resources()
    clashes = set(described) & set(resources)
    if clashes:
        raise ValueError(f"logical ids used by both Chalice and infra/resources.py: {clashes}")
    resources.update(described)
    template["Description"] = "KYC/KYB back office (chalice package + infra/)"
    template["Parameters"] = {**cloud.PARAMETERS, **template.get("Parameters", {})}
    template["Conditions"] = {**cloud.CONDITIONS, **template.get("Conditions", {})}
    cloud.add_secrets(resources)
    cloud.add_frontend(resources, stage_path)
    cloud.configure_api(resources)
    cloud.add_triggers(template)
    cloud.add_queue_policies(resources)
    cloud.protect_data(resources, set(described))
    cloud.configure_functions(template)  # after every queue exists: their URLs go to the env
    monitoring.add_alarms(resources, stage_path)
    monitoring.add_dashboard(resources, stage_path)
    template["Outputs"] = {**template.get("Outputs", {}), **outputs()}
    leftover = PREFIX_MARKER in json.dumps(template)
    if leftover:
        raise ValueError("the prefix marker survived parametrisation")
    return template


def outputs() -> dict[str, Any]:
    values = {
        "FrontendUrl": sub("https://${FrontendDistribution.DomainName}"),
        "DistributionId": ref("FrontendDistribution"),
        "FrontendBucketName": ref("FrontendBucket"),
        "UserPoolId": ref("UserPool"),
        "UserPoolClientId": ref("UserPoolClient"),
        "CasesTableName": ref("CasesTable"),
        "WebhooksTableName": ref("WebhooksTable"),
        "IdempotencyTableName": ref("IdempotencyTable"),
        "DocumentsBucketName": ref("DocumentsBucket"),
        "EventBusName": get_att("EventBus", "Name"),
        "ApiKeyPepperSecretArn": ref("ApiKeyPepperSecret"),
        "WebhookSecretArn": ref("WebhookSecret"),
        "AlarmTopicArn": ref("AlarmTopic"),
        "DashboardUrl": sub(
            "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
            "?region=${AWS::Region}#dashboards:name=${Dashboard}"
        ),
    }
    return {name: {"Value": value} for name, value in values.items()}


def add_bytecode(zip_path: Path) -> None:
    """Ship every module compiled. Lambda's code directory is read-only, so Python cannot cache
    bytecode there and would compile every module at every cold start (about 50 ms for the app's
    own modules). Hash-based, unchecked pyc files stay valid whatever mtimes the extracted files
    get. Built with the packaging interpreter, which must be the runtime's version (3.11)."""
    with tempfile.TemporaryDirectory(prefix="lambda-zip-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
        compileall.compile_dir(
            root,
            quiet=1,
            workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())


def build_package(out_dir: Path = PACKAGE_DIR) -> Path:
    """Write `sam.json` and `deployment.zip` to `out_dir`; returns the template's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chalice-package-") as raw:
        chalice_template = chalice_package(Path(raw))
        shutil.copyfile(Path(raw) / "deployment.zip", out_dir / "deployment.zip")
    add_bytecode(out_dir / "deployment.zip")
    template = merge(chalice_template, api_stage())
    path = out_dir / TEMPLATE_NAME
    path.write_text(json.dumps(template, indent=1, sort_keys=False) + "\n")
    return path


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else PACKAGE_DIR
    try:
        path = build_package(out_dir)
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(exc.stderr.decode(errors="replace") if exc.stderr else str(exc))
        return 1
    print(f"wrote {path} and {path.with_name('deployment.zip')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
