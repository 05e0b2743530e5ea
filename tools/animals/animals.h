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

/* The subcommands: argv[0] is the subcommand's name; each returns the exit
 * status. */
int animals_serve(int argc, char **argv);
int animals_say(int argc, char **argv);

#endif
