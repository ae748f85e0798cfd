/* placeholder */
#include "sbx/sbxrt.h"
size_t sbx_derive_cap_sid(const uint16_t *path, size_t units, char out[SBX_SID_STR_MAX]) { (void)path; (void)units; out[0] = 0; return 0; }
