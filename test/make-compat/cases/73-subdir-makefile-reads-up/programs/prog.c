#include <stdio.h>
#include "lib.h"
int main(void) { printf("%d\n", lib_mul(lib_add(1, 2), 4)); return 0; }
