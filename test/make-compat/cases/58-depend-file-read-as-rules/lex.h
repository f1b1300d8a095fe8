#include "tokens.h"
int lex(const char *s);
