# prepare: a synthetic labelled data set, two overlapping clouds of points.
#   awk -v samples=400 -v seed=7 -f scripts/data.awk > out/data.csv
# Writes x1,x2,label: each label drawn with even odds, label 0 around (-1, -0.5), label 1 around (1, 0.5),
# each coordinate spread by a normal deviation of 1. The random numbers come
# from the Park-Miller generator below, not awk's rand(), so the same seed
# gives the same file under mawk, gawk and busybox awk (the products stay
# below 2^53: exact in a double).
function fail(msg) { print "data: " msg > "/dev/stderr"; failed = 1; exit 2 }
function uniform() { state = (16807 * state) % 2147483647; return state / 2147483647 }
function normal() { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()) }
BEGIN {
  if (samples !~ /^[0-9]+$/ || samples < 10) fail("SAMPLES must be a whole number of at least 10, got '" samples "'")
  if (seed !~ /^[0-9]+$/ || seed < 1 || seed >= 2147483647) fail("SEED must be a whole number from 1 to 2147483646, got '" seed "'")
  state = seed + 0
  for (i = 0; i < 10; i++) uniform()
  print "x1,x2,label"
  for (i = 0; i < samples; i++) {
    label = uniform() < 0.5
    cx = label ? 1 : -1
    cy = label ? 0.5 : -0.5
    printf "%.4f,%.4f,%d\n", cx + normal(), cy + normal(), label
  }
}
