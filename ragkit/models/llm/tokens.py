"""A conservative token estimate for models whose tokenizer ragkit does not have.

Remote models tokenize on the server and nothing downloads a tokenizer here, so prompts
for them are packed by an estimate that errs high: two tokens per CJK character, one per
other non-ASCII character, one per three ASCII characters, plus ten per cent. English
text costs about four characters a token in common tokenizers, so the estimate overcounts
it by a third. Chinese costs from 0.7 tokens a character (Qwen, DeepSeek) to about two
(byte-level tokenizers of English-centred models such as SmolLM2); the estimate takes
the high end, so a prompt packed by it fits whatever model serves it. Leaves out exact counting,
which only the model's own tokenizer (the local backend) gives.
"""

from __future__ import annotations

import math

MARGIN = 1.1


def _is_cjk(code: int) -> bool:
    return (
        0x3000 <= code <= 0x9FFF  # CJK punctuation, kana, unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x2FFFF
    )


def estimate_tokens(text: str) -> int:
    """Tokens `text` will cost at most, give or take, in an unknown tokenizer."""
    ascii_chars = cjk = other = 0
    for ch in text:
        code = ord(ch)
        if code < 128:
            ascii_chars += 1
        elif _is_cjk(code):
            cjk += 1
        else:
            other += 1
    return math.ceil((ascii_chars / 3 + 2 * cjk + other) * MARGIN)
