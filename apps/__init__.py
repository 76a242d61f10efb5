"""Applications built on ragkit's public API: the terminal chat, the web document Q&A and
its OpenAI-compatible server, and a small library example. Each app imports only what
`ragkit` exports publicly; none holds logic the library should have."""
