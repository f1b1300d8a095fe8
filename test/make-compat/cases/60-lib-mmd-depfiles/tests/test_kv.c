#include <stdio.h>
#include <string.h>
#include "kv.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

int main(void) {
  kv_store *s = kv_new();
  int line = 0;
  CHECK(kv_parse(s, "# settings\nname = kvlib\n\nlevel=3\nname = again\n", &line) == KV_OK);
  CHECK(line == 5);
  CHECK(kv_count(s) == 2);
  CHECK(strcmp(kv_get(s, "name"), "again") == 0);
  CHECK(strcmp(kv_get(s, "level"), "3") == 0);
  CHECK(kv_get(s, "missing") == NULL);
  CHECK(kv_parse(s, "ok = 1\nbroken\n", &line) == KV_ESYNTAX && line == 2);
  printf("%s\n", kv_strerror(KV_ESYNTAX));
  kv_free(s);
  printf("%d failures\n", failures);
  return failures != 0;
}
