#include "mprefix.h"
#include "mini.h"
#include "mstate.h"
#include "mvm.h"

int mini_step(mini_State *M, char op) {
  long b, a;
  if (op >= '0' && op <= '9') {
    mini_push(M, op - '0');
    return 0;
  }
  b = mini_pop(M);
  a = mini_pop(M);
  switch (op) {
    case '+': mini_push(M, a + b); return 0;
    case '-': mini_push(M, a - b); return 0;
    case '*': mini_push(M, a * b); return 0;
    default: return -1;
  }
}

int mini_exec(mini_State *M, const char *code) {
  for (; *code != '\0'; code++)
    if (*code != ' ' && mini_step(M, *code) != 0) return -1;
  return 0;
}
