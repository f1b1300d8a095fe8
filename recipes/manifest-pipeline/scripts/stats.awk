# One line about a CSV file (header skipped): rows, and the total and the
# largest value of column `col`. Usage: awk -F, -v name=N -v col=C -f stats.awk FILE
NR == 1 { next }
{
	rows++
	total += $col
	if (rows == 1 || $col + 0 > max) { max = $col + 0; at = $1 }
}
END { printf "%s: %d rows, total %d, largest %d (%s)\n", name, rows, total, max, at }
