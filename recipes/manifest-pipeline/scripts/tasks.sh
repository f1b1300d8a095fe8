#!/bin/sh
# Writes a Flowfile fragment for the manifest given as $1 (lines: name, source
# file, column to sum; '#' starts a comment): one fetch task and one stats task
# per entry, and STATS, the list of the stats files.
set -e
echo "# Generated from $1 by scripts/tasks.sh: do not edit."
grep -v '^#' "$1" | while IFS='	' read -r name src col; do
	[ -n "$name" ] || continue
	cat <<FRAGMENT

STATS += out/stats/$name.txt
out/fetched/$name.csv: $src
	@mkdir -p \$(@D)
	cp \$< \$@
out/stats/$name.txt: out/fetched/$name.csv scripts/stats.awk
	@mkdir -p \$(@D)
	awk -F, -v name=$name -v col=$col -f scripts/stats.awk \$< > \$@
out/stats/$name.txt: .TAGS := stats
FRAGMENT
done
