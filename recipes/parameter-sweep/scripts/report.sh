# report: the model, its evaluation and the baseline in one Markdown page.
#   sh scripts/report.sh out/model.txt out/metrics.txt out/baseline.txt > out/report.md
# The parameters shown come from the files (each task writes down the ones
# it used), so the report itself depends on no parameter directly.
set -eu
model=$1 metrics=$2 baseline=$3
# The value of NAME in a "name value" file, or a failure naming the file.
get() { awk -v name="$2" '$1 == name { print $2; found = 1 } END { if (!found) { print FILENAME ": no " name > "/dev/stderr"; exit 2 } }' "$1"; }
rate=$(get "$model" learning_rate)
epochs=$(get "$model" epochs)
trained=$(get "$model" samples)
loss=$(get "$model" loss)
threshold=$(get "$metrics" threshold)
tested=$(get "$metrics" samples)
accuracy=$(get "$metrics" accuracy)
precision=$(get "$metrics" precision)
recall=$(get "$metrics" recall)
majority=$(get "$baseline" label)
baseline_accuracy=$(get "$baseline" accuracy)
cat <<REPORT
# Report

| parameter | value |
|---|---|
| LEARNING_RATE | $rate |
| EPOCHS | $epochs |
| THRESHOLD | $threshold |

Trained on $trained samples (final log loss $loss), tested on $tested.

| | accuracy | precision | recall |
|---|---|---|---|
| model | $accuracy | $precision | $recall |
| baseline (always label $majority) | $baseline_accuracy | | |
REPORT
