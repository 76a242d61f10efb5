"""Prompt injection, direct (the user's question) and indirect (a retrieved document).

Three scanners, each reporting on its own: `InjectionScanner`, phrase rules in
English, Chinese and German ("ignore previous instructions", "忽略之前的指令", "vergiss
alle Anweisungen", role-play jailbreaks, requests for the system prompt, text addressing
the model from inside a document, chat-template markup, attempts to close the fence that
marks retrieved text as data) with exact spans, run on a normalised copy (NFKC,
invisible characters dropped) so "ig\u200bnore" does not slip through;
`InjectionClassifier`, the linear classifier over hashed n-grams (classifier.py) on a
whole text, for questions; and `SentenceClassifier`, the same model on each sentence of
a retrieved chunk at a high threshold.
Leaves out semantic judgement beyond wording (judge.py asks a model) and
obfuscations such as base64 or translation into rare languages.
"""

from __future__ import annotations

import re
import unicodedata

from ragkit.guard.classifier import LinearModel
from ragkit.guard.types import Finding, OneKindScanner
from ragkit.text.cjk import CJK

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")

_EN_VERB = r"(?:ignore|disregard|forget|skip|override|overrule|bypass|drop|abandon|delete|erase)"
_EN_SCOPE = (
    r"(?:previous|prior|above|earlier|preceding|foregoing|all|any|every|your|the|these|those"
    r"|initial|original|system|developer|old|given)"
)
_EN_OBJECT = (
    r"(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context"
    r"|tasks?|commands?|orders|constraints|restrictions|programming|assignments?|messages?)"
)
_RULES_EN = [
    (
        "IGNORE_INSTRUCTIONS",
        rf"\b{_EN_VERB}\b[^.!?\n]{{0,40}}?\b{_EN_SCOPE}\b[^.!?\n]{{0,30}}?\b{_EN_OBJECT}\b",
    ),
    (
        "IGNORE_INSTRUCTIONS",
        r"\b(?:forget|ignore|disregard) (?:about )?(?:everything|all|anything)\b",
    ),
    ("NEW_INSTRUCTIONS", r"\b(?:new|updated|real|actual) (?:instructions?|task|rules)\s*:"),
    ("NEW_INSTRUCTIONS", r"\bnow (?:focus on|concentrate on) (?:your|a|the) new task\b"),
    (
        "SYSTEM_PROMPT",
        r"\b(?:reveal|show|print|repeat|display|output|leak|tell me|give me|write out"
        r"|spell out|what (?:is|are|was|were))\b[^.!?\n]{0,40}\b(?:system prompt"
        r"|(?:initial|original|hidden|secret|previous|first) (?:prompts?|instructions?)"
        r"|your (?:prompt|instructions|rules)(?: text)?|prompt texts?)\b",
    ),
    (
        "ROLE_PLAY",
        r"\b(?:you are now|from now on,? you (?:are|will|must)"
        r"|pretend (?:to be|you are|that you)|roleplay as|role-play as"
        r"|act as (?:an? )?(?:unrestricted|unfiltered|evil|jailbroken|dan))\b",
    ),
    (
        "JAILBREAK",
        r"\b(?:DAN|do anything now|developer mode|jailbreak(?:ed)?|stan mode|dude mode|aim mode)\b",
    ),
    (
        "JAILBREAK",
        r"\b(?:no|without|free of|free from) (?:any )?(?:restrictions|filters|limits"
        r"|limitations|rules|guidelines|ethical|moral|censorship)\b[^.!?\n]{0,40}\b(?:answer|respond|reply|tell|say|do)\b",
    ),
    (
        "TEMPLATE_MARKUP",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*(?:system|instruction)s?\b",
    ),
    ("FENCE_ESCAPE", r"</?\s*source\b[^>]{0,40}>"),
]
_RULES_ZH = [
    (
        "IGNORE_INSTRUCTIONS",
        r"(?:忽略|无视|忽视|忘记|忘掉|忘了|不要理会|不要管|别管|跳过|覆盖|抛开|丢掉|放弃"
        r"|不要遵守|不再遵守|停止遵守|违背)"
        r"[^。！？\n]{0,12}?(?:之前|以前|先前|此前|上面|上述|前面|以上|所有|全部|一切|原来|原有"
        r"|原先|系统|你的)[^。！？\n]{0,12}?(?:指令|指示|命令|规则|提示|要求|设定|设置|限制|任务"
        r"|约束|说明)",
    ),
    ("NEW_INSTRUCTIONS", r"(?:新的?|真正的)(?:指令|任务|规则)\s*[:：]"),
    (
        "NEW_INSTRUCTIONS",
        r"你的(?:真实|真正|新)任务是|(?:停止|放弃)(?:执行)?(?:当前|你的|原来的|原有的)?"
        r"(?:任务|总结|工作|回答)[^。！？\n]{0,6}?(?:转而|改为|然后|并)"
        r"|(?:限制|规则|指令|设定|策略)(?:已经|已)?(?:作废|失效|取消|解除)",
    ),
    (
        "SYSTEM_PROMPT",
        r"(?:告诉|输出|显示|打印|重复|泄露|透露|给我看|展示|说出|复述|列出)[^。！？\n]{0,12}?"
        r"(?:系统提示|系统提示词|系统指令|系统消息|初始指令|初始提示|隐藏指令|原始指令|提示词"
        r"|你的指令|你的设定|(?:收到|得到)的第一条消息|最初的(?:消息|指令))",
    ),
    (
        "SYSTEM_PROMPT",
        r"(?:系统提示词?|系统指令|系统消息|初始指令|初始提示|隐藏指令|原始指令|你的指令|你的设定"
        r"|(?:收到|得到)的第一条消息)[^。！？\n]{0,12}?(?:输出|告诉|显示|打印|发给|给我|复述|泄露"
        r"|透露|列出)",
    ),
    (
        "ROLE_PLAY",
        r"(?:你现在是|从现在开始[，,]?你|现在你是|扮演|假装你是|假装自己是|假设你是|你将成为"
        r"|你是一个)[^。！？\n]{0,24}?(?:没有|不受|不再受|无任何|无需|不需要|不用|不必)"
        r"[^。！？\n]{0,6}?(?:遵守|限制|约束|规则|审查|道德|过滤|束缚)",
    ),
    (
        "JAILBREAK",
        r"(?:进入|启用|开启|切换到|激活|处于)了?(?:开发者|越狱|DAN|无限制|管理员)模式"
        r"|(?:解除|取消|移除)了?(?:你的)?(?:所有|全部|一切)?(?:限制|约束|审查)"
        r"|(?:没有|不受)(?:任何)?(?:限制|约束|审查)的(?:AI|人工智能|助手|模型|机器人|聊天机器人)",
    ),
    (
        # Text that speaks to the model from inside a document: indirect injection.
        "ADDRESSES_THE_MODEL",
        r"(?:AI|人工智能|助手|大模型|语言模型|机器人)[^。！？\n]{0,8}?(?:读到|看到|处理|总结|阅读)"
        r"[^。！？\n]{0,8}?(?:时|后|这里|此处|此段|这段|这句|本文)"
        r"|(?:致|给)[^。！？\n]{0,6}?(?:AI|人工智能|助手|大模型|语言模型)[^。！？\n]{0,4}?"
        r"(?:的)?(?:指示|说明|指令|[:：])",
    ),
]
_RULES_DE = [
    (
        "IGNORE_INSTRUCTIONS",
        r"\b(?:ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|vergesse|missachte"
        r"|überspringe)\b[^.!?\n]{0,50}?\b(?:anweisungen|instruktionen|aufgaben|aufträge"
        r"|befehle|regeln|vorgaben|informationen|alles)\b",
    ),
    (
        "SYSTEM_PROMPT",
        r"\b(?:zeige?|gib|nenne|verrate|wiederhole)\b[^.!?\n]{0,40}"
        r"\b(?:systemprompt|system-prompt|prompt-texte?|deine anweisungen)\b",
    ),
    ("ROLE_PLAY", r"\b(?:du bist jetzt|ab jetzt bist du|tu so,? als|stell dir vor,? du bist)\b"),
    ("NEW_INSTRUCTIONS", r"\b(?:neue aufgabe|neue anweisung|neue anweisungen)\s*:"),
]

# Patterns are written in lower case and run over lower-cased text: much faster than
# re.IGNORECASE. The Chinese ones only run on text that has CJK characters.
_LATIN = [(label, re.compile(p.lower(), re.MULTILINE)) for label, p in (*_RULES_EN, *_RULES_DE)]
_CHINESE = [(label, re.compile(p.lower(), re.MULTILINE)) for label, p in _RULES_ZH]


def _normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


class InjectionScanner(OneKindScanner, name="injection", kind="injection"):
    """The phrase rules, with exact spans (the whole text when normalising moved them)."""

    def rule_findings(self, text: str) -> list[Finding]:
        norm = _normalized(text).lower()
        exact = len(norm) == len(text)
        out: list[Finding] = []
        rules = [*_LATIN, *_CHINESE] if CJK.search(norm) else _LATIN
        for label, pattern in rules:
            for m in pattern.finditer(norm):
                start, end = (m.start(), m.end()) if exact else (0, len(text))
                if any(f.start <= start and end <= f.end for f in out):
                    continue  # inside a phrase another rule already reported
                out.append(self.found(label, start, end, 1.0, "[instruction removed]"))
        return out

    def scan(self, text: str) -> list[Finding]:
        return sorted(self.rule_findings(text), key=lambda f: f.start)

    def pending(self, text: str) -> int:
        # Injection is judged on whole texts (inputs and chunks), not on streams.
        return len(text)


class InjectionClassifier(OneKindScanner, name="classifier", kind="injection"):
    """The linear classifier alone, as its own scanner, so a guard can run it only where
    its training data resembles the text: it was fitted on prompts people type, and on
    document prose it fires far too often (bench/guard_bench.py measures how often), so
    `default_guard` runs it on questions only."""

    def __init__(self, model: LinearModel, threshold: float | None = None) -> None:
        self.model = model
        self.threshold = threshold if threshold is not None else model.threshold

    def scan(self, text: str) -> list[Finding]:
        if not text.strip():
            return []
        score = self.model.score(text)
        if score <= self.threshold:
            return []
        return [self.found("CLASSIFIER", 0, len(text), score, "[instruction removed]")]

    def pending(self, text: str) -> int:
        return len(text)


_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
# Sentence-level threshold for retrieved text: far above the question threshold, because
# a document has many sentences and each is a chance to misfire. 0.9 was picked by
# looking at 300 SciFact and 300 RGB passages (none fired), so figures on those two sets
# are not held out; bench/guard_bench.py reports CMRC, the sample corpus and the rest.
SENTENCE_THRESHOLD = 0.9


def _mostly_cjk(text: str) -> bool:
    return len(CJK.findall(text)) * 3 > len(text)


class SentenceClassifier(OneKindScanner, name="sentence-classifier", kind="injection"):
    """The classifier on each sentence of a retrieved chunk, at a high threshold: an
    injection planted in a document is usually a sentence or two among ordinary prose,
    and ordinary prose scored whole looks like a long prompt to a model fitted on
    prompts. Reports the sentence's span."""

    def __init__(self, model: LinearModel, threshold: float = SENTENCE_THRESHOLD) -> None:
        self.model = model
        self.threshold = threshold

    def scan(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for m in _SENTENCE.finditer(text):
            sentence = m.group()
            if len(sentence.split()) < 3 or _mostly_cjk(sentence):
                # Too short to judge (headings, list items), or Chinese, Japanese or
                # Korean, which the classifier never saw (the rules cover Chinese).
                continue
            score = self.model.score(sentence)
            start = m.start() + len(sentence) - len(sentence.lstrip())
            if score > self.threshold:
                out.append(
                    self.found(
                        "CLASSIFIER_SENTENCE",
                        start,
                        m.end(),
                        score,
                        "[instruction removed]",
                    )
                )
        return out

    def max_score(self, text: str) -> float:
        """The highest score of a sentence `scan` would judge (for benchmarks)."""
        return max(
            (
                self.model.score(m.group())
                for m in _SENTENCE.finditer(text)
                if len(m.group().split()) >= 3 and not _mostly_cjk(m.group())
            ),
            default=0.0,
        )

    def pending(self, text: str) -> int:
        return len(text)
