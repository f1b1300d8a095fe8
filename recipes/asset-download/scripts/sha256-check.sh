#!/bin/sh
# Checks a downloaded file against the checksum the manifest gives.
# Usage: sh scripts/sha256-check.sh SHA256 FILE
set -e
want=$1 file=$2
if command -v sha256sum >/dev/null 2>&1; then
	got=$(sha256sum "$file" | cut -d' ' -f1)
else
	got=$(shasum -a 256 "$file" | cut -d' ' -f1)
fi
if [ "$got" != "$want" ]; then
	echo "$file: sha256 $got, but the manifest says $want: the download is damaged or the asset changed" >&2
	exit 1
fi
echo "$file: $(wc -c < "$file" | tr -d ' ') bytes, sha256 as in the manifest"
