"""Text utilities shared by several stages, with no ragkit imports of their own: BM25 terms
(`analysis`), sentence splitting with offsets (`sentences`), cutting text to a token budget
(`textfit`), normalising text for comparison (`normalize`) and dropping Markdown's inline
marks (`marks`). Language models and I/O are
left out on purpose, so every stage can use them."""
