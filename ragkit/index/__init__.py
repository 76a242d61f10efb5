"""The on-disk index: manifest, SQLite store, FAISS vectors, BM25, generations, lock.

See `docs/index-format.md` for the layout. `IndexWriter` and `IndexReader` in
`ragkit.index.engine` are the entry points; the other modules each own one file type.
"""
