/* strerror.c - one sentence per enum sbx_err. */
#include "sbx/sbxrt.h"

static const char *const sbx_messages[SBX_E__COUNT] = {
	[SBX_OK]                = "success",
	[SBX_E_ALIGN]           = "the blob or one of its sections is not 8-byte aligned",
	[SBX_E_TRUNCATED]       = "the blob is truncated: it is shorter than its header or its declared size",
	[SBX_E_MAGIC]           = "not an sbx policy blob (bad magic bytes)",
	[SBX_E_VERSION]         = "the blob was written for another format version or compiler ABI",
	[SBX_E_SIZE]            = "a header or section size is inconsistent or too large",
	[SBX_E_CHECKSUM]        = "checksum mismatch: the blob is corrupted",
	[SBX_E_BOUNDS]          = "an offset, count or index points outside its table",
	[SBX_E_OVERLAP]         = "two sections overlap, or a section overlaps the header or section table",
	[SBX_E_STRING]          = "a bad string reference, an unterminated string or invalid UTF-8/UTF-16",
	[SBX_E_UNKNOWN_REQUIRED] = "the blob needs a section this runtime does not know",
	[SBX_E_DUPLICATE]       = "a section appears twice",
	[SBX_E_MISSING]         = "a section the blob needs is missing",
	[SBX_E_VALUE]           = "a field has a value outside its domain",
	[SBX_E_BPF]             = "the seccomp program is not a valid, terminating filter",
	[SBX_E_FLAGS]           = "unknown header or section flags",
};

const char *sbx_strerror(int err)
{
	if (err < 0 || err >= SBX_E__COUNT || !sbx_messages[err])
		return "unknown error";
	return sbx_messages[err];
}
