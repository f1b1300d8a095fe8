#ifndef mini_h
#define mini_h
#include "mconf.h"
typedef struct mini_State mini_State;
mini_State *mini_newstate(void);
void mini_close(mini_State *M);
void mini_push(mini_State *M, long v);
long mini_pop(mini_State *M);
int mini_exec(mini_State *M, const char *code);
const char *mini_platform(void);
#endif
