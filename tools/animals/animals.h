/* corio-animals (seed 004's "Animals API"): a service that tells what the
 * animals say, and the client that asks it about many animals at once. */
#ifndef CORIO_TOOLS_ANIMALS_H
#define CORIO_TOOLS_ANIMALS_H

#include <stddef.h>

#define ANIMALS_PROG "corio-animals"

typedef struct animal {
    const char *name;
    const char *sound;
} animal;

/* The built-in table, in alphabetical order. */
extern const animal animals_table[];
extern const size_t animals_count;

/* The entry called name, or NULL. */
const animal *animals_find(const char *name);

/* With serve --pg: the pool the animals come from (NULL: the built-in
 * table). The calls below run in a request's task: 0, -ENOENT no such
 * animal, or why the database could not answer. */
typedef struct corio_pg_pool corio_pg_pool;
typedef struct json_t json_t;
extern corio_pg_pool *animals_pool;
int animals_db_names(json_t **out);
int animals_db_sound(const char *name, char **sound); /* *sound is the caller's */

/* The subcommands: argv[0] is the subcommand's name; each returns the exit
 * status. */
int animals_serve(int argc, char **argv);
int animals_say(int argc, char **argv);
int animals_init_db(int argc, char **argv);

#endif
