"""The collections of a Milvus store, and how rows and names are made.

A store named C is a head collection C (the committed state, the manifest, the build lock)
and generations of data collections, `C__g<n>_chunks`, `_sentences` and `_documents`. The
head's one state row names the current generation: switching it is one row written, so a
full rebuild swaps generations atomically (Milvus Lite has no aliases).

Ids: document d's chunk and sentence n have id `d << 24 | n`, so each document's rows are
consecutive; its document rows (its JSON record in pieces) have `d << 24 | piece`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .client import Connection, pymilvus

FORMAT_VERSION = 1
"""The layout of a Milvus store's collections; another one means `rag build --rebuild`."""
ID_BITS = 24
"""Bits of an id that count rows within a document (up to 16.7 million chunks each)."""
PIECE = 15_000
"""Characters per VARCHAR piece: at most 60,000 UTF-8 bytes, under Milvus's 65,535."""
LEXICAL = "rag"
"""What the engine's BM25 indexes: "rag", the terms of `rag.lexical.analyze` (the folder
store's), split on spaces by the engine; or "english", the chunk text through Milvus's english
analyzer (standard tokenizer, lowercase, Snowball stemmer, English stop words). Measured on
the bundled articles' 32 seed and paraphrase questions: "rag" gives the folder store's answer
to all 32, "english" differs on 2, because `idf(term)` is asked for terms rag has already
stemmed and the engine stems them again ("propos" -> "propo", found in no chunk)."""
_ANALYZERS: dict[str, dict[str, Any]] = {
    "english": {"type": "english"},
    "rag": {"tokenizer": "whitespace"},
}
STATE, LOCK = 0, 1  # ids of the head's state row and lock row
MANIFEST_SHIFT = 16  # manifest piece p of revision r has id r << 16 | p (r >= 1)


def default_collection(model: str, chunker: dict[str, object]) -> str:
    """A collection name for an index of `model` and `chunker`: two models, or two chunker
    settings, never share one."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.rsplit("/", 1)[-1].lower()).strip("_")[:40]
    digest = hashlib.sha256(
        json.dumps([model, chunker], sort_keys=True, default=str).encode()
    ).hexdigest()[:10]
    return f"rag_{slug}_{digest}"


def generation_name(collection: str, number: int) -> str:
    """The prefix of generation `number`'s collections."""
    return f"{collection}__g{number}"


def generation_number(name: str) -> int:
    """The number of the generation named `name`."""
    return int(name.rsplit("__g", 1)[1])


def create_head(conn: Connection, name: str) -> None:
    """Create the head collection `name` if it does not exist."""
    if conn.call("has_collection", name):
        return
    DataType = pymilvus().DataType
    schema = conn.call("create_schema", auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("body", DataType.VARCHAR, max_length=65_535)
    schema.add_field("dot", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field
    _create(conn, name, schema, {"dot": ("FLAT", "L2")})


def create_generation(conn: Connection, prefix: str, dim: int) -> None:
    """Create the three data collections of a generation (those missing)."""
    module = pymilvus()
    DataType, Function, FunctionType = module.DataType, module.Function, module.FunctionType
    chunks = conn.call("create_schema", auto_id=False)
    _rows_fields(chunks, DataType)
    chunks.add_field("first", DataType.INT64)
    chunks.add_field("stop", DataType.INT64)
    chunks.add_field(
        "lexical", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
        analyzer_params=_ANALYZERS[LEXICAL],
    )  # fmt: skip
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    chunks.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25,
            input_field_names=["lexical"], output_field_names=["sparse"],
        )
    )  # fmt: skip
    sentences = conn.call("create_schema", auto_id=False)
    _rows_fields(sentences, DataType)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    documents = conn.call("create_schema", auto_id=False)
    documents.add_field("id", DataType.INT64, is_primary=True)
    documents.add_field("doc", DataType.INT64)
    documents.add_field("piece", DataType.INT64)
    documents.add_field("source", DataType.VARCHAR, max_length=65_535)
    documents.add_field("chunks", DataType.INT64)
    documents.add_field("sentences", DataType.INT64)
    documents.add_field("body", DataType.VARCHAR, max_length=65_535)
    documents.add_field("dot", DataType.FLOAT_VECTOR, dim=2)
    vector_index = "FLAT" if conn.uri.endswith(".db") else "AUTOINDEX"  # Lite: no HNSW
    lexical = ("SPARSE_INVERTED_INDEX", "BM25")
    indexes = {
        "chunks": (chunks, {"vector": (vector_index, "IP"), "sparse": lexical}),
        "sentences": (sentences, {"vector": ("FLAT", "IP")}),
        "documents": (documents, {"dot": ("FLAT", "L2")}),
    }  # fmt: skip
    for kind, (schema, fields) in indexes.items():
        if not conn.call("has_collection", f"{prefix}_{kind}"):
            _create(conn, f"{prefix}_{kind}", schema, fields)


def drop_generation(conn: Connection, prefix: str) -> None:
    """Drop a generation's collections."""
    for kind in ("chunks", "sentences", "documents"):
        if conn.call("has_collection", f"{prefix}_{kind}"):
            conn.call("drop_collection", f"{prefix}_{kind}")


def pieces(text: str) -> list[str]:
    """`text` cut into VARCHAR-sized pieces (at least one)."""
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [""]


def lexical_text(text: str) -> str:
    """What the engine's BM25 analyzes for a chunk or a query."""
    if LEXICAL == "english":
        return text
    from ...lexical import analyze

    return " ".join(analyze(text))


def _rows_fields(schema: Any, DataType: Any) -> None:
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc", DataType.INT64)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)


def _create(conn: Connection, name: str, schema: Any, fields: dict[str, tuple[str, str]]) -> None:
    params = conn.call("prepare_index_params")
    for field, (index_type, metric) in fields.items():
        params.add_index(field, index_type=index_type, metric_type=metric)
    conn.call(
        "create_collection", name, schema=schema, index_params=params, consistency_level="Strong"
    )
