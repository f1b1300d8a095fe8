#ifndef KV_H
#define KV_H
#include <stddef.h>

typedef struct kv_store kv_store;

typedef enum { KV_OK = 0, KV_ENOMEM, KV_ESYNTAX, KV_ENOTFOUND } kv_status;

kv_store *kv_new(void);
void kv_free(kv_store *s);
kv_status kv_set(kv_store *s, const char *key, const char *value);
const char *kv_get(const kv_store *s, const char *key);
size_t kv_count(const kv_store *s);
kv_status kv_parse(kv_store *s, const char *text, int *line);
const char *kv_strerror(kv_status st);

#endif
