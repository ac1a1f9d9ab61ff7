"""Read a dataset in the BEIR layout and lay its corpus out as a folder of articles.

Layout: `corpus.jsonl` or `corpus.jsonl.gz` (`_id`, `title`, `text`), `queries.jsonl`
(`_id`, `text`) and `qrels/<split>.tsv` (`query-id`, `corpus-id`, `score`, with a header).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from ..errors import RagError

_SUFFIX = ".txt"


@dataclass(frozen=True)
class Dataset:
    """The queries of one split and their relevance judgments (`qrels[query][doc] = grade`)."""

    directory: Path
    split: str
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    @property
    def corpus_file(self) -> Path:
        """The corpus file, plain or gzipped."""
        for name in ("corpus.jsonl", "corpus.jsonl.gz"):
            if (self.directory / name).is_file():
                return self.directory / name
        raise RagError(
            f"no corpus.jsonl or corpus.jsonl.gz in {self.directory}/: is it a BEIR dataset?"
        )

    def documents(self) -> Iterator[tuple[str, str, str]]:
        """Every corpus document as (id, title, text), in file order."""
        path = self.corpus_file
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    record = _record(line, path, number, ("_id", "text"))
                    yield str(record["_id"]), str(record.get("title") or ""), str(record["text"])


def load(directory: str | Path, split: str = "test") -> Dataset:
    """Read the queries and qrels of `split`; the corpus is read later, as it is written out.

    Raises:
        RagError: a file is missing or malformed, or a judged query has no text.
    """
    root = Path(directory)
    if not root.is_dir():
        raise RagError(f"no dataset folder {root}/: give the folder that holds corpus.jsonl")
    qrels_file = root / "qrels" / f"{split}.tsv"
    if not qrels_file.is_file():
        splits = sorted(p.stem for p in (root / "qrels").glob("*.tsv"))
        raise RagError(f"no qrels/{split}.tsv in {root}/: choose --split from {splits or 'none'}")
    qrels = _read_qrels(qrels_file)
    queries_file = root / "queries.jsonl"
    if not queries_file.is_file():
        raise RagError(f"no queries.jsonl in {root}/: is it a BEIR dataset?")
    queries = {}
    with open(queries_file, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                record = _record(line, queries_file, number, ("_id", "text"))
                if str(record["_id"]) in qrels:
                    queries[str(record["_id"])] = str(record["text"])
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise RagError(f"{qrels_file} judges queries missing from {queries_file}: {missing[:5]}")
    dataset = Dataset(root, split, queries, qrels)
    dataset.corpus_file  # noqa: B018 - fail now, not after loading the model
    return dataset


def write_corpus(dataset: Dataset, folder: Path) -> int:
    """Write each document as `<id>.txt`, the title on the first line, then the text;
    returns the number of documents."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for doc_id, title, text in dataset.documents():
        content = f"{title.strip()}\n{text}" if title.strip() else text
        (folder / file_name(doc_id)).write_text(content, encoding="utf-8")
        count += 1
    if count == 0:
        raise RagError(f"{dataset.corpus_file} holds no document")
    return count


def file_name(doc_id: str) -> str:
    """A file name that encodes a document id reversibly (no slash, never hidden)."""
    name = quote(doc_id, safe="")
    return ("%2E" + name[1:] if name.startswith(".") else name) + _SUFFIX


def doc_id(source: str) -> str:
    """The document id of an indexed file written by `write_corpus`."""
    return unquote(source.removesuffix(_SUFFIX))


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        for number, row in enumerate(rows, start=1):
            if number == 1 and row[:1] == ["query-id"]:
                continue
            if not row:
                continue
            try:
                query, doc, grade = row[0], row[1], int(row[2])
            except (IndexError, ValueError):
                raise RagError(
                    f"{path} line {number}: expected query-id<TAB>corpus-id<TAB>score"
                ) from None
            qrels.setdefault(query, {})[doc] = grade
    if not qrels:
        raise RagError(f"{path} holds no judgment")
    return qrels


def _record(line: str, path: Path, number: int, keys: tuple[str, ...]) -> dict[str, object]:
    try:
        record = json.loads(line)
    except ValueError:
        raise RagError(f"{path} line {number} is not JSON") from None
    if not isinstance(record, dict) or any(key not in record for key in keys):
        raise RagError(f"{path} line {number} lacks one of the fields {list(keys)}")
    return record
