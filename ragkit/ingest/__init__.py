"""Stage 1, ingest: files become `Document`s (`loaders`, one per format, bounded and OCR-aware)
and `Document`s become page-aware `Chunk`s (`chunking`). Nothing here embeds or stores; the
index stage does that."""
