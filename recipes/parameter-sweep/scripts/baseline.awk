# baseline: the accuracy of always answering the test set's most common
# label, the least a model must beat. It reads only the data, so no
# parameter of the model or of the evaluation reruns it.
#   awk -f scripts/baseline.awk out/split/test.csv > out/baseline.txt
BEGIN { FS = "," }
NR > 1 { n++; count[$3]++ }
END {
  best = count[0] >= count[1] ? 0 : 1
  print "label " best
  print "samples " n
  printf "accuracy %.4f\n", n == 0 ? 0 : count[best] / n
}
