#include "stack.h"

void push(struct stack *s, double v) { if (s->top < STACK_MAX) s->items[s->top++] = v; }
double pop(struct stack *s) { return s->top > 0 ? s->items[--s->top] : 0; }
