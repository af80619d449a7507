"""Latency and throughput of ``POST /v1/predictions`` next to a bare FastAPI endpoint, on loopback.

Each app runs under uvicorn (one worker) in its own process; 50 concurrent clients (httpx.AsyncClient) send a
bounded number of requests (``--requests``, stopped after ``--seconds`` as well). Scenarios: the bare endpoint
(same JSON body, constant answer), one fixture per request (distinct fixtures: every one is a cache miss;
repeated fixtures: cache hits, like many clients asking about the same weekend), and 50 fixtures per request,
each in a closed loop (throughput); then one client alone, and 50 clients offering fixed loads (``--paced``,
100 and 200 requests/s), where latency is a server's answer time rather than the clients' own queue. Every
scenario runs ``--rounds`` times (interleaved, since this machine's speed drifts) and medians are printed. Also
prints the in-process cost of predicting one fixture (goal model alone and the full service), and for every
scenario the server process's CPU time per request: the clients run on the same two cores, and a bare endpoint
is limited by them, not by its server (which needs a fraction of a millisecond per request), and the latency
the prediction server itself logged (its JSON access log: from the request reaching the app to the answer sent).

    PYTHONPATH=src python bench/api.py [--requests 3000] [--seconds 30] [--concurrency 50] [--paced 100,200]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
SEED = 0


def _league() -> Any:
    from scoreline.simulate import simulate_league

    return simulate_league(n_teams=20, seasons=("2324", "2425"), seed=SEED)


class _Fitted:
    """A one-model ``ModelProvider`` over a Dixon-Coles model fitted here (no registry needed)."""

    def __init__(self) -> None:
        from scoreline.models.dixon_coles import DixonColesGoalModel

        self.matches = _league().matches
        self.model = DixonColesGoalModel().fit(self.matches)

    def load(self, ref: str) -> Any:
        from scoreline.serving.service import ModelHandle

        return ModelHandle(estimator=self.model, name="dixon_coles", version="1", alias=ref)

    def versions(self) -> list[dict[str, Any]]:
        return []

    def promote(self, dry_run: bool = False) -> dict[str, Any]:
        return {"promote": False, "reason": "benchmark"}


def _serve_scoreline(port: int, access_log: str) -> None:
    import os
    import tempfile

    import uvicorn

    from scoreline.serving import create_app
    from scoreline.serving.observability import configure_json_logging
    from scoreline.serving.snapshot import FrameFixtureSource

    provider = _Fitted()
    # as `serve` runs: settings from the environment, a JSON access log line per request (to ``access_log``:
    # the bench reads the server's own latencies there), garbage collection tuned for a server process
    os.environ["SCORELINE_HOME"] = tempfile.mkdtemp(prefix="scoreline-bench-")
    sys.stderr = open(access_log, "w", buffering=1)  # noqa: SIM115 (the process's stderr for its lifetime)
    configure_json_logging()
    app = create_app(provider=provider, fixtures=FrameFixtureSource(provider.matches), tune_gc=True)
    uvicorn.run(app, host=HOST, port=port, log_config=None, access_log=False, timeout_keep_alive=60)


def _serve_bare(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/bare")
    async def bare(body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "n": len(body.get("fixtures", []))}

    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False, timeout_keep_alive=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start(target: Any, *args: Any) -> tuple[multiprocessing.Process, str]:
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(target=target, args=(port, *args), daemon=True)
    process.start()
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/docs", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"server on port {port} did not start")


def _server_latencies(access_log: Path, offset: int) -> list[float]:
    """The prediction requests' latencies (ms) the server logged after byte ``offset`` of its access log."""
    with access_log.open("rb") as log:
        log.seek(offset)
        records = [json.loads(line) for line in log if b'"latency_ms"' in line]
    return [r["latency_ms"] for r in records if r.get("route") == "/v1/predictions"]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bodies(
    teams: list[str], batch: int, count: int, distinct: bool, series: int = 0
) -> list[dict[str, Any]]:
    """``count`` request bodies of ``batch`` fixtures; distinct fixtures differ from those of any other
    ``series`` too (kickoffs a year apart per series), so no scenario is answered from an earlier one's cache."""
    rng = random.Random(SEED + series)
    start = datetime(2026, 12, 5, 12, 0) + timedelta(days=365 * series)
    bodies = []
    for i in range(count):
        fixtures = []
        for j in range(batch):
            home, away = rng.sample(teams, 2) if distinct else (teams[j % 20], teams[(j + 1) % 20])
            kickoff = start + timedelta(minutes=(i * batch + j) if distinct else 0)
            fixtures.append({"league": "E0", "home": home, "away": away, "kickoff": kickoff.isoformat()})
        bodies.append({"fixtures": fixtures})
    return bodies


async def _load(
    url: str,
    server_pid: int,
    bodies: list[dict[str, Any]],
    concurrency: int,
    seconds: float,
    rate: float | None = None,
    access_log: Path | None = None,
) -> dict[str, float]:
    """Latency quantiles, throughput and the server's CPU time per request of one scenario.

    Without ``rate``, closed loop: each client sends its next request as soon as the last one is answered (the
    throughput a server sustains; latency is then ``concurrency / throughput`` by Little's law). With ``rate``
    (requests/s over all clients), open loop: request ``i`` is due at ``i / rate`` and its latency counts from
    then, so a server that falls behind is charged for the wait too (no coordinated omission).
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    queue = iter(enumerate(bodies[concurrency:]))  # the warm-up bodies are not sent again
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for body in bodies[:concurrency]:  # warm-up: open the connections, fill caches of the warm-up bodies
            await client.post(url, json=body)
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal errors
            for index, body in queue:
                due = time.perf_counter() if rate is None else start + index / rate
                if due > deadline:
                    return
                await asyncio.sleep(due - time.perf_counter())
                try:
                    response = await client.post(url, json=body)
                except httpx.TransportError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - due)
                errors += response.status_code != 200

        cpu_before = _cpu_seconds(server_pid)
        log_offset = access_log.stat().st_size if access_log else 0
        gc.collect()
        gc.disable()  # a collection in the client would stall it and be charged to the server
        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            gc.enable()
        elapsed, server_cpu = time.perf_counter() - start, _cpu_seconds(server_pid) - cpu_before
    if len(latencies) < 2:
        raise RuntimeError(f"{url}: {len(latencies)} answers ({errors} errors); nothing to measure")
    quantiles = statistics.quantiles(latencies, n=100)
    own = _server_latencies(access_log, log_offset) if access_log else []
    own_quantiles = statistics.quantiles(own, n=100) if len(own) > 1 else [math.nan] * 99
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": 1000 * quantiles[49],
        "p99_ms": 1000 * quantiles[98],
        "rps": len(latencies) / elapsed,
        "server_cpu_ms": 1000 * server_cpu / len(latencies),
        "server_p50_ms": own_quantiles[49],
        "server_p99_ms": own_quantiles[98],
    }


def _in_process(repeats: int = 300) -> dict[str, float]:
    from scoreline.serving.service import Fixture, ModelHandle, PredictionService, fixtures_frame

    provider = _Fitted()
    fixture = Fixture("E0", "Arsenal", "Chelsea", datetime(2026, 12, 5, 15))
    frame = fixtures_frame([fixture])
    started = time.perf_counter()
    for _ in range(repeats):
        provider.model.predict_grid(frame)
    grid_ms = 1000 * (time.perf_counter() - started) / repeats
    fixtures = [
        Fixture("E0", "Arsenal", "Chelsea", datetime(2026, 12, 5) + timedelta(minutes=i))
        for i in range(repeats)
    ]
    service = PredictionService(ModelHandle(provider.model, "dixon_coles", "1"))
    started = time.perf_counter()
    for f in fixtures:
        service.predict([f])
    miss_ms = 1000 * (time.perf_counter() - started) / repeats
    started = time.perf_counter()
    for f in fixtures:
        service.predict([f])
    hit_ms = 1000 * (time.perf_counter() - started) / repeats
    return {"predict_grid_ms": grid_ms, "service_miss_ms": miss_ms, "service_hit_ms": hit_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per scenario (at most)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per scenario")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--paced",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[100.0, 200.0],
        help="offered loads (requests/s, comma-separated) of the open-loop one-fixture scenarios",
    )
    parser.add_argument("--paced-seconds", type=float, default=20.0, help="length of each open-loop scenario")
    parser.add_argument("--rounds", type=int, default=3, help="every scenario is run this many times")
    args = parser.parse_args()

    print(f"in-process, one fixture: {_in_process()}")
    teams = list(_league().teams)
    bare = _start(_serve_bare)
    access_log = Path(tempfile.mkdtemp(prefix="scoreline-bench-")) / "access.jsonl"
    app = _start(_serve_scoreline, str(access_log))
    bare1, bare50 = "bare FastAPI endpoint, 1 fixture", "bare FastAPI endpoint, 50 fixtures"
    bare_one = "bare, 1 fixture, ONE client"
    # name, server, path, fixtures per request, distinct, clients, offered requests/s (None: closed loop), peer
    scenarios: list[tuple[str, Any, str, int, bool, int, float | None, str]] = [
        (bare1, bare, "/bare", 1, True, args.concurrency, None, bare1),
        ("predictions, 1 fixture, distinct", app, "/v1/predictions", 1, True, args.concurrency, None, bare1),
        ("predictions, 1 fixture, repeated", app, "/v1/predictions", 1, False, args.concurrency, None, bare1),
        (bare50, bare, "/bare", 50, True, args.concurrency, None, bare50),
        ("predictions, 50 fixtures, distinct", app, "/v1/predictions", 50, True, args.concurrency, None, bare50),
        (bare_one, bare, "/bare", 1, True, 1, None, bare_one),
        ("predictions, 1 fixture, distinct, ONE client", app, "/v1/predictions", 1, True, 1, None, bare_one),
    ]  # fmt: skip
    for rate in args.paced:
        bare_paced = f"bare, 1 fixture, paced {rate:g}/s"
        scenarios += [
            (bare_paced, bare, "/bare", 1, True, args.concurrency, rate, bare_paced),
            (f"predictions, 1 fixture, paced {rate:g}/s", app, "/v1/predictions", 1, True, args.concurrency, rate, bare_paced),
        ]  # fmt: skip
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        for round_number in range(1, args.rounds + 1):  # rounds: the machine's speed drifts within minutes
            results: dict[str, dict[str, float]] = {}
            for number, (name, (process, url), path, batch, distinct, clients, rate, peer) in enumerate(
                scenarios
            ):
                if rate:  # an open-loop run lasts its planned time, whatever --seconds says
                    count, seconds = int(rate * args.paced_seconds), 2 * args.paced_seconds
                else:
                    count, seconds = args.requests if clients > 1 else min(args.requests, 500), args.seconds
                bodies = _bodies(teams, batch, count, distinct, series=round_number * len(scenarios) + number)
                log = access_log if process is app[0] else None  # the bare endpoint logs nothing
                results[name] = asyncio.run(
                    _load(url + path, process.pid, bodies, clients, seconds, rate, log)
                )
                results[name]["vs_bare"] = results[name]["rps"] / results[peer]["rps"]
                print(f"  round {round_number}, {name}: {results[name]}", flush=True)
            rounds.append(results)
    finally:
        for process, _ in (bare, app):
            process.terminate()
            process.join(10)
    load = os.getloadavg()[0]
    python = sys.version.split()[0]
    print(f"{args.concurrency} concurrent clients (unless ONE), python {python}, one uvicorn worker")
    print(
        "paced: that many requests/s offered by all clients together, latency counted from when each was due"
    )
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at the end (the machine is shared)")
    print(
        f"medians over {len(rounds)} rounds; 'vs bare': each round's ratio to the bare endpoint, median (range)"
    )
    print(
        f"{'scenario':46s} {'requests':>8s} {'errors':>6s} {'p50 ms':>8s} {'p99 ms':>8s} {'req/s':>8s} "
        f"{'vs bare':>18s} {'server CPU ms/req':>18s} {'server p50/p99 ms':>18s}"
    )
    for name, *_ in scenarios:
        r = {key: statistics.median(run[name][key] for run in rounds) for key in rounds[0][name]}
        low, high = (f(run[name]["vs_bare"] for run in rounds) for f in (min, max))
        ratio = f"{r['vs_bare']:.2f} ({low:.2f}-{high:.2f})"
        print(
            f"{name:46s} {r['requests']:8.0f} {r['errors']:6.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['rps']:8.0f} {ratio:>18s} {r['server_cpu_ms']:18.2f} "
            f"{r['server_p50_ms']:8.1f} {r['server_p99_ms']:9.1f}"
        )


if __name__ == "__main__":
    main()
