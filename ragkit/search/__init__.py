"""Stage 3, search: rank an index's chunks for a question (`retrieval`: dense, BM25, fusion,
filters, MMR), rerank them (`rerank`) and widen the question (`multiquery`). It reads an
index; it neither writes one nor talks to a person."""
