#!/bin/sh
# Runs the program and compares its output with the expected text.
set -eu
app=$1
expected=$2
actual=$("./$app" flow)
if [ "$actual" != "$(cat "$expected")" ]; then
    echo "FAIL: expected '$(cat "$expected")', got '$actual'" >&2
    exit 1
fi
echo "ok: $actual"
