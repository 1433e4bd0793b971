#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter (needed by Mesa 3.5).
#
# Order:
#   1. $PYTHON, if set (fails if it is not runnable or older than 3.12)
#   2. python3.13, python3.12, python3 on PATH
#   3. the newest pyenv install >= 3.12 ($(pyenv root)/versions, /root/.pyenv/versions)
# Every candidate is actually executed, so pyenv shims for versions that are
# installed but not selected (which exist but fail) are skipped.
set -euo pipefail

MIN_MSG="dataspace_abm needs Python >= 3.12 (Mesa 3.5)."
CHECK='import sys; assert sys.version_info >= (3, 12); print(sys.executable)'

# Run candidate $1; on success print the interpreter path and return 0.
try_python() {
    local cand="$1" exe
    exe="$("$cand" -c "$CHECK" 2>/dev/null)" || return 1
    [ -n "$exe" ] || return 1
    printf '%s\n' "$exe"
}

if [ -n "${PYTHON:-}" ]; then
    if ! command -v -- "$PYTHON" >/dev/null 2>&1; then
        echo "error: PYTHON=$PYTHON is not an executable/command. $MIN_MSG" >&2
        exit 1
    fi
    if try_python "$PYTHON"; then
        exit 0
    fi
    ver="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)"
    if [ -n "$ver" ]; then
        echo "error: PYTHON=$PYTHON is Python $ver. $MIN_MSG Set PYTHON to a Python >= 3.12 or unset it to auto-detect." >&2
    else
        err="$("$PYTHON" -c 'import sys' 2>&1 | head -n 3 || true)"
        echo "error: PYTHON=$PYTHON could not be run as a Python interpreter. $MIN_MSG Set PYTHON to a Python >= 3.12 or unset it to auto-detect." >&2
        [ -n "$err" ] && printf '  (it said: %s)\n' "$err" >&2
    fi
    exit 1
fi

for name in python3.13 python3.12 python3; do
    if command -v "$name" >/dev/null 2>&1 && try_python "$name"; then
        exit 0
    fi
done

roots=()
if command -v pyenv >/dev/null 2>&1; then
    r="$(pyenv root 2>/dev/null || true)"
    [ -n "$r" ] && roots+=("$r")
fi
[ -n "${PYENV_ROOT:-}" ] && roots+=("$PYENV_ROOT")
roots+=("$HOME/.pyenv" "/root/.pyenv")

# Newest first (version sort), first one that passes the check wins.
while IFS=$'\t' read -r _ver py; do
    [ -n "${py:-}" ] || continue
    if try_python "$py"; then
        exit 0
    fi
done < <(
    for r in "${roots[@]}"; do
        for d in "$r"/versions/3.[1-9][0-9]*; do
            [ -x "$d/bin/python" ] && printf '%s\t%s\n' "${d##*/}" "$d/bin/python"
        done
    done 2>/dev/null | sort -u | sort -t$'\t' -k1,1 -V -r
)

echo "error: $MIN_MSG None found on PATH or in pyenv. Install one or set PYTHON=/path/to/python3.12" >&2
exit 1
