#include <stdlib.h>
#include <string.h>
#include "kv_internal.h"

kv_store *kv_new(void) {
  return calloc(1, sizeof(kv_store));
}

void kv_free(kv_store *s) {
  if (!s) return;
  for (int i = 0; i < KV_BUCKETS; i++) {
    struct kv_entry *e = s->buckets[i];
    while (e) {
      struct kv_entry *next = e->next;
      free(e->key);
      free(e->value);
      free(e);
      e = next;
    }
  }
  free(s);
}

kv_status kv_set(kv_store *s, const char *key, const char *value) {
  unsigned b = kv_hash(key) % KV_BUCKETS;
  for (struct kv_entry *e = s->buckets[b]; e; e = e->next) {
    if (strcmp(e->key, key) == 0) {
      char *v = kv_strdup(value, strlen(value));
      if (!v) return KV_ENOMEM;
      free(e->value);
      e->value = v;
      return KV_OK;
    }
  }
  struct kv_entry *e = malloc(sizeof *e);
  if (!e) return KV_ENOMEM;
  e->key = kv_strdup(key, strlen(key));
  e->value = kv_strdup(value, strlen(value));
  e->next = s->buckets[b];
  s->buckets[b] = e;
  s->count++;
  return KV_OK;
}

const char *kv_get(const kv_store *s, const char *key) {
  for (const struct kv_entry *e = s->buckets[kv_hash(key) % KV_BUCKETS]; e; e = e->next)
    if (strcmp(e->key, key) == 0) return e->value;
  return NULL;
}

size_t kv_count(const kv_store *s) {
  return s->count;
}
