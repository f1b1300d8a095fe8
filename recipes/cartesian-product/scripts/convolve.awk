# Convolves a plain PGM picture with a kernel (as scripts/kernel.awk writes
# it); pixels beyond the edge repeat the edge. Writes a plain PGM.
# Usage: awk -f scripts/convolve.awk KERNEL IMAGE.pgm
FILENAME == ARGV[1] {
	if (FNR == 1) { r = $1; ky = -r; next }
	for (i = 1; i <= NF; i++) k[ky, i - 1 - r] = $i
	ky++
	next
}
# The picture: its header (magic, width and height, maxval; comments skipped), then the pixels.
/^#/ { next }
{
	for (i = 1; i <= NF; i++) {
		n++
		if (n == 1) { if ($i != "P2") { print "convolve.awk: " FILENAME " is not a plain PGM (P2) file" > "/dev/stderr"; exit 1 } }
		else if (n == 2) w = $i
		else if (n == 3) h = $i
		else if (n == 4) maxval = $i
		else { p = n - 5; px[int(p / w), p % w] = $i }
	}
}
END {
	printf "P2\n# %s blurred, radius %d\n%d %d\n%d\n", FILENAME, r, w, h, maxval
	for (y = 0; y < h; y++) {
		line = ""
		for (x = 0; x < w; x++) {
			s = 0
			for (dy = -r; dy <= r; dy++) {
				yy = y + dy; if (yy < 0) yy = 0; if (yy >= h) yy = h - 1
				for (dx = -r; dx <= r; dx++) {
					xx = x + dx; if (xx < 0) xx = 0; if (xx >= w) xx = w - 1
					s += k[dy, dx] * px[yy, xx]
				}
			}
			line = line (x ? " " : "") int(s + 0.5)
		}
		print line
	}
}
