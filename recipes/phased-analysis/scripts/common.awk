# Shared by every phase: the schema check each runs on its input before it
# computes anything, and the random numbers, seeded from the run number.
# Plain POSIX awk (mawk, gawk, busybox).

# check_row(spec): checks the current record of the current file against
# spec, "name:type name:type ..." (type int, num or text), the columns of a
# CSV file in order. Record 1 is the header: its names must be the spec's.
# Returns 0 for the header, 1 for a data row; a mismatch stops the phase
# with a message naming the file, the column and the line.
function check_row(spec,    n, cols, i, nt, want) {
  n = split(spec, cols, " ")
  if (FNR == 1) {
    for (i = 1; i <= n; i++) {
      split(cols[i], nt, ":")
      if (i > NF) schema_fail("column '" nt[1] "' is missing (the header has " NF " columns: " $0 ")")
      if ($i != nt[1]) schema_fail("column " i " is '" $i "', expected '" nt[1] "'")
    }
    if (NF > n) schema_fail("column '" $(n + 1) "' is not expected (the columns are: " spec ")")
    return 0
  }
  if (NF != n) schema_fail("line " FNR " has " NF " fields, expected " n)
  for (i = 1; i <= n; i++) {
    split(cols[i], nt, ":")
    want = nt[2]
    if (want == "int" && $i !~ /^-?[0-9]+$/) schema_fail("column '" nt[1] "', line " FNR ": expected an integer, got '" $i "'")
    if (want == "num" && $i !~ /^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) schema_fail("column '" nt[1] "', line " FNR ": expected a number, got '" $i "'")
  }
  return 1
}

function schema_fail(msg) {
  printf "schema error: %s: %s\n", FILENAME, msg > "/dev/stderr"
  SCHEMA_FAILED = 1
  exit 2
}

# The run's random numbers: a Park-Miller generator (exact in awk's doubles,
# so every awk gives the same sequence), seeded from the run number and the
# phase (salt), so that each run is reproducible and its results cacheable.
function seed_of(run, salt) {
  return ((run + 0) * 7919 + salt * 104729) % 2147483647 + 1
}
function rng_seed(s,    i) {
  RNG_STATE = s
  for (i = 0; i < 8; i++) rng()
}
function rng() {
  RNG_STATE = (16807 * RNG_STATE) % 2147483647
  return RNG_STATE / 2147483647
}
# Roughly normal (mean 0, sd 1): the sum of twelve uniforms, less six.
function gauss(    i, s) {
  s = 0
  for (i = 0; i < 12; i++) s += rng()
  return s - 6
}
