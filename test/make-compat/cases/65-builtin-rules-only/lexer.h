#ifndef LEXER_H
#define LEXER_H
enum kind { NUM, OP };
struct token { enum kind kind; double value; char op; };
int next_token(const char **p, struct token *t);
#endif
