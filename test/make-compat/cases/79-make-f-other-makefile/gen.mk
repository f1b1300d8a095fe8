NAME = thing
all: $(NAME).h
$(NAME).h: template.h
	sed "s/@NAME@/$(NAME)/g" template.h > $@
.PHONY: all
