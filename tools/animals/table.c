/* What the animals say: the service's data, a fixed table. */
#include <string.h>

#include "animals.h"

const animal animals_table[] = {
    {"bee", "buzz"},
    {"cat", "meow"},
    {"chick", "cheep"},
    {"cow", "moo"},
    {"crow", "caw"},
    {"dog", "woof"},
    {"donkey", "hee-haw"},
    {"duck", "quack"},
    {"elephant", "toot"},
    {"fox", "ring-ding"},
    {"frog", "ribbit"},
    {"goat", "baa"},
    {"goose", "honk"},
    {"horse", "neigh"},
    {"lion", "roar"},
    {"mouse", "squeak"},
    {"owl", "hoot"},
    {"pig", "oink"},
    {"rooster", "cock-a-doodle-doo"},
    {"seal", "ork"},
    {"sheep", "baa"},
    {"snake", "hiss"},
    {"turkey", "gobble"},
    {"wolf", "howl"},
};
const size_t animals_count = sizeof animals_table / sizeof animals_table[0];

const animal *animals_find(const char *name)
{
    for (size_t i = 0; i < animals_count; i++)
        if (!strcmp(animals_table[i].name, name))
            return &animals_table[i];
    return NULL;
}
