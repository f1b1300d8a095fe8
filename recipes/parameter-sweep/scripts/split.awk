# prepare: one part of the data set, train or test. Every fourth sample is
# held out for testing, the others are for training.
#   awk -v part=train -f scripts/split.awk out/data.csv > out/split/train.csv
BEGIN {
  if (part != "train" && part != "test") { print "split: part must be train or test, got '" part "'" > "/dev/stderr"; exit 2 }
}
NR == 1 { print; next }
{ held_out = (NR - 2) % 4 == 3; if (held_out == (part == "test")) print }
