#ifndef STRBUF_H
#define STRBUF_H
#include <stddef.h>

#define STRBUF_INIT 32

struct strbuf {
  char *buf;
  size_t len;
  size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *s);
void strbuf_release(struct strbuf *sb);
size_t count_words(const char *s);
#endif
