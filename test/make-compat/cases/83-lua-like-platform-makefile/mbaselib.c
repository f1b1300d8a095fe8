#include "mprefix.h"
#include "mini.h"
#include "mstate.h"

const char *mini_platform(void) { return MINI_PLATFORM; }
