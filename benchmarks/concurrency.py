"""Concurrency of the chat (issue 14): `python benchmarks/concurrency.py [--json]`.

Serves the bundled articles with `python app.py` (a fresh process per configuration) and
keeps N clients asking the seed questions back to back for `--seconds`, for N = 1, 5, 20,
each way `--client` names (chat_load.py): `page` asks as chat tabs do (the question box's
submit, the answer streamed back as an update of the chat per sentence, a tab's ten
questions in one conversation), `ask` through the direct JSON API that the MCP tools share
(one POST), `chat` through the queued `/chat` API (one event), `gradio_client` through that
library. Reports p50/p95 latency, answers per second, the messages the server sent per
answer, the CPU the server and the clients spent per answer, the CPU the rest of the
machine used meanwhile, and where the time goes: the bare answer (timed in this process),
Gradio and HTTP (the server's CPU beyond it) and waiting (latency beyond one client's).

`--concurrency 1,2,4,8` compares answer-concurrency limits (RAG_ANSWER_CONCURRENCY);
`--app DIR` (repeatable) measures the app.py of other checkouts in the same run, rounds
interleaved, e.g. the commit before a change. gradio_client runs in threads of this
process, whose own CPU per call then weighs on the same cores.
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
    client: str  # how the clients ask: chat_load.LOADS
    clients: int
    answers: float  # a median over rounds
    per_second: float
    p50_ms: float
    p95_ms: float
    server_cpu_ms: float
    client_cpu_ms: float
    other_cores: float
    events: float  # messages from the server per answer
    load_average: float  # the machine's 1-minute load average as the measurement ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,5,20", help="client counts to measure")
    parser.add_argument("--seconds", type=float, default=20, help="time per client count")
    parser.add_argument("--concurrency", default="4", help="RAG_ANSWER_CONCURRENCY values")
    parser.add_argument("--app", action="append", help="checkout whose app.py to serve")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--client", default="page,ask", help=f"how to ask: {', '.join(LOADS)}")
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
    kinds = args.client.split(",")
    if unknown := set(kinds) - set(LOADS):
        parser.error(f"unknown --client {', '.join(sorted(unknown))}: use {', '.join(LOADS)}")
    rows: list[Row] = []
    for _ in range(args.rounds):
        for app in apps:
            for limit in limits:
                index = work / f"index-{apps.index(app)}"
                with serving(app, source, index, limit) as (url, pid):
                    for kind in kinds:
                        for n in counts:
                            load = LOADS[kind](url, n, args.seconds, questions)
                            rows.append(measure(pid, load, app, limit, kind))
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


def measure(pid: int, load: Load, app: Path, limit: int, kind: str) -> Row:
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
        app=app.name, concurrency=limit, client=kind, clients=load.clients, answers=n,
        per_second=round(n / seconds, 1), p50_ms=round(statistics.median(latencies) * 1000),
        p95_ms=round(_percentile(latencies, 95) * 1000),
        server_cpu_ms=round(server / n * 1000, 1), client_cpu_ms=round(own / n * 1000, 1),
        other_cores=round(max(busy - server - own, 0) / seconds, 2),
        events=round(statistics.mean(load.events), 1), load_average=os.getloadavg()[0],
    )  # fmt: skip


def bare_answer(index: Path, questions: list[str], rounds: int = 20) -> dict[str, float]:
    """The answer without a server: p50 wall time and mean CPU of ask + render, one thread."""
    sys.path.insert(0, str(ROOT))  # this checkout's rag, not an installed one
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
    """Medians over rounds, per (app, concurrency, client, clients); the goal, judged on the
    first app, concurrency and client given, and that p50 as a multiple of the bare answer's."""
    groups: dict[tuple[str, int, str, int], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.app, row.concurrency, row.client, row.clients), []).append(row)
    merged = [
        Row(*key, *(_median([getattr(r, f) for r in group]) for f in _NUMBERS))
        for key, group in groups.items()
    ]
    first = merged[0] if merged else None
    judged = next(
        (r for r in merged if r.clients == 20 and first and r.client == first.client), None
    )  # the first app, limit and client
    ratio = judged.p50_ms / bare["p50_ms"] if judged else None
    return {
        "bare_answer": bare, "rows": [asdict(r) for r in merged],
        "goal": f"20 clients p50 <= {GOAL_MS} ms",
        "p50_20_over_bare": round(ratio, 1) if ratio else None,
        "goal_met": judged.p50_ms <= GOAL_MS if judged else None,  # None: no 20 clients
    }  # fmt: skip


_NUMBERS = ("answers", "per_second", "p50_ms", "p95_ms", "server_cpu_ms", "client_cpu_ms",
            "other_cores", "events", "load_average")  # fmt: skip


def table(report: dict[str, Any]) -> str:
    bare = report["bare_answer"]
    lines = [
        f"Bare answer (ask + render, one thread, no server): p50 {bare['p50_ms']} ms, "
        f"CPU {bare['cpu_ms']} ms",
        "",
        "| app | concurrency | client | clients | answers/s | p50 ms | p95 ms | messages/answer "
        "| server CPU ms/answer | Gradio + HTTP CPU ms | waiting ms | client CPU ms/answer "
        "| other load (cores) | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = report["rows"]
    alone = {_setup(r): r["p50_ms"] for r in rows if r["clients"] == 1}
    for r in rows:
        overhead = r["server_cpu_ms"] - bare["cpu_ms"]
        waiting = r["p50_ms"] - alone.get(_setup(r), r["p50_ms"])
        lines.append(
            f"| {r['app']} | {r['concurrency']} | {r['client']} | {r['clients']} | "
            f"{r['per_second']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['events'] or '–'} | "
            f"{r['server_cpu_ms']} | {overhead:.1f} | {waiting:.0f} | {r['client_cpu_ms']} | "
            f"{r['other_cores']} | {r['load_average']} |"
        )
    if report["goal_met"] is None:
        verdict = "not judged (no run with 20 clients)"
    else:
        met = "met" if report["goal_met"] else "NOT met"
        verdict = f"{met} (that p50 is {report['p50_20_over_bare']} x the bare answer)"
    lines += ["", f"Goal: {report['goal']}: {verdict}"]
    return "\n".join(lines)


def _setup(row: dict[str, Any]) -> tuple[str, int, str]:
    return row["app"], row["concurrency"], row["client"]


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
