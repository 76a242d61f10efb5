"""Retrieval evaluation: score ragkit's search on standard test collections.

`load_dataset("beir:DIR" | "squad:FILE")` reads a collection, `evaluate_retrieval`
indexes its corpus through the normal pipeline (reusing a cached index) and scores each
search mode with nDCG@10, Recall@1/5/10/100, MRR@10 and queries per second;
`format_table` and `to_json` present the scores. Leaves out answer-quality (generation)
evaluation and the command line, which wires these functions up.
"""

from __future__ import annotations

from ragkit.evaluation.datasets import (
    DatasetError,
    EvalDataset,
    default_cache_dir,
    load_dataset,
)
from ragkit.evaluation.metrics import (
    jsonl_doc_id,
    mean,
    mrr_at_k,
    ndcg_at_k,
    rank_documents,
    recall_at_k,
)
from ragkit.evaluation.runner import (
    PreparedIndex,
    RetrievalScores,
    evaluate_retrieval,
    format_table,
    prepare_index,
    to_json,
)

__all__ = [
    "DatasetError",
    "EvalDataset",
    "PreparedIndex",
    "RetrievalScores",
    "default_cache_dir",
    "evaluate_retrieval",
    "format_table",
    "jsonl_doc_id",
    "load_dataset",
    "mean",
    "mrr_at_k",
    "ndcg_at_k",
    "prepare_index",
    "rank_documents",
    "recall_at_k",
    "to_json",
]
