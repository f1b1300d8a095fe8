int lib_add(int, int);
int lib_mul(int, int);
