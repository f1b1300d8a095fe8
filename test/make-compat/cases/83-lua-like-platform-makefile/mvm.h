#ifndef mvm_h
#define mvm_h
#include "mstate.h"
int mini_step(mini_State *M, char op);
#endif
