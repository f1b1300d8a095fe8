# Shared asset: where each channel sits on the detector (a 4 x 4 grid of 10 mm pads).
BEGIN {
  print "channel,x_mm,y_mm"
  for (ch = 0; ch < 16; ch++) printf "%d,%.1f,%.1f\n", ch, 10 * (ch % 4) + 5, 10 * int(ch / 4) + 5
}
