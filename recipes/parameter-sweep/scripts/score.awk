# score: the model's probability of label 1 for each test sample.
#   awk -f scripts/score.awk out/model.txt out/split/test.csv > out/scores.csv
function fail(msg) { print "score: " msg > "/dev/stderr"; failed = 1; exit 2 }
FNR == NR { model[$1] = $2; next }
FNR == 1 {
  if (!("w1" in model) || !("w2" in model) || !("b" in model)) fail("the model has no w1, w2 or b")
  if ($0 != "x1,x2,label") fail(FILENAME ": expected the header x1,x2,label, got '" $0 "'")
  FS = ","; print "label,probability"; next
}
{
  split($0, f, ",")
  printf "%d,%.6f\n", f[3], 1 / (1 + exp(-(model["w1"] * f[1] + model["w2"] * f[2] + model["b"])))
}
