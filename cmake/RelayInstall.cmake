# Installs the Debian-style .load/.conf snippets next to the modules, so
# a2enmod can switch a Debian server over to Relay.
set(RELAY_SNIPPETS relay-proxy relay-proxy-http relay-proxy-ssl relay-proxy-fcgi
    relay-proxy-ajp
    relay-proxy-balancer relay-proxy-hcheck relay-cache
    relay-mem-cache relay-cache-socache relay-cache-disk)
set(RELAY_SNIPPET_DIR ${CMAKE_BINARY_DIR}/apache2)
foreach(snippet ${RELAY_SNIPPETS})
    configure_file(${PROJECT_SOURCE_DIR}/conf/${snippet}.load.in
                   ${RELAY_SNIPPET_DIR}/${snippet}.load @ONLY)
    if(EXISTS ${PROJECT_SOURCE_DIR}/conf/${snippet}.conf)
        list(APPEND RELAY_SNIPPET_FILES
             ${PROJECT_SOURCE_DIR}/conf/${snippet}.conf)
    endif()
    list(APPEND RELAY_SNIPPET_FILES ${RELAY_SNIPPET_DIR}/${snippet}.load)
endforeach()

install(CODE "
    if(EXISTS \"\$ENV{DESTDIR}${RELAY_APACHE2_CONF_DIR}\")
        file(INSTALL ${RELAY_SNIPPET_FILES}
             DESTINATION \"${RELAY_APACHE2_CONF_DIR}/mods-available\")
    else()
        message(STATUS \"No ${RELAY_APACHE2_CONF_DIR}: skipping a2enmod snippets\")
    endif()
")
