#include <string.h>
#include "foo.h"
int gz_name(char *out, const char *name) { strcpy(out, name); strcat(out, ".gz"); return (int)strlen(out); }
