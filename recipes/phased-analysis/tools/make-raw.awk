# Makes one run's raw trace (the detector's output, shipped in data/raw/):
#   awk -v run=3 -f scripts/common.awk -f tools/make-raw.awk > data/raw/run-0003.csv
# Each event is a particle hitting a pad and its neighbours within a few ns;
# events are 100 ns apart. Not part of the build: raw data is its input.
BEGIN {
  rng_seed(seed_of(run, 9))
  print "channel,time_ns,adc"
  events = 8 + int(rng() * 5)
  for (ev = 0; ev < events; ev++) {
    centre = int(rng() * 16)
    hits = 2 + int(rng() * 3)
    for (h = 0; h < hits; h++) {
      ch = (centre + (h == 0 ? 0 : (rng() < 0.5 ? 1 : 4))) % 16
      printf "%d,%.1f,%d\n", ch, ev * 100 + h * 3 + rng() * 2, 100 + int(rng() * 800)
    }
  }
}
