#include "lex.h"
int lex(const char *s) { return s[0] ? T_NUM : 0; }
