# train: a logistic regression, p(label 1) = 1 / (1 + exp(-(w1*x1 + w2*x2 + b))),
# fitted by batch gradient descent on the log loss.
#   awk -v rate=0.5 -v epochs=200 -f scripts/train.awk out/split/train.csv > out/model.txt
# Writes the model as "name value" lines, the parameters it was trained with
# first, so what reads the model (the report) knows them too.
function fail(msg) { print "train: " msg > "/dev/stderr"; failed = 1; exit 2 }
BEGIN {
  FS = ","
  if (rate !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)$/ || rate <= 0) fail("LEARNING_RATE must be a positive number, got '" rate "'")
  if (epochs !~ /^[0-9]+$/ || epochs < 1) fail("EPOCHS must be a whole number of at least 1, got '" epochs "'")
}
NR == 1 { if ($0 != "x1,x2,label") fail(FILENAME ": expected the header x1,x2,label, got '" $0 "'"); next }
{ n++; x1[n] = $1; x2[n] = $2; y[n] = $3 }
END {
  if (failed) exit 2
  if (n == 0) fail(FILENAME ": no samples")
  w1 = 0; w2 = 0; b = 0
  for (e = 0; e < epochs; e++) {
    g1 = 0; g2 = 0; gb = 0
    for (i = 1; i <= n; i++) {
      d = 1 / (1 + exp(-(w1 * x1[i] + w2 * x2[i] + b))) - y[i]
      g1 += d * x1[i]; g2 += d * x2[i]; gb += d
    }
    w1 -= rate * g1 / n; w2 -= rate * g2 / n; b -= rate * gb / n
  }
  loss = 0
  for (i = 1; i <= n; i++) {
    p = 1 / (1 + exp(-(w1 * x1[i] + w2 * x2[i] + b)))
    loss -= y[i] ? log(p) : log(1 - p)
  }
  print "learning_rate " rate
  print "epochs " epochs
  print "samples " n
  printf "w1 %.6f\nw2 %.6f\nb %.6f\nloss %.6f\n", w1, w2, b, loss / n
}
