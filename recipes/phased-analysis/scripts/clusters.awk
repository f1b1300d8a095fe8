# Phase 2, point cloud -> clusters: points closer in time than WINDOW ns
# are one particle; a cluster is placed at its energy-weighted centre.
BEGIN { FS = ","; WINDOW = 25; print "cluster,x_mm,y_mm,t_ns,energy_kev,hits" }
{
  if (!check_row("x_mm:num y_mm:num t_ns:num energy_kev:num")) next
  if (n > 0 && $3 - t0 > WINDOW) flush()
  if (n == 0) t0 = $3
  n++; e += $4; ex += $1 * $4; ey += $2 * $4
}
END { if (SCHEMA_FAILED) exit 2; flush() }
function flush() {
  if (n == 0) return
  printf "%d,%.3f,%.3f,%.3f,%.3f,%d\n", ++k, ex / e, ey / e, t0, e, n
  n = 0; e = 0; ex = 0; ey = 0
}
