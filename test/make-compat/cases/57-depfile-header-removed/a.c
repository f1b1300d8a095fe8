#include "old.h"
int a(void) { return OLD; }
