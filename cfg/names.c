/*
 * names: the syntax rules Kubernetes applies to names, label keys and
 * values, port names, env names and capabilities.  Each check returns NULL
 * when the string is valid, else a reason phrased as the API server
 * phrases it, so a user can search for the message they already know.
 */
#include <string.h>

#include "cfg/cfg.h"

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static int
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_lower_alnum((unsigned char)s[0]) ||
	    !is_lower_alnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

const char *
cfg_check_dns1123_label(const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		return "must be no more than 63 characters";
	if (!label_ok(s, n))
		return "a lowercase RFC 1123 label must consist of lower case "
		    "alphanumeric characters or '-', and must start and end "
		    "with an alphanumeric character (e.g. 'my-name', or "
		    "'123-abc', regex used for validation is "
		    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
	return NULL;
}

static int
subdomain_ok(const char *s, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label_ok(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static const char subdomain_msg[] = "a lowercase RFC 1123 subdomain must "
    "consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]"
    "([-a-z0-9]*[a-z0-9])?)*')";

const char *
cfg_check_dns1123_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n > 253)
		return "must be no more than 253 characters";
	if (!subdomain_ok(s, n))
		return subdomain_msg;
	return NULL;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n) */
static int
qualified_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_alnum((unsigned char)s[0]) ||
	    !is_alnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

const char *
cfg_check_label_key(const char *s)
{
	const char *slash = strchr(s, '/'), *name = s;
	size_t n;

	if (slash != NULL) {
		n = (size_t)(slash - s);
		if (n == 0)
			return "prefix part must be non-empty";
		if (n > 253)
			return "prefix part must be no more than 253 "
			    "characters";
		if (!subdomain_ok(s, n))
			return "prefix part a lowercase RFC 1123 subdomain "
			    "must consist of lower case alphanumeric "
			    "characters, '-' or '.', and must start and end with an "
			    "alphanumeric character";
		name = slash + 1;
	}
	n = strlen(name);
	if (n == 0)
		return "name part must be non-empty";
	if (n > 63)
		return "name part must be no more than 63 characters";
	if (!qualified_ok(name, n))
		return "name part must consist of alphanumeric characters, "
		    "'-', '_' or '.', and must start and end with an "
		    "alphanumeric character (e.g. 'MyName', or 'my.name', or "
		    "'123-abc', regex used for validation is "
		    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
	return NULL;
}

const char *
cfg_check_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		return "must be no more than 63 characters";
	if (n > 0 && !qualified_ok(s, n))
		return "a valid label must be an empty string or consist of "
		    "alphanumeric characters, '-', '_' or '.', and must start "
		    "and end with an alphanumeric character (e.g. 'MyValue', "
		    "or 'my_value', or '12345', regex used for validation is "
		    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
	return NULL;
}

const char *
cfg_check_port_name(const char *s)
{
	size_t i, n = strlen(s);
	int letter = 0;

	if (n == 0 || n > 15)
		return "must be no more than 15 characters";
	for (i = 0; i < n; i++) {
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return "must contain only alpha-numeric characters "
			    "(a-z, 0-9), and hyphens (-)";
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = 1;
	}
	if (strstr(s, "--") != NULL)
		return "must not contain consecutive hyphens";
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not begin or end with a hyphen";
	if (!letter)
		return "must contain at least one letter (a-z)";
	return NULL;
}

const char *
cfg_check_env_name(const char *s)
{
	static const char msg[] = "a valid environment variable name must "
	    "consist of alphabetic characters, digits, '_', '-', or '.', and "
	    "must not start with a digit (regex used for validation is "
	    "'[-._a-zA-Z][-._a-zA-Z0-9]*')";
	size_t i;

	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return msg;
	for (i = 0; s[i] != '\0'; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return msg;
	return NULL;
}

const char *
cfg_check_cap_name(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 64)
		return "must be a capability name like NET_ADMIN or ALL";
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '_' &&
		    !(s[i] >= '0' && s[i] <= '9'))
			return "must be a capability name like NET_ADMIN or "
			    "ALL (upper case letters, digits and '_')";
	return NULL;
}

const char *
cfg_check_config_key(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253)
		return n ? "must be no more than 253 characters" :
		    "must not be empty";
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return "a valid config key must consist of alphanumeric "
			    "characters, '-', '_' or '.' (e.g. 'key.name', or "
			    "'KEY_NAME', or 'key-name', regex used for "
			    "validation is '[-._a-zA-Z0-9]+')";
	if (!strcmp(s, "."))
		return "must not be '.'";
	if (!strcmp(s, ".."))
		return "must not be '..'";
	if (!strncmp(s, "..", 2))
		return "must not start with '..'";
	return NULL;
}

/* Component by component: "a..b" is a fine name, "a/../b" is not. */
const char *
cfg_check_rel_path(const char *s)
{
	const char *p = s, *slash;
	size_t n;

	if (s[0] == '\0')
		return "must not be empty";
	if (s[0] == '/')
		return "must be a relative path";
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "must not contain '..'";
		if (slash == NULL)
			return NULL;
		p = slash + 1;
	}
}
