"""The front ends, built on the library below them and never imported by it: the `ragkit`
command (`cli`), the web page with its OpenAI-compatible server (`web`) and the terminal chat
(`tui`). A front end parses input, reads `Settings` through `ragkit.wiring` and draws events."""
