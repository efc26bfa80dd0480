# Locates httpd's build tool (apxs), APR and APR-util, and defines
# relay_add_httpd_module() for the per-module glue.
find_program(APXS NAMES apxs apxs2 PATHS /usr/bin /usr/sbin
             DOC "httpd's apxs tool")
if(NOT APXS)
    message(FATAL_ERROR "apxs not found: install apache2-dev (Debian) "
                        "or set -DAPXS=/path/to/apxs")
endif()

function(relay_apxs_query var name)
    execute_process(COMMAND ${APXS} -q ${name}
                    OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(${var} "${out}" PARENT_SCOPE)
endfunction()

relay_apxs_query(HTTPD_INCLUDEDIR INCLUDEDIR)
relay_apxs_query(HTTPD_LIBEXECDIR LIBEXECDIR)
relay_apxs_query(HTTPD_SBINDIR SBINDIR)
relay_apxs_query(HTTPD_TARGET TARGET)
relay_apxs_query(APR_CONFIG APR_CONFIG)
relay_apxs_query(APU_CONFIG APU_CONFIG)
if(NOT APR_CONFIG)
    find_program(APR_CONFIG NAMES apr-1-config)
endif()
if(NOT APU_CONFIG)
    find_program(APU_CONFIG NAMES apu-1-config)
endif()

execute_process(COMMAND ${APR_CONFIG} --includedir
                OUTPUT_VARIABLE APR_INCLUDEDIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${APR_CONFIG} --cppflags
                OUTPUT_VARIABLE APR_CPPFLAGS OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${APR_CONFIG} --link-ld --libs
                OUTPUT_VARIABLE APR_LIBS OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${APU_CONFIG} --includedir
                OUTPUT_VARIABLE APU_INCLUDEDIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${APU_CONFIG} --link-ld --libs
                OUTPUT_VARIABLE APU_LIBS OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(APR_CPPFLAGS)
separate_arguments(APR_LIBS)
separate_arguments(APU_LIBS)

# The APR interface shared by the core and the glue.
add_library(relay_apr INTERFACE)
target_include_directories(relay_apr INTERFACE ${APR_INCLUDEDIR}
                           ${APU_INCLUDEDIR})
target_compile_options(relay_apr INTERFACE ${APR_CPPFLAGS})

# relay_add_httpd_module(<stock name> SOURCES ...): builds
# build/modules/<stock name>.so from the glue sources, linked with the
# httpd-independent core.
function(relay_add_httpd_module name)
    cmake_parse_arguments(M "" "" "SOURCES" ${ARGN})
    add_library(${name} MODULE ${M_SOURCES})
    set_target_properties(${name} PROPERTIES
        PREFIX ""
        LIBRARY_OUTPUT_DIRECTORY ${RELAY_MODULE_OUTPUT_DIR}
        C_VISIBILITY_PRESET hidden)
    target_include_directories(${name} PRIVATE ${HTTPD_INCLUDEDIR}
                               ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} PRIVATE relaycore relay_apr)
    relay_warnings(${name})
    install(TARGETS ${name} LIBRARY DESTINATION ${RELAY_INSTALL_MODULE_DIR})
endfunction()
