# Compiler warnings for every Relay target.
set(RELAY_WARNING_FLAGS
    -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter -Wformat=2
    # httpd's command tables end with {NULL}, as its documentation shows.
    -Wno-missing-field-initializers)

# APR's ring macros (APR_BRIGADE_SENTINEL ...) compute offsets from a null
# pointer, which clang reports; the macros are APR's, not Relay's.
include(CheckCCompilerFlag)
check_c_compiler_flag(-Wnull-pointer-subtraction RELAY_HAS_NULL_PTR_SUB)
if(RELAY_HAS_NULL_PTR_SUB)
    list(APPEND RELAY_WARNING_FLAGS -Wno-null-pointer-subtraction)
endif()

option(RELAY_WERROR "Treat compiler warnings as errors." OFF)
if(RELAY_WERROR)
    list(APPEND RELAY_WARNING_FLAGS -Werror)
endif()

option(RELAY_SANITIZE "Build with AddressSanitizer and UBSan." OFF)
if(RELAY_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer drivers of the core's parsers (t/fuzz), clang only. Everything
# is built with coverage feedback and ASan+UBSan, and any UBSan report
# stops the fuzzer so that the input is saved.
option(RELAY_FUZZ "Build the libFuzzer drivers in t/fuzz (needs clang)." OFF)
if(RELAY_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "RELAY_FUZZ=ON needs clang: configure with "
                            "CC=clang (found ${CMAKE_C_COMPILER_ID})")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                        -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

function(relay_warnings target)
    target_compile_options(${target} PRIVATE ${RELAY_WARNING_FLAGS})
endfunction()
