#include <stdlib.h>
#include <string.h>
#include "kv_internal.h"

/* FNV-1a, 32 bits. */
unsigned kv_hash(const char *key) {
  unsigned h = 2166136261u;
  for (; *key; key++) {
    h ^= (unsigned char)*key;
    h *= 16777619u;
  }
  return h;
}

char *kv_strdup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}
