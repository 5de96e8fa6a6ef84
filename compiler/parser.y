/* parser.y - the .lv grammar (lemon). Each action is one call into ast.c;
 * the grammar stays a grammar. */

%name lvcParse
%token_prefix LVC_TK_
%extra_context {lvc_ctx *c}
%token_type {lvc_token}
%default_type {void *}
%stack_size 1024
%start_symbol file

%include {
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include "lvc.h"
#include "parse_internal.h"
}

%syntax_error { lvc__syntax_error(c, yymajor, yyminor, yypParser); }

%stack_overflow {
	lvc_error(c, (lvc_loc){ c->cur_file, 0, 0 }, "input nested too deeply to parse");
	c->syntax_error = true;
}

%parse_accept { c->parse_done = true; }

%token MODULE IMPORT STRUCT ENUM TRUE FALSE NULL IDENT INT FLOAT NUMUNIT STRING
       AT DOT COMMA SEMI COLON LPAREN RPAREN LBRACE RBRACE LBRACKET RBRACKET
       LT GT QUESTION EQ ARROW MINUS SLASH.

file ::= items.
items ::= items item.
items ::= .

item ::= decorators(D) MODULE(K) IDENT(N) SEMI.
	{ lvc_ast_module(c, K, D, N); }
item ::= IMPORT(K) STRING(S) SEMI.
	{ lvc_ast_import(c, K, S); }
item ::= decorators(D) STRUCT(K) IDENT(N) LBRACE fields(F) RBRACE.
	{ lvc_ast_decl(c, lvc_ast_struct(c, D, K, N, F)); }
item ::= decorators(D) ENUM(K) IDENT(N) LBRACE members(M) RBRACE.
	{ lvc_ast_decl(c, lvc_ast_enum(c, D, K, N, M)); }
item ::= decorators(D) IDENT(N) LPAREN params(P) RPAREN result(R) SEMI.
	{ lvc_ast_decl(c, lvc_ast_endpoint(c, D, N, P, R)); }
item ::= decorators(D) IDENT(N) COLON type(T) SEMI.
	{ lvc_ast_decl(c, lvc_ast_state(c, D, N, T)); }

%type decorators {lvc_decorator *}
decorators(A) ::= .                         { A = NULL; }
decorators(A) ::= decorators(B) decorator(D). { A = lvc_ast_decorator_append(B, D); }

%type decorator {lvc_decorator *}
decorator(A) ::= AT(T) dname(N).
	{ A = lvc_ast_decorator(c, T, N, NULL, NULL); }
decorator(A) ::= AT(T) dname(N) LPAREN args(R) RPAREN(E).
	{ A = lvc_ast_decorator(c, T, N, &E, R); }

%type dname {lvc_dname}
dname(A) ::= IDENT(T).                  { A = lvc_ast_dname(c, NULL, T); }
dname(A) ::= dname(B) DOT IDENT(T).     { A = lvc_ast_dname(c, &B, T); }

%type args {lvc_arg *}
args(A) ::= .                           { A = NULL; }
args(A) ::= arg_list(B).                { A = B; }
args(A) ::= arg_list(B) COMMA.          { A = B; }
%type arg_list {lvc_arg *}
arg_list(A) ::= arg(B).                 { A = B; }
arg_list(A) ::= arg_list(B) COMMA arg(D). { A = lvc_ast_arg_append(B, D); }
%type arg {lvc_arg *}
arg(A) ::= value(V).                    { A = lvc_ast_arg(c, NULL, V); }
arg(A) ::= IDENT(N) COLON value(V).     { A = lvc_ast_arg(c, &N, V); }

%type fields {lvc_field *}
fields(A) ::= .                         { A = NULL; }
fields(A) ::= fields(B) field(F).       { A = lvc_ast_field_append(B, F); }
%type field {lvc_field *}
field(A) ::= IDENT(N) COLON type(T) default(D) decorators(E) SEMI.
	{ A = lvc_ast_field(c, N, T, D, E); }

%type members {lvc_member *}
members(A) ::= .                        { A = NULL; }
members(A) ::= member_list(B).          { A = B; }
members(A) ::= member_list(B) COMMA.    { A = B; }
%type member_list {lvc_member *}
member_list(A) ::= IDENT(N).            { A = lvc_ast_member(c, N); }
member_list(A) ::= member_list(B) COMMA IDENT(N).
	{ A = lvc_ast_member_append(B, lvc_ast_member(c, N)); }

%type params {lvc_field *}
params(A) ::= .                         { A = NULL; }
params(A) ::= param_list(B).            { A = B; }
params(A) ::= param_list(B) COMMA.      { A = B; }
%type param_list {lvc_field *}
param_list(A) ::= param(B).             { A = B; }
param_list(A) ::= param_list(B) COMMA param(P). { A = lvc_ast_field_append(B, P); }
%type param {lvc_field *}
param(A) ::= IDENT(N) COLON type(T) default(D) decorators(E).
	{ A = lvc_ast_field(c, N, T, D, E); }

%type default {lvc_value *}
default(A) ::= .                        { A = NULL; }
default(A) ::= EQ value(V).             { A = V; }

%type result {lvc_type *}
result(A) ::= .                         { A = NULL; }
result(A) ::= ARROW type(T).            { A = T; }

%type type {lvc_type *}
type(A) ::= dname(N).                   { A = lvc_ast_type_name(c, &N); }
type(A) ::= dname(N) LT type(E) GT(G).  { A = lvc_ast_type_generic(c, &N, E, NULL, G); }
type(A) ::= dname(N) LT type(E) COMMA type(F) GT(G).
	{ A = lvc_ast_type_generic(c, &N, E, F, G); }
type(A) ::= type(B) QUESTION(Q).        { A = lvc_ast_type_optional(c, B, Q); }

%type value {lvc_value *}
value(A) ::= INT(T).                    { A = lvc_ast_number(c, NULL, LVC_V_INT, T); }
value(A) ::= FLOAT(T).                  { A = lvc_ast_number(c, NULL, LVC_V_FLOAT, T); }
value(A) ::= NUMUNIT(T).                { A = lvc_ast_number(c, NULL, LVC_V_SIZE, T); }
value(A) ::= STRING(T).                 { A = lvc_ast_value(c, LVC_V_STRING, T); }
value(A) ::= TRUE(T).                   { A = lvc_ast_value(c, LVC_V_BOOL, T); }
value(A) ::= FALSE(T).                  { A = lvc_ast_value(c, LVC_V_BOOL, T); }
value(A) ::= NULL(T).                   { A = lvc_ast_value(c, LVC_V_NULL, T); }
value(A) ::= IDENT(T).                  { A = lvc_ast_value(c, LVC_V_IDENT, T); }
value(A) ::= MINUS(M) INT(T).           { A = lvc_ast_number(c, &M, LVC_V_INT, T); }
value(A) ::= MINUS(M) FLOAT(T).         { A = lvc_ast_number(c, &M, LVC_V_FLOAT, T); }
value(A) ::= MINUS(M) NUMUNIT(T).       { A = lvc_ast_number(c, &M, LVC_V_SIZE, T); }
value(A) ::= INT(N) SLASH IDENT(U).     { A = lvc_ast_value_rate(c, N, U); }
value(A) ::= LBRACKET(O) values(L) RBRACKET(E). { A = lvc_ast_value_list(c, O, L, E); }
value(A) ::= LBRACE(O) RBRACE(E).       { A = lvc_ast_value_map(c, O, E); }

%type values {lvc_value *}
values(A) ::= .                         { A = NULL; }
values(A) ::= value_list(B).            { A = B; }
values(A) ::= value_list(B) COMMA.      { A = B; }
%type value_list {lvc_value *}
value_list(A) ::= value(V).             { A = V; }
value_list(A) ::= value_list(B) COMMA value(V). { A = lvc_ast_value_append(B, V); }

/* The parser's state and tables, read by parse.c to say which tokens
 * could have come instead of a wrong one. No grammar here. */
%code {
int
lvc__parser_ntokens(void)
{
	return YYNTOKEN;
}

int
lvc__parser_depth(const void *parser)
{
	const yyParser *p = parser;
	return (int)(p->yytos - p->yystack);
}

int
lvc__parser_state(const void *parser, int i)
{
	return ((const yyParser *)parser)->yystack[i].stateno;
}

int
lvc__parser_action(int state, int token, int *nrhs, int *lhs)
{
	YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)token, (YYACTIONTYPE)state);
	if (act >= YY_MIN_REDUCE && act <= YY_MAX_REDUCE) {
		*nrhs = yyRuleInfoNRhs[act - YY_MIN_REDUCE];
		*lhs = yyRuleInfoLhs[act - YY_MIN_REDUCE];
		return LVC_PARSER_REDUCE;
	}
	return act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION ? LVC_PARSER_SHIFT
	                                                            : LVC_PARSER_ERROR;
}

int
lvc__parser_goto(int state, int lhs)
{
	return yy_find_reduce_action((YYACTIONTYPE)state, (YYCODETYPE)lhs);
}
}
