/*
 * parser.y - the .sbxpol grammar, compiled by lemon.
 *
 * Actions are one call into the tree builder in compiler/parse.c; the
 * parse state (diagnostics, source, the file being built) is lemon's
 * extra context.  Error recovery is by statement: a broken statement is
 * skipped up to its ';' (or the '}' / '{' that ends it), so the next
 * mistake is reported too.  The words of each message are chosen in
 * sbx_p_syntax_error() from what the parser expected at that point.
 */
%name sbxParse
%token_prefix TK_
%token_type {struct sbx_token}
%extra_context {struct sbx_parse_state *ps}
%start_symbol file
%stack_size 64
%stack_overflow { sbx_p_overflow(ps); }
%syntax_error {
	sbx_p_syntax_error(ps, yymajor, &yyminor, expected_tokens(yypParser->yytos->stateno));
}

%include {
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse_internal.h"
#include "sbx/blob.h"

/*
 * lemon keeps quiet for three shifts after a syntax error.  We recover a
 * whole statement at a time instead, so once the broken statement has been
 * skipped the next mistake is reported at once.
 */
#define RECOVERED() (yypParser->yyerrcnt = -1)

static uint64_t expected_tokens(unsigned stateno);
}

%code {
/*
 * The terminals the parser can take in state `stateno`, as a bit set (bit
 * = token code), without keyword-to-NAME fallback: what was really expected.
 */
static uint64_t expected_tokens(unsigned stateno)
{
	uint64_t set = 0;
	_Static_assert(YYNTOKEN <= 64, "the token set must fit in 64 bits");
	if (stateno > YY_MAX_SHIFT)
		return 0;
	for (unsigned t = 1; t < YYNTOKEN; t++) {
		unsigned i = (unsigned)yy_shift_ofst[stateno] + t;
		YYACTIONTYPE act = yy_lookahead[i] == t ? yy_action[i] : yy_default[stateno];
		if (act != YY_ERROR_ACTION)
			set |= UINT64_C(1) << t;
	}
	return set;
}
}

%token SBXPOL IMPORT POLICY EXTENDS PARAM WRITABLE READONLY DENIED PRIVATE
       NETWORK OFFLINE ONLINE ALLOW LIMIT PROCESSES MEMORY CPU WALL NONE
       ENV KEEP DROP SET ENFORCEMENT STRICT BEST_EFFORT USER_NAMESPACES DENY
       NAME NUMBER STRING SEMI COMMA LBRACE RBRACE EQ.

/* Where a NAME fits, a keyword is a name: "policy online { ... }". */
%fallback NAME SBXPOL IMPORT POLICY EXTENDS PARAM WRITABLE READONLY DENIED PRIVATE
          NETWORK OFFLINE ONLINE ALLOW LIMIT PROCESSES MEMORY CPU WALL NONE
          ENV KEEP DROP SET ENFORCEMENT STRICT BEST_EFFORT USER_NAMESPACES DENY.

%type strings {struct sbx_items *}
%destructor strings { (void)ps; sbx_items_free($$); }
%type names {struct sbx_items *}
%destructor names { (void)ps; sbx_items_free($$); }
%type limkind {int}

/* file := 'sbxpol' NUMBER ';' { import | policy } */
file ::= header items.

header ::= SBXPOL(K) NUMBER(N) SEMI.  { sbx_p_header(ps, &K, &N, 1); }
header ::= SBXPOL(K) NUMBER(N).       { sbx_p_header(ps, &K, &N, 0); }
header ::= SBXPOL(K).                 { sbx_p_header(ps, &K, NULL, 0); }
header ::= .                          { sbx_p_no_header(ps); }

items ::= items item.
items ::= .

/* import := 'import' STRING ';' */
item ::= IMPORT STRING(S) SEMI.       { sbx_p_import(ps, &S); }
item ::= policy.
item ::= error SEMI.                  { RECOVERED(); }
item ::= error RBRACE.                { RECOVERED(); }

/* policy := 'policy' NAME [ 'extends' NAME ] '{' { statement } '}' */
policy ::= pstart stmts RBRACE.
policy ::= pstart stmts error RBRACE. { RECOVERED(); }
pstart ::= phead LBRACE.               { RECOVERED(); }
pstart ::= phead error LBRACE.        { RECOVERED(); }
phead ::= POLICY(K) NAME(N).                  { sbx_p_policy(ps, &K, &N, NULL); }
phead ::= POLICY(K) NAME(N) EXTENDS NAME(P).  { sbx_p_policy(ps, &K, &N, &P); }
phead ::= POLICY(K) error.                    { sbx_p_policy(ps, &K, NULL, NULL); }

stmts ::= stmts stmt.
stmts ::= .

stmt ::= error SEMI.                                  { RECOVERED(); }
stmt ::= PARAM(K) names(L) SEMI.                      { sbx_p_stmt(ps, SBX_STMT_PARAM, &K, L, 0); }
stmt ::= WRITABLE(K) strings(L) SEMI.                 { sbx_p_stmt(ps, SBX_STMT_WRITABLE, &K, L, 0); }
stmt ::= READONLY(K) strings(L) SEMI.                 { sbx_p_stmt(ps, SBX_STMT_READONLY, &K, L, 0); }
stmt ::= DENIED(K) strings(L) SEMI.                   { sbx_p_stmt(ps, SBX_STMT_DENIED, &K, L, 0); }
stmt ::= PRIVATE(K) strings(L) SEMI.                  { sbx_p_stmt(ps, SBX_STMT_PRIVATE, &K, L, 0); }
stmt ::= NETWORK(K) OFFLINE SEMI.                     { sbx_p_stmt(ps, SBX_STMT_NETWORK, &K, NULL, SBX_NET_OFFLINE); }
stmt ::= NETWORK(K) ONLINE SEMI.                      { sbx_p_stmt(ps, SBX_STMT_NETWORK, &K, NULL, SBX_NET_ONLINE); }
stmt ::= NETWORK(K) ALLOW strings(L) SEMI.            { sbx_p_stmt(ps, SBX_STMT_NETWORK_ALLOW, &K, L, 0); }
stmt ::= LIMIT(K) limkind(X) NUMBER(N) SEMI.          { sbx_p_limit(ps, &K, X, &N, NULL); }
stmt ::= LIMIT(K) limkind(X) NUMBER(N) NAME(U) SEMI.  { sbx_p_limit(ps, &K, X, &N, &U); }
stmt ::= LIMIT(K) limkind(X) NONE SEMI.               { sbx_p_limit(ps, &K, X, NULL, NULL); }
stmt ::= ENV(K) KEEP strings(L) SEMI.                 { sbx_p_stmt(ps, SBX_STMT_ENV_KEEP, &K, L, 0); }
stmt ::= ENV(K) DROP strings(L) SEMI.                 { sbx_p_stmt(ps, SBX_STMT_ENV_DROP, &K, L, 0); }
stmt ::= ENV(K) SET NAME(N) EQ STRING(V) SEMI.        { sbx_p_env_set(ps, &K, &N, &V); }
stmt ::= ENFORCEMENT(K) STRICT SEMI.                  { sbx_p_stmt(ps, SBX_STMT_ENFORCEMENT, &K, NULL, SBX_ENFORCE_STRICT); }
stmt ::= ENFORCEMENT(K) BEST_EFFORT SEMI.             { sbx_p_stmt(ps, SBX_STMT_ENFORCEMENT, &K, NULL, SBX_ENFORCE_BEST_EFFORT); }
stmt ::= USER_NAMESPACES(K) DENY SEMI.                { sbx_p_stmt(ps, SBX_STMT_USERNS, &K, NULL, SBX_USERNS_DENY); }
stmt ::= USER_NAMESPACES(K) ALLOW SEMI.               { sbx_p_stmt(ps, SBX_STMT_USERNS, &K, NULL, SBX_USERNS_ALLOW); }

limkind(A) ::= PROCESSES.  { A = SBX_LIMIT_PROCESSES; }
limkind(A) ::= MEMORY.     { A = SBX_LIMIT_MEMORY; }
limkind(A) ::= CPU.        { A = SBX_LIMIT_CPU; }
limkind(A) ::= WALL.       { A = SBX_LIMIT_WALL; }

strings(A) ::= STRING(S).                   { A = sbx_p_list(ps, NULL, &S); }
strings(A) ::= strings(L) COMMA STRING(S).  { A = sbx_p_list(ps, L, &S); }
names(A) ::= NAME(S).                       { A = sbx_p_list(ps, NULL, &S); }
names(A) ::= names(L) COMMA NAME(S).        { A = sbx_p_list(ps, L, &S); }
