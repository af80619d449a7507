"""Airflow's scale-out, proven once: the training DAG on two Celery workers, everything on this machine.

Not run in CI (it starts eight services and takes minutes). From this virtualenv, on loopback, it starts:
Redis (Debian's ``redis-server``, the Celery broker, on a free port, no persistence), an MLflow tracking
server (PostgreSQL backend, artefacts in a temporary folder), and Airflow's scheduler, dag-processor,
api-server and two Celery workers (``worker1@host``, ``worker2@host``, one task at a time each). Airflow's
metadata and the Celery results live in a fresh PostgreSQL database, the scoreline store in another (DuckDB
takes one writer; tasks on two workers write at once). The databases are dropped and created again on
every run and left behind for inspection afterwards.

It triggers ``scoreline_training`` for two leagues (small: three seasons, one test season, two models),
waits for the run, then reads the task instances from the metadata database (each worker reports its own
name as the task's hostname) and the MLflow registry, and checks: the run succeeded, every mapped task
succeeded, each worker ran mapped tasks, and a model version holds the champion alias. It prints the wall
time, the tasks per worker and every task's state; on a failure, the tail of each service's log and of the
failed tasks' logs, and exits 1. Every child process group is stopped on exit, also on Ctrl-C.

    .venv/bin/python bench/airflow_celery.py [--leagues E0,SP1] [--seasons 2223-2425] [--keep]

Needs ``redis-server`` on the PATH (``apt-get install redis-server``), the ``airflow`` extra (with the Celery
provider) and a PostgreSQL role that may create databases (``--pg-url`` or ``SCORELINE_BENCH_PG_URL``;
default: scoreline/scoreline on localhost:5432).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DAG_ID = "scoreline_training"
WORKERS = ("worker1", "worker2")
WORKER_ENV = "SCORELINE_BENCH_CELERY_WORKER"  # a worker's name, reported as its tasks' hostname
DEFAULT_PG_URL = "postgresql+psycopg://scoreline:scoreline@localhost:5432/postgres"
DATABASES = {
    "airflow": "scoreline_airflow_bench",  # Airflow metadata and the Celery result backend
    "store": "scoreline_celery_store",  # the scoreline store the tasks share
    "mlflow": "scoreline_celery_mlflow",  # the MLflow tracking server's backend store
}
FINISHED = {"success", "failed"}
STOP_SECONDS = 20
LOG_TAIL_LINES = 40


def worker_hostname() -> str:
    """The hostname a task reports (Airflow's ``[core] hostname_callable`` on the workers): the worker's name.

    Both workers run on one machine, where the default (the FQDN) would not tell them apart.
    """
    return f"{os.environ.get(WORKER_ENV, 'unnamed')}@{socket.gethostname()}"


class BenchError(Exception):
    """A check or a step of the run failed; the message says which."""


@dataclass
class Service:
    """A child process started in a process group of its own, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _tail(self.log, lines)


@dataclass
class Services:
    """Every service started, stopped in reverse order (whole process groups) by :meth:`stop`."""

    logs: Path
    env: dict[str, str]
    started: list[Service] = field(default_factory=list)

    def start(self, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> Service:
        log = self.logs / f"{name}.log"
        handle: IO[bytes] = log.open("wb")
        process = subprocess.Popen(
            command,
            env={**self.env, **(extra_env or {})},
            cwd=self.logs,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us only, we stop the group
        )
        handle.close()
        service = Service(name, process, log)
        self.started.append(service)
        return service

    def check_alive(self) -> None:
        for service in self.started:
            if service.process.poll() is not None:
                raise BenchError(f"{service.name} exited with status {service.process.returncode}")

    def stop(self) -> None:
        for service in reversed(self.started):
            _signal_group(service.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for service in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(service.process, signal.SIGKILL)  # also any child left in the group
            service.process.wait()
        self.started.clear()

    def tails(self) -> str:
        return "\n".join(f"----- {s.name} ({s.log}) -----\n{s.tail()}" for s in self.started)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(what: str, ready: Any, services: Services, timeout: float, every: float = 1.0) -> Any:
    """Poll ``ready()`` until it returns something truthy; a dead service or the timeout is a BenchError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            found = ready()
        except Exception:  # not up yet: refused connection, table not there yet...
            found = None
        if found:
            return found
        time.sleep(every)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


def _redis_ready(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bool(response.status == 200)


def _recreate_databases(admin_url: str) -> dict[str, str]:
    """Drop and create each bench database; their URLs (with the password, for the services' settings)."""
    import sqlalchemy as sa

    admin = sa.make_url(admin_url)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in DATABASES.values():
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.SQLAlchemyError as error:
        raise BenchError(
            f"cannot recreate the bench databases at {_hidden(admin_url)}: {getattr(error, 'orig', error)}"
        ) from None
    finally:
        engine.dispose()
    return {
        role: admin.set(database=name).render_as_string(hide_password=False)
        for role, name in DATABASES.items()
    }


def _hidden(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def _airflow_env(
    home: Path, urls: dict[str, str], redis_port: int, api_port: int, mlflow_port: int, shared: Path
) -> dict[str, str]:
    """The environment of every service: Airflow on Celery and PostgreSQL, scoreline on PG and MLflow."""
    airflow_db = urls["airflow"]
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # no @weekly run of its own: only ours
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
        # Airflow derives its async URL as postgresql+asyncpg (not installed); psycopg 3 does async too
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": airflow_db.replace("+psycopg:", "+psycopg_async:", 1),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        # Celery's database backend through SQLAlchemy with psycopg 3: "db+postgresql://" would load
        # psycopg2, which the scoreline environment does not install.
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + airflow_db,
        "SCORELINE_HOME": str(home / "scoreline"),
        "SCORELINE_DB_URL": urls["store"],
        "SCORELINE_MLFLOW_URI": f"http://127.0.0.1:{mlflow_port}",
        "SCORELINE_RETRY_DELAY_SECONDS": "30",
        "SCORELINE_SHARED_DATA": str(shared),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
    }


def _airflow(*arguments: str) -> list[str]:
    return [str(VENV_BIN / "airflow"), *arguments]


def _run(command: list[str], env: dict[str, str], log: Path, timeout: float) -> str:
    """Run a one-off command to completion, its output in ``log``; its output, or BenchError."""
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False, start_new_session=True
    )
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise BenchError(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n{_tail(log, LOG_TAIL_LINES)}"
        )
    return result.stdout


def _metadata(url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(url, pool_pre_ping=True)


def _dag_registered(engine: Any) -> bool:
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM dag d JOIN serialized_dag s USING (dag_id) "
            "WHERE d.dag_id = %(dag)s AND NOT d.is_paused",
            {"dag": DAG_ID},
        ).scalar()
    return bool(found)


def _run_state(engine: Any, run_id: str) -> tuple[str, Counter[str]]:
    """The DAG run's state and the count of its task instances per state."""
    with engine.connect() as connection:
        state = connection.exec_driver_sql(
            "SELECT state FROM dag_run WHERE dag_id = %(dag)s AND run_id = %(run)s",
            {"dag": DAG_ID, "run": run_id},
        ).scalar()
        tasks = connection.exec_driver_sql(
            "SELECT coalesce(state, 'none'), count(*) FROM task_instance "
            "WHERE dag_id = %(dag)s AND run_id = %(run)s GROUP BY 1",
            {"dag": DAG_ID, "run": run_id},
        ).all()
    return str(state), Counter({str(name): int(count) for name, count in tasks})


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    map_index: int
    state: str
    hostname: str
    try_number: int
    seconds: float | None


def _task_rows(engine: Any, run_id: str) -> list[TaskRow]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT task_id, map_index, coalesce(state, 'none'), coalesce(hostname, ''), try_number, "
            "extract(epoch FROM end_date - start_date) FROM task_instance "
            "WHERE dag_id = %(dag)s AND run_id = %(run)s ORDER BY start_date NULLS LAST, task_id, map_index",
            {"dag": DAG_ID, "run": run_id},
        ).all()
    return [
        TaskRow(str(t), int(m), str(s), str(h), int(n), float(d) if d is not None else None)
        for t, m, s, h, n, d in rows
    ]


def _labels(conf: dict[str, Any]) -> dict[tuple[str, int], str]:
    """Each mapped task's fan-out items (``dixon_coles E0``), in the order the DAG's plan task lists them."""
    from scoreline.pipelines.definition import TRAINING, fan_out_calls

    params = TRAINING.with_defaults(conf)
    return {
        (step.name, index): " ".join(str(value) for value in call.values())
        for step in TRAINING.steps
        if step.fan_out
        for index, call in enumerate(fan_out_calls(step, params))
    }


def _registered(mlflow_uri: str) -> list[dict[str, Any]]:
    from scoreline.registry.registry import list_versions
    from scoreline.registry.tracking import Tracking

    return list_versions(Tracking(uri=mlflow_uri))


def _task_log_tails(airflow_home: Path, run_id: str, rows: list[TaskRow]) -> str:
    """The tail of the last attempt's log of every task that did not succeed."""
    tails = []
    for row in rows:
        if row.state == "success":
            continue
        folder = airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={row.task_id}"
        if row.map_index >= 0:
            folder = folder / f"map_index={row.map_index}"
        logs = sorted(folder.glob("attempt=*.log"))
        text = _tail(logs[-1], LOG_TAIL_LINES) if logs else f"(no log under {folder})"
        tails.append(f"----- task {row.task_id}[{row.map_index}] ({row.state}) -----\n{text}")
    return "\n".join(tails)


def _clock(started: float) -> str:
    seconds = int(time.monotonic() - started)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/airflow_celery.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    shared = Path(os.environ.get("SCORELINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--leagues", default="E0,SP1", help="the two leagues to train (comma-separated)")
    parser.add_argument("--seasons", default="2223-2425", help="seasons to ingest")
    parser.add_argument("--test-seasons", default="2425", help="seasons the backtests predict")
    parser.add_argument(
        "--models", default="dixon_coles,poisson", help="catalogue models (the baseline first)"
    )
    parser.add_argument("--shared-data", type=Path, default=shared, help="the shared/data folder")
    parser.add_argument("--pg-url", default=os.environ.get("SCORELINE_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--timeout", type=float, default=30, help="minutes the DAG run may take")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) on success")
    return parser.parse_args(argv)


def _preflight(args: argparse.Namespace) -> Path:
    """The football-data folder; a BenchError naming what is missing."""
    if shutil.which("redis-server") is None:
        raise BenchError("redis-server is not on the PATH (Debian: apt-get install redis-server)")
    if not (VENV_BIN / "airflow").is_file():
        raise BenchError(f"no airflow in {VENV_BIN}: pip install -e '.[airflow]'")
    try:
        import airflow.providers.celery  # noqa: F401
    except ImportError as error:
        raise BenchError("the Celery provider is missing: pip install -e '.[airflow]'") from error
    data = args.shared_data / "football-data"
    if not data.is_dir():
        raise BenchError(
            f"real data not found at {data} (set SCORELINE_SHARED_DATA to the shared/data folder)"
        )
    return data


def _conf(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    def items(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    return {
        "leagues": items(args.leagues),
        "seasons": args.seasons,
        "test_seasons": items(args.test_seasons),
        "models": items(args.models),
        "from_dir": str(data),
    }


def _start_services(
    services: Services, home: Path, mlflow_db: str, redis_port: int, api_port: int, mlflow_port: int
) -> None:
    """Redis, the MLflow server and the metadata database's schema, then Airflow's services and workers."""
    env = services.env
    services.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    )
    artefacts = home / "mlflow-artifacts"
    artefacts.mkdir()
    services.start(
        "mlflow",
        [
            str(VENV_BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(mlflow_port),
            "--workers", "1", "--backend-store-uri", mlflow_db, "--artifacts-destination", str(artefacts),
        ],
    )  # fmt: skip
    _run(_airflow("db", "migrate"), env, services.logs / "airflow-db-migrate.log", timeout=600)
    _wait("redis", lambda: _redis_ready(redis_port), services, timeout=30)
    _wait("the MLflow server", lambda: _http_ok(f"http://127.0.0.1:{mlflow_port}/health"), services, 180)
    services.start(
        "api-server", _airflow("api-server", "--host", "127.0.0.1", "--port", str(api_port), "-w", "1")
    )
    services.start("dag-processor", _airflow("dag-processor"))
    services.start("scheduler", _airflow("scheduler"))
    for name in WORKERS:
        command = _airflow(
            "celery", "worker", "--celery-hostname", f"{name}@%h", "--queues", "default",
            "--concurrency", "1", "--skip-serve-logs", "--pid", str(services.logs / f"{name}.pid"),
        )  # fmt: skip
        services.start(
            name,
            command,
            {WORKER_ENV: name, "AIRFLOW__CORE__HOSTNAME_CALLABLE": "airflow_celery.worker_hostname"},
        )
    health = f"http://127.0.0.1:{api_port}/api/v2/monitor/health"
    _wait("the api-server", lambda: _http_ok(health), services, timeout=180)
    for service in services.started:
        if service.name in WORKERS:
            _wait(f"{service.name} to be ready", lambda s=service: " ready." in s.tail(200), services, 180)


def _watch(engine: Any, run_id: str, services: Services, timeout: float, started: float) -> str:
    """Wait for the DAG run to finish, printing each change of its tasks' states; its final state."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        services.check_alive()
        state, tasks = _run_state(engine, run_id)
        line = f"run {state}; tasks " + ", ".join(f"{name} {count}" for name, count in sorted(tasks.items()))
        if line != shown:
            print(f"[{_clock(started)}] {line}", flush=True)
            shown = line
        if state in FINISHED:
            return state
        time.sleep(3)
    raise BenchError(f"the DAG run did not finish within {timeout / 60:.0f} minutes")


def _summary(rows: list[TaskRow], labels: dict[tuple[str, int], str]) -> Counter[str]:
    """Print every task (state, worker, tries, seconds); the count of mapped tasks per worker."""
    print(f"{'task':<28} {'state':<9} {'worker':<22} {'tries':>5} {'seconds':>8}")
    for row in rows:
        name = (
            row.task_id if row.map_index < 0 else f"{row.task_id}[{labels.get((row.task_id, row.map_index))}]"
        )
        seconds = f"{row.seconds:.1f}" if row.seconds is not None else "-"
        print(f"{name:<28} {row.state:<9} {row.hostname:<22} {row.try_number:>5} {seconds:>8}")
    everything = Counter(row.hostname.split("@")[0] for row in rows)
    mapped = Counter(row.hostname.split("@")[0] for row in rows if row.map_index >= 0)
    for worker in WORKERS:
        print(f"{worker}: {everything[worker]} tasks, {mapped[worker]} of them mapped")
    return mapped


def _check(state: str, rows: list[TaskRow], mapped: Counter[str], versions: list[dict[str, Any]]) -> None:
    problems = []
    if state != "success":
        problems.append(f"the DAG run ended {state}")
    failed = [f"{r.task_id}[{r.map_index}] {r.state}" for r in rows if r.state != "success"]
    if failed:
        problems.append(f"tasks not successful: {', '.join(failed)}")
    idle = [worker for worker in WORKERS if mapped[worker] == 0]
    if idle:
        problems.append(f"no mapped task ran on {', '.join(idle)}")
    if not any("champion" in version["aliases"] for version in versions):
        problems.append("no model version holds the champion alias")
    if problems:
        raise BenchError("; ".join(problems))


def _bench(args: argparse.Namespace, home: Path, services: Services, started: float) -> None:
    data = _preflight(args)
    conf = _conf(args, data)
    urls = _recreate_databases(args.pg_url)
    print(f"[{_clock(started)}] databases recreated: " + ", ".join(_hidden(url) for url in urls.values()))
    redis_port, api_port, mlflow_port = _free_port(), _free_port(), _free_port()
    services.env = _airflow_env(home, urls, redis_port, api_port, mlflow_port, args.shared_data)
    _start_services(services, home, urls["mlflow"], redis_port, api_port, mlflow_port)
    print(f"[{_clock(started)}] up: " + ", ".join(s.name for s in services.started), flush=True)
    engine = _metadata(urls["airflow"])
    try:
        _wait("the DAG to be parsed", lambda: _dag_registered(engine), services, timeout=300, every=2)
        run_id = f"celery_bench_{time.strftime('%Y%m%dT%H%M%S')}"
        print(f"[{_clock(started)}] triggering {DAG_ID} {run_id} with {json.dumps(conf)}", flush=True)
        _run(
            _airflow("dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps(conf)),
            services.env,
            services.logs / "airflow-dags-trigger.log",
            timeout=300,
        )
        triggered = time.monotonic()
        state = _watch(engine, run_id, services, args.timeout * 60, started)
        wall = time.monotonic() - triggered
        rows = _task_rows(engine, run_id)
    finally:
        engine.dispose()
    print(f"\nDAG run {run_id}: {state} in {wall:.0f} s (trigger to end; {_clock(started)} since the start)")
    mapped = _summary(rows, _labels(conf))
    versions = _registered(services.env["SCORELINE_MLFLOW_URI"])
    for version in versions:
        print(f"registered: version {version['version']} {version['model']} aliases={version['aliases']}")
    try:
        _check(state, rows, mapped, versions)
    except BenchError:
        print(_task_log_tails(home / "airflow", run_id, rows))
        raise
    print("OK: the run succeeded, mapped tasks ran on both workers and a champion is registered")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same teardown as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    home = Path(tempfile.mkdtemp(prefix="scoreline-airflow-celery-"))
    logs = home / "logs"
    logs.mkdir()
    services = Services(logs=logs, env=dict(os.environ))
    started = time.monotonic()
    status = 1
    try:
        _bench(args, home, services, started)
        status = 0
    except BenchError as error:
        print(f"\nFAILED: {error}\n{services.tails()}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        status = 130
    finally:
        print(f"[{_clock(started)}] stopping {len(services.started)} services", flush=True)
        services.stop()
    if status == 0 and not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"logs kept in {logs}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
