"""The models ragkit talks to: chat models (`llm`: llama.cpp in process, OpenAI-compatible
servers, a fake), embedders (`embeddings`: int8 ONNX, sentence-transformers, multilingual, a
fake) and the chat prompts (`prompts`). They know nothing of indexes or answers."""
