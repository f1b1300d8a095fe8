#include "one.h"
#include "two.h"
int one(void);
int main(void) { return one() + TWO - 3; }
