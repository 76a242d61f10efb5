"""Example programs built only on ragkit's public API (`import ragkit`), run from a checkout
with `python -m apps.NAME`. They are not installed: the shipped front ends (CLI, web page,
OpenAI-compatible server, terminal chat) live in `ragkit.apps`."""
