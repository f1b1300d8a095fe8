#include <stdio.h>
#include "util.h"
#include "config.h"
int main(void) { printf("%s %d\n", GREETING, twice(21)); return 0; }
