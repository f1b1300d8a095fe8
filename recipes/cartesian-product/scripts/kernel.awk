# A Gaussian kernel: the first line is its radius r, then 2r+1 lines of 2r+1
# weights that sum to 1. Usage: awk -v sigma=S -f scripts/kernel.awk
BEGIN {
	if (sigma + 0 <= 0) {
		print "kernel.awk: sigma must be a number above 0, not '" sigma "'" > "/dev/stderr"
		exit 1
	}
	r = int(3 * sigma + 0.999)
	for (y = -r; y <= r; y++)
		for (x = -r; x <= r; x++) sum += w[y, x] = exp(-(x * x + y * y) / (2 * sigma * sigma))
	print r
	for (y = -r; y <= r; y++) {
		line = ""
		for (x = -r; x <= r; x++) line = line (x > -r ? " " : "") sprintf("%.8f", w[y, x] / sum)
		print line
	}
}
