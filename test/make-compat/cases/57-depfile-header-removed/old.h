#define OLD 7
