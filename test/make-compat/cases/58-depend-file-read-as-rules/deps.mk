calc.o: calc.c lex.h \
  tokens.h
lex.o: lex.c lex.h tokens.h
