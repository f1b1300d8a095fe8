# Melts one knight's armour at one quality: the steel of every piece, less
# what the melt loses, cast into ingots of 1 kg at the quality's purity.
# Usage: awk -f scripts/melt.awk out/knights/K.txt out/qualities/Q.txt
BEGIN { FS = "\t" }
FILENAME == ARGV[1] && /^# armour of/ { knight = $0; sub(/^# armour of /, "", knight); next }
FILENAME == ARGV[1] { kg += $2; pieces++; next }
{ quality = $1; purity = $2; loss = $3 }
END {
	metal = kg * (1 - loss) * purity
	printf "%s\t%s\t%d pieces\t%.1f kg of armour\t%.2f kg of metal\t%d ingots\n", knight, quality, pieces, kg, metal, int(metal)
}
