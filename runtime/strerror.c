/* placeholder */
#include "sbx/sbxrt.h"
const char *sbx_strerror(int err) { (void)err; return "error"; }
