#include "mprefix.h"
#include <stdlib.h>
#include "mini.h"
#include "mstate.h"

mini_State *mini_newstate(void) {
  mini_State *M = malloc(sizeof *M);
  if (M != NULL) M->top = 0;
  return M;
}

void mini_close(mini_State *M) { free(M); }

void mini_push(mini_State *M, long v) {
  if (M->top < MINI_STACK) M->stack[M->top++] = v;
}

long mini_pop(mini_State *M) { return M->top > 0 ? M->stack[--M->top] : 0; }
