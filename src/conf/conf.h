/*
 * Configuration files: YAML (libyaml) read into a small bounded tree of mappings, sequences and
 * scalars, then looked up by dotted path ("x1.listen").  Every role validates its own keys with
 * conf_check_keys so that a misspelt key is an error, not a silently ignored setting.
 *
 * Limits (CONF_MAX_*) bound the size, depth and node count: a config file is outside input.
 * Errors carry the line number.  Nothing here logs; the caller prints conf_error().
 * Thread safety: a tree is immutable after conf_parse and may be read from any thread.
 */
#ifndef OVERT_CONF_CONF_H
#define OVERT_CONF_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_BYTES  (1024 * 1024)
#define CONF_MAX_DEPTH  16
#define CONF_MAX_NODES  10000
#define CONF_MAX_SCALAR 4096

enum conf_kind { CONF_SCALAR, CONF_MAP, CONF_SEQ };

struct conf_node {
	enum conf_kind kind;
	char *key;		/* key in the parent map, or NULL */
	char *value;		/* scalars only */
	int line;		/* 1-based */
	struct conf_node *child;	/* first child (maps and sequences) */
	struct conf_node *next;		/* next sibling */
};

struct conf {
	struct conf_node *root;
	size_t nodes;
	char err[256];
};

/* Parses a YAML document from memory.  Returns a tree (free with conf_free) or NULL with a
 * message in err (errlen bytes).  Anchors/aliases, tags and multiple documents are refused. */
struct conf *conf_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Reads and parses a file (at most CONF_MAX_BYTES). */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *);
/* Runs a role's reader on a tree from conf_parse/conf_load and frees it: the one way every
 * role turns a document into its configuration.  c may be NULL (the parse failed; err already
 * says why).  On fn's failure err gets the tree's message, after "path: " when path is not
 * NULL.  Returns fn's result (0 or -1), or -1 for a NULL tree. */
int conf_apply(struct conf *c, const char *path, int (*fn)(struct conf *, void *), void *arg,
	       char *err, size_t errlen);

/* Node at a dotted path from `from` (NULL = root), or NULL. */
const struct conf_node *conf_get(const struct conf *, const struct conf_node *from,
    const char *path);

/* Typed getters.  Return 0 on success, 1 if absent (out untouched: set the default first),
 * -1 if present but invalid (message in c->err with the line). */
int conf_str(struct conf *, const struct conf_node *from, const char *path, const char **out);
int conf_uint(struct conf *, const struct conf_node *from, const char *path, uint64_t min,
    uint64_t max, uint64_t *out);
int conf_bool(struct conf *, const struct conf_node *from, const char *path, int *out);

/* Checks that every key of the map at `path` is in the NULL-terminated list `allowed`.
 * Returns 0, or -1 naming the first unknown key and its line in c->err. */
int conf_check_keys(struct conf *, const struct conf_node *from, const char *path,
    const char *const allowed[]);

/* Parses "host:port" or "[v6]:port" into host (NUL-terminated) and port (0..65535; callers
 * that need a real port refuse 0).  Returns 0 or -1. */
int conf_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
