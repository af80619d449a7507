"""The CDK app under deploy/aws synthesizes, its CloudFormation passes cfn-lint, and says what it should.

Runs the real CDK CLI (deploy/aws/node_modules, ``npm ci --prefix deploy/aws``) with the app in its own
virtualenv (deploy/aws/.venv, ``pip install -r deploy/aws/requirements.txt``); no credentials, no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "deploy" / "aws"
CDK = APP / "node_modules" / ".bin" / "cdk"
APP_PYTHON = APP / ".venv" / "bin" / "python"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CDK.exists() or not APP_PYTHON.exists():
        pytest.skip(
            "the CDK CLI or the CDK app's venv is absent: run .ci/run (npm ci --prefix deploy/aws, ...)"
        )
    out = tmp_path_factory.mktemp("cdk.out")
    env = {
        **os.environ,
        "CDK_DISABLE_VERSION_CHECK": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    }
    done = subprocess.run(
        [str(CDK), "synth", "--no-notices", "--quiet", "--app", f"{APP_PYTHON} app.py", "-o", str(out)],
        cwd=APP,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    templates = sorted(out.glob("*.template.json"))
    assert [path.name for path in templates] == ["Scoreline.template.json"]
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is not installed (pip install '.[dev]')"
    lint = subprocess.run([cfn_lint, *map(str, templates)], capture_output=True, text=True, check=False)
    # cfn-lint's exit status is a bit mask: 2 means errors, 4 warnings, 8 informational
    assert lint.returncode & 2 == 0, lint.stdout + lint.stderr
    return dict(json.loads(templates[0].read_text()))


def resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_the_bucket_is_versioned_encrypted_private_and_ssl_only(template: dict[str, Any]) -> None:
    [bucket] = resources(template, "AWS::S3::Bucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [policy] = resources(template, "AWS::S3::BucketPolicy")
    denials = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denials)


def test_the_api_target_group_checks_ready_and_mlflow_checks_health(template: dict[str, Any]) -> None:
    paths = sorted(
        g["HealthCheckPath"] for g in resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    )
    assert paths == ["/health", "/ready"]
    ports = sorted(
        b["ContainerPort"] for s in resources(template, "AWS::ECS::Service") for b in s["LoadBalancers"]
    )
    assert ports == [5000, 8000]


def test_database_credentials_come_from_secrets_manager(template: dict[str, Any]) -> None:
    [database] = resources(template, "AWS::RDS::DBInstance")
    assert database["Engine"] == "postgres" and database["EngineVersion"].startswith("15")
    assert database["StorageEncrypted"] is True
    assert "resolve:secretsmanager" in json.dumps(database["MasterUserPassword"])
    assert resources(template, "AWS::SecretsManager::Secret")
    containers = [
        container
        for task in resources(template, "AWS::ECS::TaskDefinition")
        for container in task["ContainerDefinitions"]
    ]
    assert len(containers) == 2
    for container in containers:
        secrets = {s["Name"] for s in container["Secrets"]}
        assert {"DB_USER", "DB_PASSWORD", "DB_HOST"} <= secrets
        environment = json.dumps(container.get("Environment", []))
        assert "PASSWORD" not in environment


def test_mlflow_serves_artefacts_from_the_bucket_and_mwaa_reads_dags_from_it(
    template: dict[str, Any],
) -> None:
    commands = [
        c["Command"][0]
        for t in resources(template, "AWS::ECS::TaskDefinition")
        for c in t["ContainerDefinitions"]
    ]
    mlflow = next(json.dumps(c) for c in commands if "mlflow server" in json.dumps(c))
    assert "--artifacts-destination s3://" in mlflow and "--serve-artifacts" in mlflow
    [airflow] = resources(template, "AWS::MWAA::Environment")
    assert airflow["DagS3Path"] == "dags"
    assert airflow["RequirementsS3Path"].startswith("requirements/")
    assert "Bucket" in json.dumps(airflow["SourceBucketArn"])


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = [s for p in resources(template, "AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]
    for role in resources(template, "AWS::IAM::Role"):
        found += [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    return found


def test_no_policy_allows_every_action_and_bucket_grants_are_per_prefix(template: dict[str, Any]) -> None:
    statements = _statements(template)
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), statement
    object_grants = json.dumps(
        [s["Resource"] for s in statements if "s3:PutObject" in json.dumps(s["Action"])]
    )
    assert (
        "/mlflow/*" in object_grants and "/football-data/*" in object_grants and "/outputs/*" in object_grants
    )
    assert '/*"' not in object_grants.replace("/mlflow/*", "").replace("/football-data/*", "").replace(
        "/outputs/*", ""
    )
