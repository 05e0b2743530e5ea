/* The browser page corio-pubsub serves at GET / to Accept: text/html. */
#ifndef CORIO_TOOLS_PUBSUB_PAGE_H
#define CORIO_TOOLS_PUBSUB_PAGE_H

extern const char pubsub_page[];

#endif
