# Turns manifest.tsv into Flowfile lines (out/assets.mk): the list of the
# assets, each subset's list, and each asset's path and checksum. The
# Flowfile makes the tasks from these. Usage: awk -f scripts/assets-mk.awk manifest.tsv
BEGIN { FS = "\t"; print "# Generated from manifest.tsv by scripts/assets-mk.awk: do not edit." }
/^#/ || NF == 0 { next }
NF != 4 || $1 !~ /^[A-Za-z0-9_-]+$/ || $2 !~ /^[A-Za-z0-9_-]+$/ || $4 !~ /^[0-9a-f]+$/ || length($4) != 64 {
	printf "%s:%d: expected 4 tab-separated fields: name, subset, path, sha256 (64 hex digits)\n", FILENAME, FNR > "/dev/stderr"
	bad = 1
	exit 1
}
$1 in seen { printf "%s:%d: asset '%s' is listed twice\n", FILENAME, FNR, $1 > "/dev/stderr"; bad = 1; exit 1 }
{
	seen[$1] = 1
	printf "\nASSETS_ALL += %s\nASSETS_%s += %s\n%s.path := %s\n%s.sha256 := %s\n", $1, $2, $1, $1, $3, $1, $4
}
END { if (bad) exit 1 }
