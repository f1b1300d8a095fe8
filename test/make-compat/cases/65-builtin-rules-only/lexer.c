#include <stdlib.h>
#include "lexer.h"

int next_token(const char **p, struct token *t) {
	while (**p == ' ') (*p)++;
	if (**p == '\0') return 0;
	if (**p == '+' || **p == '*') { t->kind = OP; t->op = *(*p)++; return 1; }
	char *end;
	t->kind = NUM;
	t->value = strtod(*p, &end);
	*p = end;
	return 1;
}
