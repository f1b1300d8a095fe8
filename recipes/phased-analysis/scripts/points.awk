# Phase 1, raw trace -> point cloud: each hit calibrated (gain table) and
# placed (detector map), smeared within its pad by the run's random numbers.
#   awk -v run=0003 -f scripts/common.awk -f scripts/points.awk GAIN MAP RAW
BEGIN { FS = ","; rng_seed(seed_of(run, 1)) }
FILENAME == ARGV[1] { if (check_row("channel:int gain:num")) gain[$1] = $2; next }
FILENAME == ARGV[2] { if (check_row("channel:int x_mm:num y_mm:num")) { x[$1] = $2; y[$1] = $3 }; next }
{
  if (!check_row("channel:int time_ns:num adc:int")) { print "x_mm,y_mm,t_ns,energy_kev"; next }
  if (!($1 in gain) || !($1 in x)) schema_fail("column 'channel', line " FNR ": channel " $1 " is not in the gain table and the detector map")
  energy = $3 * gain[$1] * 0.1 + 0.5 * gauss()
  printf "%.3f,%.3f,%.3f,%.3f\n", x[$1] + 8 * (rng() - 0.5), y[$1] + 8 * (rng() - 0.5), $2, energy
}
END { if (SCHEMA_FAILED) exit 2 }
