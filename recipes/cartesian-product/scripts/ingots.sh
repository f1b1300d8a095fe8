#!/bin/sh
# The ledger: every melt's line, then the ingots of all of them.
set -e
printf 'knight\tquality\tpieces\tarmour\tmetal\tingots\n'
cat "$@"
awk -F'\t' '{ n += $6 } END { printf "total: %d ingots from %d melts\n", n, NR }' "$@"
