#!/bin/sh
# The report: one line per stats file given, in manifest order.
set -e
echo "report of $# data sets"
cat "$@"
