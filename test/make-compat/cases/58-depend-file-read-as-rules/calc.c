#include "lex.h"
int main(void) { return lex("1") - T_NUM; }
