#ifndef KV_INTERNAL_H
#define KV_INTERNAL_H
#include "kv.h"

#define KV_BUCKETS 64

struct kv_entry {
  char *key;
  char *value;
  struct kv_entry *next;
};

struct kv_store {
  struct kv_entry *buckets[KV_BUCKETS];
  size_t count;
};

unsigned kv_hash(const char *key);
char *kv_strdup(const char *s, size_t n);

#endif
