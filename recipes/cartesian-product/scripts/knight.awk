# A knight's armour, made up from the knight's name: the same name always
# gives the same armour. One line per piece: piece, kilograms of steel.
# Usage: awk -v name=NAME -f scripts/knight.awk
BEGIN {
	if (name !~ /^[a-z][a-z0-9_]*$/) {
		print "knight.awk: a knight's name is lower-case letters, digits and _, not '" name "'" > "/dev/stderr"
		exit 1
	}
	# A seed from the letters of the name, then a small linear congruential generator.
	for (i = 1; i <= length(name); i++) seed = (seed * 31 + index("abcdefghijklmnopqrstuvwxyz0123456789_", substr(name, i, 1))) % 65521
	split("helm breastplate gauntlets greaves shield", pieces, " ")
	print "# armour of", name
	for (i = 1; i <= 5; i++) {
		seed = (seed * 75 + 74) % 65537
		printf "%s\t%.1f\n", pieces[i], 1.5 + (seed % 60) / 10
	}
}
