#include <math.h>
#include <stdio.h>
#include "lexer.h"
#include "stack.h"

int main(void) {
	struct stack s = {0};
	const char *expr = "3 4 + 2 *";
	struct token t;
	while (next_token(&expr, &t)) {
		if (t.kind == NUM) push(&s, t.value);
		else { double b = pop(&s), a = pop(&s); push(&s, t.op == '+' ? a + b : a * b); }
	}
	printf("calc %s: %g (sqrt %g)\n", VERSION, pop(&s), sqrt(2.0));
	return 0;
}
