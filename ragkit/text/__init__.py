"""Text utilities shared by several stages, with no imports from outside `ragkit.text`:
BM25 terms (`analysis`), sentence splitting with offsets (`sentences`), cutting text to a
token budget (`textfit`), what counts as a Chinese character (`cjk`), normalising text for
comparison (`normalize`) and dropping Markdown's inline marks (`marks`). Language models
and I/O are left out on purpose, so every stage can use them."""
