# Every run's estimates in one table. Each input is checked first: a JSON
# object with these keys, of these types (int or num).
BEGIN {
  n = split("run:int clusters:int mean_energy_kev:num mean_energy_err_kev:num", keys, " ")
  print "run,clusters,mean_energy_kev,mean_energy_err_kev"
}
{
  row = ""
  for (i = 1; i <= n; i++) {
    split(keys[i], kt, ":")
    if (!match($0, "\"" kt[1] "\": *[^,}]*")) json_fail("key '" kt[1] "' is missing")
    v = substr($0, RSTART, RLENGTH); sub(/^"[^"]*": */, "", v)
    if (kt[2] == "int" && v !~ /^-?[0-9]+$/) json_fail("key '" kt[1] "': expected an integer, got '" v "'")
    if (kt[2] == "num" && v !~ /^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$/) json_fail("key '" kt[1] "': expected a number, got '" v "'")
    row = row (i > 1 ? "," : "") v
  }
  print row
}
END { if (FAILED) exit 2 }
function json_fail(msg) {
  printf "schema error: %s: %s\n", FILENAME, msg > "/dev/stderr"
  FAILED = 1
  exit 2
}
