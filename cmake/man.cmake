# Man pages for the tools, made at build time from their --help and --version
# by help2man (Debian's help2man), through man/help-for-man, which puts the
# help in the shape help2man reads. Without help2man the build goes on
# without man pages.
# Sanitizer and fuzz builds, made for testing, skip them: their tools would
# run under the sanitizer at build time for nothing.
if(CORIO_SANITIZE OR CORIO_FUZZ)
  return()
endif()
find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(STATUS "help2man not found: building without man pages (scripts/install-deps build)")
  return()
endif()

set(CORIO_MAN_PAGES
  "corio-check|check the HTTP status of many URLs: async, threads, processes or sequential"
  "corio-crawl|crawl web sites concurrently, host-restricted, to JSON Lines"
  "corio-fakeweb|a local web whose answers the URL sets, for checkers and crawlers"
  "corio-pubsub|publish and subscribe over HTTP server-sent events"
  "corio-animals|the Animals API service and its client|serve say init-db"
  "corio-counter|a counter web service, in memory or in Redis"
  "hello-server|the plaintext HTTP benchmark server")
set(CORIO_MAN_FILES)
foreach(entry ${CORIO_MAN_PAGES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 tool)
  list(GET parts 1 what)
  # A third field: the tool's commands, whose --help the page includes.
  set(commands "")
  list(LENGTH parts nparts)
  if(nparts GREATER 2)
    list(GET parts 2 commands)
  endif()
  # help2man names the page after the program it runs: a wrapper of that name.
  set(wrapper ${CMAKE_BINARY_DIR}/man/bin/${tool})
  file(GENERATE OUTPUT ${wrapper}
    CONTENT "#!/bin/sh\nCORIO_MAN_COMMANDS='${commands}' exec sh '${PROJECT_SOURCE_DIR}/man/help-for-man' '$<TARGET_FILE:${tool}>' \"$@\"\n"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(page ${CMAKE_BINARY_DIR}/man/${tool}.1)
  add_custom_command(OUTPUT ${page}
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr --name ${what} --output ${page} ${wrapper}
    DEPENDS ${tool} ${PROJECT_SOURCE_DIR}/man/help-for-man
    COMMENT "man page ${tool}(1)" VERBATIM)
  list(APPEND CORIO_MAN_FILES ${page})
endforeach()
add_custom_target(man ALL DEPENDS ${CORIO_MAN_FILES})
install(FILES ${CORIO_MAN_FILES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
