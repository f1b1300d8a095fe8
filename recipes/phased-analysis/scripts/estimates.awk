# Phase 3, clusters -> estimates: the mean cluster energy and its error,
# by a bootstrap (B resamples drawn with the run's random numbers), as JSON.
BEGIN { FS = ","; B = 200; rng_seed(seed_of(run, 2)) }
{ if (check_row("cluster:int x_mm:num y_mm:num t_ns:num energy_kev:num hits:int")) en[n++] = $5 }
END {
  if (SCHEMA_FAILED) exit 2
  mean = 0
  for (i = 0; i < n; i++) mean += en[i] / n
  s = 0; s2 = 0
  for (b = 0; b < B; b++) {
    m = 0
    for (i = 0; i < n; i++) m += en[int(rng() * n)] / n
    s += m; s2 += m * m
  }
  v = s2 / B - (s / B) ^ 2
  printf "{\"run\": %d, \"clusters\": %d, \"mean_energy_kev\": %.3f, \"mean_energy_err_kev\": %.3f, \"seed\": %d}\n", run + 0, n, mean, sqrt(v > 0 ? v : 0), seed_of(run, 2)
}
