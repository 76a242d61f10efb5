"""Stage 4, answer: evidence first, then words, then checks. `pipelines` is the one path from
hits to a streamed, cited answer (and the standalone-question rewrite for conversations);
`grounding`, `extractive`, `evidence`, `citations` and `checking` are its parts, and
`summarize` maps long documents through a chat model. No retrieval and no front end here."""
