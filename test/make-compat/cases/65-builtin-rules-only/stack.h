#ifndef STACK_H
#define STACK_H
#define STACK_MAX 64
struct stack { double items[STACK_MAX]; int top; };
void push(struct stack *s, double v);
double pop(struct stack *s);
#endif
