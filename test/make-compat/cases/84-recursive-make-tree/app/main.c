#include <stdio.h>
#include "strbuf.h"

int main(int argc, char **argv) {
  struct strbuf sb;
  int i;
  strbuf_init(&sb);
  for (i = 1; i < argc; i++) {
    if (i > 1) strbuf_add(&sb, " ");
    strbuf_add(&sb, argv[i]);
  }
  printf("%zu words, %zu bytes (initial capacity %d)\n", count_words(sb.buf), sb.len, STRBUF_INIT);
  strbuf_release(&sb);
  return 0;
}
