#define TK_X                                1
