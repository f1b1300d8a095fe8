#include "one.h"
int one(void) { return ONE; }
