# One station's month in one line: days, mean, lowest and highest
# temperature, rain in all and rainy days. The header is checked first, so a
# file of another shape fails here and names its first line.
# Usage: awk -F, -v name=NAME -f scripts/process.awk FILE.csv
FNR == 1 {
	if ($0 != "day,temp_c,rain_mm") {
		print FILENAME ": expected the header day,temp_c,rain_mm, found: " $0 > "/dev/stderr"
		bad = 1
		exit 1
	}
	next
}
{
	days++
	sum += $2
	if (days == 1 || $2 < lo) lo = $2
	if (days == 1 || $2 > hi) hi = $2
	rain += $3
	if ($3 > 0) wet++
}
END {
	if (bad) exit 1
	printf "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\n", name, days, sum / days, lo, hi, rain, wet
}
