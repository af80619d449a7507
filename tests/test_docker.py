"""Static checks of the Docker files: no Docker engine runs here, so validate what can be validated."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from scoreline.cli.main import app
from scoreline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install '.[dev]')")
    return found


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_healthcheck() -> None:
    services = _compose()["services"]
    assert {"postgres", "mlflow", "airflow-apiserver", "airflow-scheduler", "api"} <= set(services)
    missing = [name for name, service in services.items() if "test" not in service.get("healthcheck", {})]
    assert missing == []


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([_tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_with_a_healthcheck() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^USER (?!root|0\b)\S+", text, re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert text.count("FROM ") >= 2  # multi-stage


def _command(path: list[str]) -> Any:
    group = typer.main.get_command(app)
    ctx = group.make_context("scoreline", [], resilient_parsing=True)
    command: Any = group
    for name in path:
        assert hasattr(command, "get_command"), f"{command.name} has no sub-commands"
        sub = command.get_command(ctx, name)
        assert sub is not None, f"scoreline has no command {' '.join(path)}"
        command = sub
    return command


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def test_scoreline_commands_and_options_used_by_the_images_exist() -> None:
    compose = _compose()
    dockerfile_cmd = re.search(r"^CMD \[(.*)\]", DOCKERFILE.read_text(), re.MULTILINE)
    assert dockerfile_cmd is not None
    invocations = [[arg.strip().strip('"') for arg in dockerfile_cmd.group(1).split(",")]]
    invocations += [
        service["command"]
        for service in compose["services"].values()
        if service.get("image", "").startswith("scoreline") and "entrypoint" not in service
    ]
    for argv in invocations:
        command = _command([argv[0]])
        flags = {arg for arg in argv[1:] if arg.startswith("--")}
        assert flags <= _options(command), f"scoreline {argv[0]} lacks {flags - _options(command)}"


def test_ports_agree_between_dockerfile_compose_and_the_serve_command() -> None:
    compose = _compose()
    api = compose["services"]["api"]
    port = api["command"][api["command"].index("--port") + 1]
    assert f"EXPOSE {port}" in DOCKERFILE.read_text()
    assert f"{port}:{port}" in api["ports"]
    assert f"127.0.0.1:{port}/health" in " ".join(api["healthcheck"]["test"])


def test_scoreline_environment_variables_are_real_settings() -> None:
    text = COMPOSE.read_text() + DOCKERFILE.read_text()
    used = set(re.findall(r"\bSCORELINE_([A-Z_]+)\b", text))
    fields = {name.upper() for name in Settings.model_fields}
    assert used - fields == set(), f"unknown settings: {used - fields}"


def test_airflow_and_mlflow_commands_exist() -> None:
    compose = _compose()
    airflow_cli = pytest.importorskip("airflow.cli.cli_config")
    names = {command.name for command in airflow_cli.core_commands}
    for service in compose["services"].values():
        if service.get("entrypoint") == ["airflow"]:
            assert service["command"][0] in names
    from mlflow.cli import cli as mlflow_cli

    server = mlflow_cli.commands["server"]
    flags = {arg.split("=")[0] for arg in compose["services"]["mlflow"]["command"][1:]}
    assert flags <= _options(server)
    dags = list((ROOT / "dags").glob("*.py"))
    assert dags, "the image copies dags/ into Airflow's DAG folder: it must hold the DAG files"


def test_dask_services_run_the_scoreline_image_and_scale() -> None:
    """A scheduler and a worker service from the scoreline image, real ``dask`` CLI flags, a worker that can
    be scaled (no fixed name, host port or volume: tasks carry their frames, the client keeps the cache)."""
    pytest.importorskip("distributed.cli")
    from distributed.cli import dask_scheduler, dask_worker

    services = _compose()["services"]
    scheduler, worker = services["dask-scheduler"], services["dask-worker"]
    for service in (scheduler, worker):
        assert service["image"].startswith("scoreline:") and service["entrypoint"] == ["dask"]
    assert scheduler["command"][0] == "scheduler" and worker["command"][0] == "worker"
    assert {a for a in scheduler["command"][1:] if a.startswith("--")} <= _options(dask_scheduler.main)
    assert {a for a in worker["command"][1:] if a.startswith("--")} <= _options(dask_worker.main)
    port = scheduler["command"][scheduler["command"].index("--port") + 1]
    address = f"tcp://dask-scheduler:{port}"
    assert worker["command"][1] == address
    assert not {"container_name", "ports", "volumes"} & set(worker)
    assert worker["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"
    for name in ("dask-scheduler", "dask-worker"):
        flags = services[name]["command"]
        health_port = flags[flags.index("--dashboard-address") + 1].lstrip(":")
        assert f"127.0.0.1:{health_port}/health" in " ".join(services[name]["healthcheck"]["test"])


def test_airflow_backtests_default_to_the_compose_dask_scheduler() -> None:
    services = _compose()["services"]
    airflow = [name for name, service in services.items() if service.get("entrypoint") == ["airflow"]]
    assert {"airflow-scheduler", "airflow-apiserver"} <= set(airflow)
    for name in airflow:
        address = services[name]["environment"]["SCORELINE_DASK_ADDRESS"]
        assert re.fullmatch(r"\$\{SCORELINE_DASK_ADDRESS-tcp://dask-scheduler:8786\}", address), address
    assert "SCORELINE_DASK_ADDRESS" not in services["api"].get("environment", {})  # the API runs no backtest


def test_image_installs_the_dask_extra_at_the_pinned_versions() -> None:
    from importlib.metadata import version

    install = re.search(r'--constraint docker/constraints\.txt "\.\[([a-z,]+)\]"', DOCKERFILE.read_text())
    assert install is not None and "dask" in install.group(1).split(",")
    pins = dict(
        line.split("==")
        for line in (ROOT / "docker" / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    for package in ("dask", "distributed"):
        assert pins[package] == version(package), (
            f"pin {package} at {version(package)} in docker/constraints.txt"
        )
