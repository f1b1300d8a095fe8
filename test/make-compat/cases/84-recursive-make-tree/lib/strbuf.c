#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

void strbuf_init(struct strbuf *sb) {
  sb->cap = STRBUF_INIT;
  sb->len = 0;
  sb->buf = malloc(sb->cap);
  if (sb->buf != NULL) sb->buf[0] = '\0';
}

void strbuf_add(struct strbuf *sb, const char *s) {
  size_t n = strlen(s);
  if (sb->buf == NULL) return;
  while (sb->len + n + 1 > sb->cap) {
    char *p = realloc(sb->buf, sb->cap * 2);
    if (p == NULL) return;
    sb->buf = p;
    sb->cap *= 2;
  }
  memcpy(sb->buf + sb->len, s, n + 1);
  sb->len += n;
}

void strbuf_release(struct strbuf *sb) {
  free(sb->buf);
  sb->buf = NULL;
  sb->len = sb->cap = 0;
}
