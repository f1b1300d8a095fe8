# A small test picture, as a plain PGM file (grey, 0-255) that image viewers
# open. Usage: awk -v kind=KIND -v size=N -f scripts/image.awk
# KIND: checker, rings, gradient or stripes.
BEGIN {
	if (size == "") size = 64
	if (kind !~ /^(checker|rings|gradient|stripes)$/) {
		print "image.awk: no picture called '" kind "' (known: checker rings gradient stripes)" > "/dev/stderr"
		exit 1
	}
	printf "P2\n# %s\n%d %d\n255\n", kind, size, size
	c = (size - 1) / 2
	for (y = 0; y < size; y++) {
		line = ""
		for (x = 0; x < size; x++) {
			if (kind == "checker") v = (int(x / 8) + int(y / 8)) % 2 ? 255 : 0
			else if (kind == "rings") v = int(sqrt((x - c) ^ 2 + (y - c) ^ 2) / 5) % 2 ? 230 : 25
			else if (kind == "gradient") v = int(255 * (x + y) / (2 * (size - 1)))
			else v = int(x / 4) % 2 ? 255 : 0
			line = line (x ? " " : "") v
		}
		print line
	}
}
