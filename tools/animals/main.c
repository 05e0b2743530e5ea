/* corio-animals: `serve` runs the Animals API, `say` asks it.
 *
 *     corio-animals serve [--host H] [--port N] [--delay MS] [--log-level LEVEL]
 *     corio-animals say [--url U] [--sequential] [--log-level LEVEL] NAME...
 *     corio-animals init-db --pg URL
 */
#include <stdio.h>
#include <string.h>

#include "animals.h"
#include "cli.h"

static void usage(void)
{
    printf("usage: %s serve [--host H] [--port N] [--delay MS] [--pg URL] [--log-level LEVEL]\n"
           "       %s say [--url U] [--sequential] [--log-level LEVEL] NAME...\n"
           "       %s init-db --pg URL\n"
           "The Animals API of the talk: what does the cow say?\n"
           "  serve    answers GET /animals and GET /animals/{name} with JSON\n"
           "  say      prints what each NAME says, asking the service for all at once\n"
           "  init-db  creates and fills the PostgreSQL table serve --pg reads\n"
           "Run '%s COMMAND --help' for a command's options.\n",
           ANIMALS_PROG, ANIMALS_PROG, ANIMALS_PROG, ANIMALS_PROG);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        cli_usage_error(ANIMALS_PROG, "needs a command: 'serve', 'say' or 'init-db'");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage();
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version"))
        cli_version(ANIMALS_PROG);
    if (!strcmp(cmd, "serve"))
        return animals_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "say"))
        return animals_say(argc - 1, argv + 1);
    if (!strcmp(cmd, "init-db"))
        return animals_init_db(argc - 1, argv + 1);
    cli_usage_error(ANIMALS_PROG, "unknown subcommand '%s'", cmd);
}
