# Puts plain PGM pictures of one size side by side, originals in the top row
# and their blurred copies below, 4 pixels of grey between them.
# Usage: awk -v columns=N -f scripts/contact-sheet.awk ORIGINALS... BLURRED...
FNR == 1 { f++; n = 0 }
/^#/ { next }
{
	for (i = 1; i <= NF; i++) {
		n++
		if (n == 2) w = $i
		else if (n == 3) h = $i
		else if (n > 4) { p = n - 5; px[f, int(p / w), p % w] = $i }
	}
}
END {
	gap = 4; rows = int((f + columns - 1) / columns)
	W = columns * w + (columns + 1) * gap; H = rows * h + (rows + 1) * gap
	printf "P2\n# contact sheet: %d pictures\n%d %d\n255\n", f, W, H
	for (Y = 0; Y < H; Y++) {
		line = ""
		for (X = 0; X < W; X++) {
			v = 128
			row = int((Y - gap) / (h + gap)); col = int((X - gap) / (w + gap))
			y = Y - gap - row * (h + gap); x = X - gap - col * (w + gap)
			if (Y >= gap && X >= gap && y < h && x < w && row * columns + col < f) v = px[row * columns + col + 1, y, x]
			line = line (X ? " " : "") v
		}
		print line
	}
}
