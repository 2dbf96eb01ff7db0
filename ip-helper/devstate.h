/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices as the subcommands see them: found by name, their state
 * document parsed, directives applied, with errors that say what to do.
 * Each function prints its own error and returns -1 (or NULL).
 */
#ifndef MPROX_DEVSTATE_H
#define MPROX_DEVSTATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli.h"
#include "mprox.h"

/* A close-on-exec fd bound to the mprox device @name. */
int dev_open(const char *name);

/* The device's state document, parsed; json_object_put() it. */
struct json_object *dev_state(int fd, const char *name);
/* Open device @name, read its state document and close it; NULL on error, said. */
struct json_object *dev_state_of(const char *name);
/* The same, silent: NULL with errno (EPROTO: not a JSON object). */
struct json_object *dev_state_read(int fd);

/*
 * Apply @directives atomically; on error say why, naming them @what (not
 * the text itself: it may hold a password).
 */
int dev_apply(int fd, const char *name, const char *directives, const char *what);

/* "fwmark @mark" alone, applied as dev_apply() would. */
int dev_set_fwmark(int fd, const char *name, uint32_t mark);

/*
 * The names of the mprox devices in this network namespace, in ifindex
 * order, at most @max. Returns how many, or -1.
 */
int dev_list(char (*names)[MPROX_IFNAMSIZ], size_t max);

/* Delete the device @name, whoever holds fds to it (as "ip link del"). */
int dev_delete(const char *name);

/* Print @o as the command's JSON output, and release it. */
void cli_print_json(const struct cli *cli, struct json_object *o);

/* Shorthands for reading the document. */
struct json_object *jget(struct json_object *o, const char *path);
long long jint(struct json_object *o, const char *path);
const char *jstr(struct json_object *o, const char *path);
/* The length of @o if it is an array, else 0 (a key an older module lacks). */
size_t jlen(struct json_object *o);

#endif /* MPROX_DEVSTATE_H */
