# One quality's line of data/qualities.tsv, or an error naming the known ones.
# Usage: awk -v name=NAME -f scripts/quality.awk data/qualities.tsv
BEGIN { FS = "\t" }
/^#/ { next }
{ known = known " " $1 }
$1 == name { printf "%s\t%s\t%s\n", $1, $2, $3; found = 1 }
END {
	if (!found) {
		print "quality.awk: no quality '" name "' in " FILENAME " (known:" known ")" > "/dev/stderr"
		exit 1
	}
}
