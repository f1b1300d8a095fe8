#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "kv_internal.h"

/* Lines of "key = value"; '#' starts a comment; blank lines are skipped. */
kv_status kv_parse(kv_store *s, const char *text, int *line) {
  *line = 0;
  while (*text) {
    const char *end = strchr(text, '\n');
    size_t len = end ? (size_t)(end - text) : strlen(text);
    (*line)++;
    const char *p = text;
    while (p < text + len && isspace((unsigned char)*p)) p++;
    if (p < text + len && *p != '#') {
      const char *eq = memchr(p, '=', (size_t)(text + len - p));
      if (!eq) return KV_ESYNTAX;
      const char *kend = eq;
      while (kend > p && isspace((unsigned char)kend[-1])) kend--;
      const char *v = eq + 1;
      while (v < text + len && isspace((unsigned char)*v)) v++;
      char *key = kv_strdup(p, (size_t)(kend - p));
      char *value = kv_strdup(v, (size_t)(text + len - v));
      kv_status st = (key && value) ? kv_set(s, key, value) : KV_ENOMEM;
      free(key);
      free(value);
      if (st != KV_OK) return st;
    }
    text += len + (end ? 1 : 0);
  }
  return KV_OK;
}
