int lib_mul(int a, int b) { return a * b; }
