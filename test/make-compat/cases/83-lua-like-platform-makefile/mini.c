#include "mprefix.h"
#include <stdio.h>
#include "mini.h"
#include "mstate.h"

int main(int argc, char **argv) {
  mini_State *M = mini_newstate();
  const char *code = argc > 1 ? argv[1] : "12+3*";
  if (M == NULL) return 1;
  if (mini_exec(M, code) != 0) {
    fprintf(stderr, "mini: bad program\n");
    return 1;
  }
  printf("mini (%s, stack %d): %s = %ld\n", mini_platform(), MINI_STACK, code, mini_pop(M));
  mini_close(M);
  return 0;
}
