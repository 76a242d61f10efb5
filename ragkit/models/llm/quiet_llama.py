"""A llama-cpp-python `Llama` that loads a model file and answers without a word on the
process's stdout or stderr, and without taking them from anyone else meanwhile.

Told to be quiet (`verbose=False`), llama-cpp-python points the whole process's file
descriptors 1 and 2 (and `sys.stdout`/`sys.stderr`) at /dev/null while llama.cpp loads
a model file (its `suppress_stdout_stderr`, up to a second). ragkit loads models on a
thread of its own while the process goes on, so that lost whatever any other thread
printed meanwhile (`ragkit ask`'s error about an empty question, a chat's first screen).
Here the load runs as `verbose=True`, which keeps the descriptors where they are, and
llama.cpp's own log, which is what that redirect silenced, goes to a callback that drops
it (`llama_log_set`: llama.cpp and ggml log through it, nothing is written to the
descriptors directly). llama-cpp-python's own verbose prints (system information, the
file's metadata, the chat format it picked, cache hits while answering) are left out by
`verbose` reading False once the model file is loaded: the one read before that decides
the redirect. tests/integration/test_quiet_load_real.py checks both on the bundled model.
`stop_evaluating` calls off an evaluation under way (a prompt evaluated ahead of an
answer that will not be asked for): llama.cpp checks an abort callback between two steps
of its graph, and this one is the C library's `strlen` over a one-byte flag, which it
can call from its own threads without taking Python's lock (a Python callback would
take it hundreds of times a token, and wait for it while the caller runs Python).
Leaves out llama-cpp-python's multimodal and function-calling chat handlers (ragkit uses
neither), which redirect the same way while they answer.

Imports llama-cpp-python: import this module only where a model is loaded.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp


def _flag_reader() -> Any:
    """llama.cpp's abort callback type over the C library's `strlen`: given a
    NUL-terminated one-byte flag, it returns 0 (go on) or 1 (stop), a `bool` in the C
    calling conventions llama.cpp is built for (the low byte of the returned register).
    None where the C library cannot be found: then an evaluation under way runs to its end."""
    for name in (None, "msvcrt"):  # POSIX: the process's own symbols; Windows: msvcrt
        try:
            strlen = ctypes.CDLL(name).strlen
        except (OSError, TypeError, AttributeError):
            continue
        address = ctypes.cast(strlen, ctypes.c_void_p).value
        if address is not None:
            return llama_cpp.ggml_abort_callback(address)
    return None


_STOP_WHEN_SET = _flag_reader()


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _drop(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama.cpp's log line, dropped: a load's or an answer's failure reaches the caller
    as llama-cpp-python's exception, and the log is what the redirect silenced before."""


class QuietLlama(llama_cpp.Llama):
    """`llama_cpp.Llama` built as verbose (no redirect) that prints nothing."""

    def __init__(self, **kwargs: Any) -> None:
        # Process-wide, as llama.cpp has one log: ragkit's models are all quiet. Set again
        # for each load, as importing llama-cpp-python's logger module set its own.
        llama_cpp.llama_log_set(_drop, ctypes.c_void_p(0))
        # The flag `stop_evaluating` sets, and its terminating NUL; llama.cpp reads it
        # through `_STOP_WHEN_SET` as long as the context lives, which this object owns.
        self._stop_flag = ctypes.create_string_buffer(2)
        super().__init__(**kwargs, verbose=True)
        if _STOP_WHEN_SET is not None:
            llama_cpp.llama_set_abort_callback(
                self._ctx.ctx, _STOP_WHEN_SET, ctypes.cast(self._stop_flag, ctypes.c_void_p)
            )

    def stop_evaluating(self, stop: bool) -> None:
        """While `stop` is set, llama.cpp abandons any evaluation at its next graph step
        (its `llama_decode` returns 2: llama-cpp-python raises RuntimeError, the tokens
        evaluated before that evaluation stay in the cache); unset it before the next."""
        self._stop_flag[0] = b"\x01" if stop else b"\x00"

    @property
    def verbose(self) -> bool:
        """True until the model file is loaded (`Llama.__init__` passes it to the loader,
        which redirects nothing when it is True), False from then on (nothing printed)."""
        return "_model" not in self.__dict__

    @verbose.setter
    def verbose(self, value: bool) -> None:
        """Ignored: `Llama.__init__` sets it from the `verbose=True` given above."""
