#ifndef mstate_h
#define mstate_h
#include "mini.h"
struct mini_State {
  long stack[MINI_STACK];
  int top;
};
#endif
