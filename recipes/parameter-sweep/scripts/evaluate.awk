# evaluate: the scores turned into predictions at a threshold (label 1 when
# the probability is at least the threshold), and how good they are.
#   awk -v threshold=0.5 -f scripts/evaluate.awk out/scores.csv > out/metrics.txt
function fail(msg) { print "evaluate: " msg > "/dev/stderr"; failed = 1; exit 2 }
function ratio(a, b) { return b == 0 ? "n/a" : sprintf("%.4f", a / b) }
BEGIN {
  FS = ","
  if (threshold !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)$/ || threshold > 1) fail("THRESHOLD must be a number from 0 to 1, got '" threshold "'")
}
NR == 1 { if ($0 != "label,probability") fail(FILENAME ": expected the header label,probability, got '" $0 "'"); next }
{
  predicted = $2 >= threshold + 0
  if (predicted && $1) tp++
  else if (predicted) fp++
  else if ($1) fn++
  else tn++
}
END {
  if (failed) exit 2
  n = tp + fp + fn + tn
  print "threshold " threshold
  print "samples " n
  print "accuracy " ratio(tp + tn, n)
  print "precision " ratio(tp, tp + fp)
  print "recall " ratio(tp, tp + fn)
}
