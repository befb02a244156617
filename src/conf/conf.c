/*
 * YAML to a bounded tree.  libyaml does the lexing (a well-kept parser; YAML is not ours to
 * hand-write); this file only builds the tree from its event stream and enforces our limits.
 * Anchors, aliases and tags are refused: they buy nothing in a daemon config and aliases are
 * the classic "billion laughs" amplifier.
 */
#include "conf/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static void
seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
node_free(struct conf_node *n)
{
	while (n != NULL) {
		struct conf_node *next = n->next;
		node_free(n->child);
		free(n->key);
		free(n->value);
		free(n);
		n = next;
	}
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	node_free(c->root);
	free(c);
}

struct builder {
	yaml_parser_t *p;
	struct conf *c;
	char *err;
	size_t errlen;
};

static struct conf_node *parse_node(struct builder *b, yaml_event_t *ev, int depth);

static struct conf_node *
new_node(struct builder *b, enum conf_kind kind, int line)
{
	if (b->c->nodes >= CONF_MAX_NODES) {
		seterr(b->err, b->errlen, "line %d: more than %d nodes", line, CONF_MAX_NODES);
		return NULL;
	}
	struct conf_node *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		seterr(b->err, b->errlen, "out of memory");
		return NULL;
	}
	b->c->nodes++;
	n->kind = kind;
	n->line = line;
	return n;
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(b->p, ev)) {
		seterr(b->err, b->errlen, "line %zu: %s", b->p->problem_mark.line + 1,
		    b->p->problem ? b->p->problem : "YAML syntax error");
		return -1;
	}
	return 0;
}

static int
refuse_extras(struct builder *b, yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_ALIAS_EVENT:
		seterr(b->err, b->errlen, "line %d: aliases are not allowed", line);
		return -1;
	default:
		break;
	}
	if (anchor != NULL || tag != NULL) {
		seterr(b->err, b->errlen, "line %d: anchors and tags are not allowed", line);
		return -1;
	}
	return 0;
}

/* Parses the children of a mapping or sequence until its end event. */
static int
parse_children(struct builder *b, struct conf_node *parent, int depth)
{
	struct conf_node **tail = &parent->child;
	for (;;) {
		yaml_event_t ev;
		char *key = NULL;
		if (next_event(b, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (parent->kind == CONF_MAP) {
			int line = (int)ev.start_mark.line + 1;
			if (ev.type != YAML_SCALAR_EVENT) {
				seterr(b->err, b->errlen, "line %d: mapping keys must be scalars", line);
				yaml_event_delete(&ev);
				return -1;
			}
			if (refuse_extras(b, &ev) < 0) {
				yaml_event_delete(&ev);
				return -1;
			}
			key = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			yaml_event_delete(&ev);
			if (key == NULL)
				return -1;
			for (struct conf_node *s = parent->child; s != NULL; s = s->next) {
				if (strcmp(s->key, key) == 0) {
					seterr(b->err, b->errlen, "line %d: duplicate key '%s'", line, key);
					free(key);
					return -1;
				}
			}
			if (next_event(b, &ev) < 0) {
				free(key);
				return -1;
			}
		}
		struct conf_node *n = parse_node(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (n == NULL) {
			free(key);
			return -1;
		}
		n->key = key;
		*tail = n;
		tail = &n->next;
	}
}

static struct conf_node *
parse_node(struct builder *b, yaml_event_t *ev, int depth)
{
	int line = (int)ev->start_mark.line + 1;
	struct conf_node *n;

	if (depth > CONF_MAX_DEPTH) {
		seterr(b->err, b->errlen, "line %d: nesting deeper than %d", line, CONF_MAX_DEPTH);
		return NULL;
	}
	if (refuse_extras(b, ev) < 0)
		return NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > CONF_MAX_SCALAR) {
			seterr(b->err, b->errlen, "line %d: value longer than %d bytes", line,
			    CONF_MAX_SCALAR);
			return NULL;
		}
		if ((n = new_node(b, CONF_SCALAR, line)) == NULL)
			return NULL;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (n->value == NULL || strlen(n->value) != ev->data.scalar.length) {
			seterr(b->err, b->errlen, "line %d: NUL byte in value", line);
			node_free(n);
			return NULL;
		}
		return n;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? CONF_MAP : CONF_SEQ, line);
		if (n == NULL)
			return NULL;
		if (parse_children(b, n, depth) < 0) {
			node_free(n);
			return NULL;
		}
		return n;
	default:
		seterr(b->err, b->errlen, "line %d: unexpected YAML event", line);
		return NULL;
	}
}

struct conf *
conf_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct conf *c;
	struct builder b;
	int state = 0; /* 0 stream start, 1 doc start, 2 root, 3 doc end, 4 stream end */

	if (len > CONF_MAX_BYTES) {
		seterr(err, errlen, "config larger than %d bytes", CONF_MAX_BYTES);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (!yaml_parser_initialize(&p)) {
		free(c);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	b = (struct builder){&p, c, err, errlen};
	seterr(err, errlen, "empty configuration");

	while (state < 5) {
		if (next_event(&b, &ev) < 0)
			goto fail;
		switch (state) {
		case 0:
			state = ev.type == YAML_STREAM_START_EVENT ? 1 : -1;
			break;
		case 1:
			if (ev.type == YAML_STREAM_END_EVENT) {
				yaml_event_delete(&ev);
				goto fail; /* empty */
			}
			state = ev.type == YAML_DOCUMENT_START_EVENT ? 2 : -1;
			break;
		case 2:
			if (ev.type != YAML_MAPPING_START_EVENT) {
				seterr(err, errlen, "line %zu: the top level must be a mapping",
				    ev.start_mark.line + 1);
				yaml_event_delete(&ev);
				goto fail;
			}
			if ((c->root = parse_node(&b, &ev, 0)) == NULL) {
				yaml_event_delete(&ev);
				goto fail;
			}
			state = 3;
			break;
		case 3:
			state = ev.type == YAML_DOCUMENT_END_EVENT ? 4 : -1;
			break;
		case 4:
			if (ev.type != YAML_STREAM_END_EVENT) {
				seterr(err, errlen, "line %zu: only one YAML document is allowed",
				    ev.start_mark.line + 1);
				yaml_event_delete(&ev);
				goto fail;
			}
			state = 5;
			break;
		}
		yaml_event_delete(&ev);
		if (state < 0) {
			seterr(err, errlen, "malformed YAML stream");
			goto fail;
		}
	}
	yaml_parser_delete(&p);
	err[0] = '\0';
	return c;
fail:
	yaml_parser_delete(&p);
	conf_free(c);
	return NULL;
}

int
conf_apply(struct conf *c, const char *path, int (*fn)(struct conf *, void *), void *arg,
	   char *err, size_t errlen)
{
	if (c == NULL)
		return -1;
	int r = fn(c, arg);
	if (r < 0) {
		if (path != NULL)
			snprintf(err, errlen, "%s: %s", path, c->err);
		else
			snprintf(err, errlen, "%s", c->err);
	}
	conf_free(c);
	return r;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONF_MAX_BYTES) {
		seterr(err, errlen, "%s: not a regular file of at most %d bytes", path,
		    CONF_MAX_BYTES);
		close(fd);
		return NULL;
	}
	size_t len = (size_t)st.st_size, got = 0;
	char *buf = malloc(len + 1);
	if (buf == NULL) {
		close(fd);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r <= 0) {
			seterr(err, errlen, "%s: read failed", path);
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)r;
	}
	close(fd);
	char perr[200];
	struct conf *c = conf_parse(buf, len, perr, sizeof(perr));
	free(buf);
	if (c == NULL)
		seterr(err, errlen, "%s: %s", path, perr);
	return c;
}

const struct conf_node *
conf_get(const struct conf *c, const struct conf_node *from, const char *path)
{
	const struct conf_node *n = from ? from : c->root;
	const char *p = path;
	while (n != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t seg = dot ? (size_t)(dot - p) : strlen(p);
		if (n->kind != CONF_MAP)
			return NULL;
		const struct conf_node *k;
		for (k = n->child; k != NULL; k = k->next)
			if (strlen(k->key) == seg && memcmp(k->key, p, seg) == 0)
				break;
		n = k;
		p += seg + (dot ? 1 : 0);
	}
	return n;
}

int
conf_str(struct conf *c, const struct conf_node *from, const char *path, const char **out)
{
	const struct conf_node *n = conf_get(c, from, path);
	if (n == NULL)
		return 1;
	if (n->kind != CONF_SCALAR) {
		seterr(c->err, sizeof(c->err), "line %d: '%s' must be a single value", n->line, path);
		return -1;
	}
	*out = n->value;
	return 0;
}

int
conf_uint(struct conf *c, const struct conf_node *from, const char *path, uint64_t min,
    uint64_t max, uint64_t *out)
{
	const char *s;
	int r = conf_str(c, from, path, &s);
	if (r != 0)
		return r;
	const struct conf_node *n = conf_get(c, from, path);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = 1;
	if (end != s && *end != '\0') {
		/* Sizes may carry a binary suffix: 64KiB, 16MiB, 1GiB. */
		if (strcmp(end, "KiB") == 0)
			mult = 1024;
		else if (strcmp(end, "MiB") == 0)
			mult = 1024 * 1024;
		else if (strcmp(end, "GiB") == 0)
			mult = 1024 * 1024 * 1024;
		else
			mult = 0;
	}
	if (s[0] < '0' || s[0] > '9' || end == s || errno != 0 || mult == 0 ||
	    (mult > 1 && v > UINT64_MAX / mult) || v * mult < min || v * mult > max) {
		seterr(c->err, sizeof(c->err),
		    "line %d: '%s' must be a whole number from %llu to %llu", n->line, path,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)v * mult;
	return 0;
}

int
conf_bool(struct conf *c, const struct conf_node *from, const char *path, int *out)
{
	const char *s;
	int r = conf_str(c, from, path, &s);
	if (r != 0)
		return r;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
		*out = 0;
		return 0;
	}
	seterr(c->err, sizeof(c->err), "line %d: '%s' must be true or false",
	    conf_get(c, from, path)->line, path);
	return -1;
}

int
conf_check_keys(struct conf *c, const struct conf_node *from, const char *path,
    const char *const allowed[])
{
	const struct conf_node *n = path && *path ? conf_get(c, from, path) : (from ? from : c->root);
	if (n == NULL)
		return 0;
	if (n->kind != CONF_MAP) {
		seterr(c->err, sizeof(c->err), "line %d: '%s' must be a mapping", n->line,
		    path ? path : "");
		return -1;
	}
	for (const struct conf_node *k = n->child; k != NULL; k = k->next) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k->key) == 0)
				break;
		if (allowed[i] == NULL) {
			seterr(c->err, sizeof(c->err), "line %d: unknown key '%s%s%s'", k->line,
			    path && *path ? path : "", path && *path ? "." : "", k->key);
			return -1;
		}
	}
	return 0;
}

int
conf_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hl;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || p > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}
