#define T_NUM 1
