"""The `rag` command (build, ask, serve, eval, doctor). Parses, calls the library, prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from . import runtime
from .config import Settings
from .errors import RagError, shown

if TYPE_CHECKING:
    from .indexer import ProgressBar
    from .types import Answer, BuildReport, Passage


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    runtime.configure()
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        status: int = args.run(args)
        sys.stdout.flush()  # output still buffered (stdout is a pipe) meets a closed reader here
        return status
    except RagError as error:
        print(f"rag: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`rag ask ... | head -1`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="rag", description="Answer questions from a folder of articles, with citations."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    build = commands.add_parser("build", help="index the articles (only new or changed ones)")
    _source_option(build)
    _index_option(build)
    _store_option(build)
    build.add_argument("--rebuild", action="store_true", help="embed everything again from scratch")
    build.add_argument("--model", help="embedding model name or path (or RAG_EMBED_MODEL)")
    build.add_argument(
        "--max-file-mb", type=float, help=f"skip larger files (default: {defaults.max_file_mb:g})"
    )
    build.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=_build)

    ask = commands.add_parser("ask", help="answer a question from the indexed articles")
    ask.add_argument("question")
    _index_option(ask)
    _store_option(ask)
    ask.add_argument("--top-k", type=int, help=f"passages to draw on (default: {defaults.top_k})")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--stream", action="store_true", help="print the answer as it is written")
    ask.add_argument("--llm-url", help="OpenAI-compatible server URL (or RAG_LLM_BASE_URL)")
    ask.add_argument("--llm-model", help="model for --llm-url (or RAG_LLM_MODEL)")
    ask.set_defaults(run=_ask)

    serve = commands.add_parser(
        "serve", help="index what changed, then start the web chat (= python app.py)"
    )
    _source_option(serve)
    _index_option(serve)
    _store_option(serve)
    serve.add_argument(
        "--host", help="address to listen on (default: 127.0.0.1, or GRADIO_SERVER_NAME)"
    )
    serve.add_argument(
        "--port", type=int, help="port to listen on (default: 7860, or GRADIO_SERVER_PORT)"
    )
    serve.add_argument(
        "--auth", action="append", default=[], metavar="USER:PASSWORD",
        help="require sign-in with this account (repeatable; or RAG_AUTH)",
    )  # fmt: skip
    serve.add_argument(
        "--auth-file", metavar="FILE", help="accounts, one USER:PASSWORD a line (or RAG_AUTH_FILE)"
    )
    serve.add_argument(
        "--mcp", action="store_true", help="also serve the MCP tools ask and search (or RAG_MCP=1)"
    )
    serve.add_argument(
        "--read-only", action="store_true",
        help="no adding or removing articles from the page (or RAG_READ_ONLY=1)",
    )  # fmt: skip
    serve.set_defaults(run=_serve)

    evaluate = commands.add_parser(
        "eval", help="measure retrieval on a BEIR dataset, or answers on questions"
    )
    given = evaluate.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--beir", metavar="DIR", help="a BEIR dataset: corpus.jsonl[.gz], queries.jsonl, qrels/"
    )
    given.add_argument("--questions", metavar="FILE", help="a question set, one JSON object a line")
    evaluate.add_argument("--split", help="BEIR qrels split to score (default: test)")
    evaluate.add_argument(
        "--index",
        metavar="DIR",
        help="BEIR: folder to index the corpus into, reused by later runs (default: a temporary "
        f"one); questions: the index to ask (default: {defaults.index_dir})",
    )
    _store_option(evaluate)
    evaluate.add_argument(
        "--json", action="store_true", help="print the results as one JSON object"
    )
    evaluate.set_defaults(run=_eval)

    doctor = commands.add_parser(
        "doctor", help="check, offline, the model, tokenizer, index and chat settings"
    )
    _source_option(doctor)
    _index_option(doctor)
    _store_option(doctor)
    doctor.set_defaults(run=_doctor)
    return parser


def _source_option(command: argparse.ArgumentParser) -> None:
    default = Settings().source_dir
    command.add_argument(
        "--source", help=f"folder of articles (default: {default}, or RAG_SOURCE_DIR)"
    )


def _index_option(command: argparse.ArgumentParser) -> None:
    default = Settings().index_dir
    command.add_argument("--index", help=f"index folder (default: {default}, or RAG_INDEX_DIR)")


def _store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--store", metavar="URI",
        help="a Milvus store instead of the index folder: FILE.db (Milvus Lite) or "
        "http(s)://HOST:PORT, its token in RAG_STORE_TOKEN (or RAG_STORE_URI)",
    )  # fmt: skip


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run_checks

    os.environ["HF_HUB_OFFLINE"] = "1"  # prove the model loads with the hub out of reach
    runtime.faiss_threads()
    checks = run_checks(
        Settings.from_env(source_dir=args.source, index_dir=args.index, store_uri=args.store)
    )
    for check in checks:
        print(f"{'ok ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    failed = sum(not check.ok for check in checks)
    print(f"{len(checks) - failed} of {len(checks)} checks passed")
    return 1 if failed else 0


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build_index

    settings = Settings.from_env(source_dir=args.source, index_dir=args.index)
    runtime.faiss_threads(None)  # a large index trains on every core
    show_bar = not args.quiet and sys.stderr.isatty()
    report = build_index(
        settings.source_dir, settings.index_dir, rebuild=args.rebuild, model=args.model,
        max_file_mb=args.max_file_mb, progress=_progress_bar if show_bar else None,
        store=args.store,
    )  # fmt: skip
    _print_report(report)
    return 0


def _print_report(report: BuildReport) -> None:
    for skipped in report.skipped:
        print(f"skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    print(_summary(report), flush=True)


def _serve(args: argparse.Namespace) -> int:
    from .web.options import ServeOptions
    from .web.server import serve

    settings = Settings.from_env(source_dir=args.source, index_dir=args.index)
    options = ServeOptions.from_env(
        read_only=args.read_only, mcp=args.mcp, auth=args.auth, auth_file=args.auth_file
    )
    progress = _progress_bar if sys.stderr.isatty() else None
    serve(
        settings.source_dir, settings.index_dir, host=args.host, port=args.port,
        progress=progress, built=_print_report, options=options, store=args.store,
    )  # fmt: skip
    return 0


def _progress_bar(total: int) -> ProgressBar:
    from tqdm import tqdm

    bar: ProgressBar = tqdm(
        total=total, unit="chunk", desc="Embedding", file=sys.stderr, leave=False
    )
    return bar


def _summary(report: BuildReport) -> str:
    size = f"{report.documents} articles, {report.chunks} chunks in {shown(report.index_dir)}"
    skipped = f", {len(report.skipped)} files skipped" if report.skipped else ""
    if report.up_to_date:
        return f"Index is up to date: {size}{skipped} ({report.seconds:.1f} s)"
    return (
        f"Indexed {size}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {report.unchanged} unchanged{skipped}; "
        f"{report.embedded_chunks} chunks embedded in {report.seconds:.1f} s"
    )


def _ask(args: argparse.Namespace) -> int:
    from .llm import LLMSettings
    from .pipeline import load_index

    settings = Settings.from_env(index_dir=args.index)
    if args.top_k is not None and args.top_k < 1:
        raise RagError("--top-k must be at least 1")
    llm = LLMSettings.from_env(base_url=args.llm_url, model=args.llm_model)
    runtime.faiss_threads()
    assistant = load_index(settings.index_dir, llm=llm, store=args.store)
    if args.stream and not args.json:
        answer = _print_stream(assistant.stream(args.question, top_k=args.top_k))
    else:
        answer = assistant.ask(args.question, top_k=args.top_k)
        print(
            json.dumps(answer_json(answer), ensure_ascii=False, indent=2)
            if args.json
            else _human(answer)
        )
    if answer.note:
        print(f"rag: note: {answer.note}", file=sys.stderr)
    return 0


def _print_stream(items: Iterator[str | Answer]) -> Answer:
    """Print the answer text as it comes, then its sources; return the answer."""
    shown = ""
    for item in items:
        if isinstance(item, str):
            print(item, end="", flush=True)
            shown += item
        else:
            human = _human(item)
            print(human[len(shown) :] if human.startswith(shown) else "\n\n" + human)
            return item
    raise RuntimeError("the answer stream ended without an answer")


def _eval(args: argparse.Namespace) -> int:
    from .evaluation import benchmark, questions, report

    runtime.faiss_threads()
    if args.beir:
        progress = _progress_bar if sys.stderr.isatty() else None
        scores = benchmark.evaluate(
            args.beir,
            args.split or "test",
            index_dir=args.index,
            progress=progress,
            store=args.store,
        )
        output = report.beir_json(scores) if args.json else report.beir_table(scores)
    else:
        if args.split:
            raise RagError("--split applies to --beir datasets only")
        outcomes = questions.evaluate(
            args.questions, Settings.from_env(index_dir=args.index).index_dir, store=args.store
        )
        output = report.questions_json(outcomes) if args.json else report.questions_table(outcomes)
    print(json.dumps(output, ensure_ascii=False, indent=2) if args.json else output)
    return 0


def answer_json(answer: Answer) -> dict[str, object]:
    """The JSON form of an answer (`rag ask --json`)."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "found": answer.found,
        "outcome": answer.outcome,
        "confidence": answer.confidence,
        "search_query": answer.search_query,
        "note": answer.note,
        "citations": [asdict(c) for c in answer.citations],
        "related": [] if answer.found else [_passage_json(p) for p in answer.passages],
    }


def _passage_json(passage: Passage) -> dict[str, object]:
    record = asdict(passage)
    chunk = record.pop("chunk")
    return {**chunk, **record}


def _human(answer: Answer) -> str:
    lines = [answer.text, ""]
    if answer.found:
        lines.append("Sources:")
        for c in answer.citations:
            page = f", page {c.page}" if c.page else ""
            lines.append(f"  [{c.number}] {c.title} ({c.source}{page}, chars {c.start}-{c.end})")
            lines.append(f"      “{' '.join(c.quote.split())}”")
    else:
        lines.append("Related passages:")
        for p in answer.passages:
            text = " ".join(p.chunk.text.split())
            lines.append(f"  - {p.chunk.title} ({p.chunk.source}, similarity {p.similarity:.2f})")
            lines.append(f"      “{text[:300]}{'…' if len(text) > 300 else ''}”")
    lines += ["", f"Confidence that the articles answer this: {answer.confidence:.0%}"]
    return "\n".join(lines).rstrip()
