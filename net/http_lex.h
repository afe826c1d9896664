/*
 * http_lex: the byte classes and line ends of HTTP/1.1 (RFC 9110/9112)
 * that the request parser (http_parse.c) and the response parser
 * (httpc_parse.c) share.  Internal to net/.
 */
#ifndef PICOLET_HTTP_LEX_H
#define PICOLET_HTTP_LEX_H

#include <string.h>

/* RFC 9110 tchar */
static inline int
is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* field-value bytes: VCHAR, obs-text, SP, HTAB */
static inline int
is_vchar(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || (ch > 0x20 && ch != 0x7f);
}

struct cur {
	const char *p, *end;
};

/*
 * Consume a line end (CRLF or bare LF): 1 consumed, 0 the next byte is
 * not a line end, -2 the buffer ends first, -1 CR without LF.
 */
static inline int
eol(struct cur *c)
{
	if (c->p == c->end)
		return -2;
	if (*c->p == '\n') {
		c->p++;
		return 1;
	}
	if (*c->p != '\r')
		return 0;
	if (c->p + 1 == c->end)
		return -2;
	if (c->p[1] != '\n')
		return -1;
	c->p += 2;
	return 1;
}

#endif
