#!/usr/bin/env bash
# Install ragkit into .venv: `scripts/install.sh` for the app, `scripts/install.sh test` for
# the test suite (any extras, comma-separated). Used by the README's quick start and by CI.
#
# torch==2.13.0 is pinned first: an unpinned torch requirement pulls a CUDA build of several
# GB. llama-cpp-python compiles llama.cpp for this CPU; where the CPU has AMX but the kernel
# does not hand out its tile state (a general protection fault on `ldtilecfg` at the first
# token), a native build crashes every model call, so there it is built for AVX-512 without
# AMX, never from a wheel an earlier native build left in pip's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
python3 -m venv .venv
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null && ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    echo "install: building llama.cpp without AMX for this CPU (about five minutes)" >&2
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON" .venv/bin/pip install -q --no-cache-dir \
        'llama-cpp-python[server]>=0.3.8,<0.4'
fi
.venv/bin/pip install -q torch==2.13.0 -e ".${extras:+[$extras]}"
# An editable install leaves ragkit's own modules uncompiled, and where
# PYTHONDONTWRITEBYTECODE is set no run writes their bytecode either, so every `ragkit`
# process would compile the package from source (about 0.3 s of CPU before it does
# anything). Compile it once here; Python recompiles a module whose source is newer.
.venv/bin/python -m compileall -q -j 0 ragkit apps >/dev/null
