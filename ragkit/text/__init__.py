"""Text utilities shared by several stages, with no ragkit imports of their own: BM25 terms
(`analysis`), sentence splitting with offsets (`sentences`) and cutting text to a token budget
(`textfit`). Language models and I/O are left out on purpose, so every stage can use them."""
