"""Concurrency of the chat (issue 14): `python benchmarks/concurrency.py [--json]`.

Serves the bundled articles with `python app.py` (a fresh process per configuration) and
keeps N clients asking the seed questions back to back for `--seconds`, for N = 1, 5, 20,
through the HTTP API that the chat page and gradio_client use: one queued event per question,
each client with its own session. Reports p50/p95 latency, answers per second, the CPU the
server and the clients spent per answer, the CPU the rest of the machine used meanwhile, and
where the time goes: the bare answer (timed in this process), Gradio and HTTP (the server's
CPU beyond it) and waiting (latency beyond one client's).

`--concurrency 1,2,4,8` compares answer-concurrency limits (RAG_ANSWER_CONCURRENCY);
`--app DIR` (repeatable) measures the app.py of other checkouts in the same run, rounds
interleaved, e.g. the commit before a change. `--client gradio_client` asks through the
gradio_client library instead (threads of this process), whose own CPU per call then
weighs on the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chat_load import LOADS, Load

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
GOAL_MS = 300  # 20 clients, p50, on 2 cores (issue 14)


@dataclass
class Row:
    """One measured configuration and client count."""

    app: str
    concurrency: int
    clients: int
    answers: float  # a median over rounds
    per_second: float
    p50_ms: float
    p95_ms: float
    server_cpu_ms: float
    client_cpu_ms: float
    other_cores: float


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,5,20", help="client counts to measure")
    parser.add_argument("--seconds", type=float, default=20, help="time per client count")
    parser.add_argument("--concurrency", default="4", help="RAG_ANSWER_CONCURRENCY values")
    parser.add_argument("--app", action="append", help="checkout whose app.py to serve")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--client", choices=("http", "gradio_client"), default="http")
    parser.add_argument("--work", default="/tmp/rag-concurrency", help="scratch folder")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    work = Path(args.work)
    source = work / "articles"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "seeds", source)
    apps = [Path(a).resolve() for a in args.app or [ROOT]]
    limits = [int(c) for c in args.concurrency.split(",")]
    counts = [int(c) for c in args.clients.split(",")]
    rows: list[Row] = []
    for _ in range(args.rounds):
        for app in apps:
            for limit in limits:
                index = work / f"index-{apps.index(app)}"
                with serving(app, source, index, limit) as (url, pid):
                    for n in counts:
                        load = LOADS[args.client](url, n, args.seconds, questions)
                        rows.append(measure(pid, load, app, limit))
    bare = bare_answer(work / "index-0", questions)
    report = summary(rows, bare)
    print(json.dumps(report, indent=1) if args.json else table(report))
    return 1 if report["goal_met"] is False else 0


class serving:
    """`python app.py` of checkout `app` over `source`, until the block ends."""

    def __init__(self, app: Path, source: Path, index: Path, limit: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "RAG_ANSWER_CONCURRENCY": str(limit), "NO_PROXY": "127.0.0.1,localhost"}  # fmt: skip
        command = [sys.executable, "app.py", "--port", str(self.port)]
        command += ["--source", str(source), "--index", str(index)]
        self.process = subprocess.Popen(
            command, cwd=app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> tuple[str, int]:
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/config", timeout=5):
                    return url, self.process.pid
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"app.py did not start (exit status {self.process.poll()})")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(pid: int, load: Load, app: Path, limit: int) -> Row:
    """Run `load` against server `pid`; time and CPU are counted from the end of its warm-up."""
    start: dict[str, float] = {}

    def started() -> None:
        start.update(server=_cpu(pid), machine=_machine_cpu(), own=time.process_time(),
                     wall=time.monotonic())  # fmt: skip

    latencies = load.run(started)
    seconds = time.monotonic() - start["wall"]
    server = _cpu(pid) - start["server"]
    own = time.process_time() - start["own"]
    busy = _machine_cpu() - start["machine"]
    n = len(latencies)
    return Row(
        app=app.name, concurrency=limit, clients=load.clients, answers=n,
        per_second=round(n / seconds, 1), p50_ms=round(statistics.median(latencies) * 1000),
        p95_ms=round(_percentile(latencies, 95) * 1000),
        server_cpu_ms=round(server / n * 1000, 1), client_cpu_ms=round(own / n * 1000, 1),
        other_cores=round(max(busy - server - own, 0) / seconds, 2),
    )  # fmt: skip


def bare_answer(index: Path, questions: list[str], rounds: int = 20) -> dict[str, float]:
    """The answer without a server: p50 wall time and mean CPU of ask + render, one thread."""
    import rag
    from rag import runtime
    from rag.web import render
    from rag.web.api import related_of

    runtime.faiss_threads()  # as the chat does
    assistant = rag.load_index(index)
    timings, cpu = [], time.process_time()
    for question in questions * rounds:
        began = time.perf_counter()
        answer = assistant.ask(question)
        render.answer_markdown(answer, related_of(assistant, answer))
        timings.append(time.perf_counter() - began)
    cpu = (time.process_time() - cpu) / len(timings)
    return {"p50_ms": round(statistics.median(timings) * 1000, 1), "cpu_ms": round(cpu * 1000, 1)}


def summary(rows: list[Row], bare: dict[str, float]) -> dict[str, Any]:
    """Medians over rounds, per (app, concurrency, clients); the goal, judged on the first
    app and concurrency given, and that p50 as a multiple of the bare answer's."""
    groups: dict[tuple[str, int, int], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.app, row.concurrency, row.clients), []).append(row)
    merged = [
        Row(*key, *(_median([getattr(r, f) for r in group]) for f in _NUMBERS))
        for key, group in groups.items()
    ]
    judged = next((r for r in merged if r.clients == 20), None)  # the first app and limit
    ratio = judged.p50_ms / bare["p50_ms"] if judged else None
    return {
        "bare_answer": bare, "rows": [asdict(r) for r in merged],
        "goal": f"20 clients p50 <= {GOAL_MS} ms",
        "p50_20_over_bare": round(ratio, 1) if ratio else None,
        "goal_met": judged.p50_ms <= GOAL_MS if judged else None,  # None: no 20 clients
    }  # fmt: skip


_NUMBERS = ("answers", "per_second", "p50_ms", "p95_ms", "server_cpu_ms", "client_cpu_ms",
            "other_cores")  # fmt: skip


def table(report: dict[str, Any]) -> str:
    bare = report["bare_answer"]
    lines = [
        f"Bare answer (ask + render, one thread, no server): p50 {bare['p50_ms']} ms, "
        f"CPU {bare['cpu_ms']} ms",
        "",
        "| app | concurrency | clients | answers/s | p50 ms | p95 ms | server CPU ms/answer "
        "| Gradio + HTTP CPU ms | waiting ms | client CPU ms/answer | other load (cores) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    alone = {(r["app"], r["concurrency"]): r["p50_ms"] for r in report["rows"] if r["clients"] == 1}
    for r in report["rows"]:
        overhead = r["server_cpu_ms"] - bare["cpu_ms"]
        waiting = r["p50_ms"] - alone.get((r["app"], r["concurrency"]), r["p50_ms"])
        lines.append(
            f"| {r['app']} | {r['concurrency']} | {r['clients']} | {r['per_second']} | "
            f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['server_cpu_ms']} | {overhead:.1f} | "
            f"{waiting:.0f} | {r['client_cpu_ms']} | {r['other_cores']} |"
        )
    if report["goal_met"] is None:
        verdict = "not judged (no run with 20 clients)"
    else:
        met = "met" if report["goal_met"] else "NOT met"
        verdict = f"{met} (that p50 is {report['p50_20_over_bare']} x the bare answer)"
    lines += ["", f"Goal: {report['goal']}: {verdict}"]
    return "\n".join(lines)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> float:
    """CPU seconds all processes of the machine have used so far: user, nice, system, irq
    and softirq time (not idle, iowait, or time stolen by the hypervisor)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


if __name__ == "__main__":
    raise SystemExit(main())
