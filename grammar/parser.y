%name SbxPlaceholder
%token_prefix TK_
%include {
#include <stddef.h>
#include <stdlib.h>
#include <assert.h>
}
file ::= X.
