//! The hand-written Mbed TLS declarations of `src/sys.rs`, turned into C and compiled
//! against Debian's headers: every function redeclared with the C prototype its Rust
//! declaration means (a conflicting redeclaration does not compile), every constant,
//! struct size and alignment, field offset and callback type asserted with
//! `_Static_assert`.

use std::path::PathBuf;

use evrs_tls::testing::cdecl::{c_checks, compile_c};
use evrs_tls_mbedtls::sys;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    manifest_dir()
        .join("../../../target/abi-tests/mbedtls")
        .join(name)
}

/// The C program for sys.rs.
fn c_program() -> String {
    let source = std::fs::read_to_string(manifest_dir().join("src/sys.rs")).unwrap();
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdint.h>\n#include <mbedtls/ssl.h>\n\
         #include <mbedtls/net_sockets.h>\n#include <mbedtls/ctr_drbg.h>\n\
         #include <mbedtls/entropy.h>\n#include <mbedtls/x509_crt.h>\n\
         #include <mbedtls/pk.h>\n#include <mbedtls/error.h>\n\n",
    );
    let (checks, functions) = c_checks(&source, "mbedtls_ssl_context");
    assert!(functions >= 30, "parsed only {functions} functions");
    c.push_str(&checks);
    // The callback aliases are the header's types.
    for (alias, header_type) in [
        ("SendFn", "mbedtls_ssl_send_t"),
        ("RecvFn", "mbedtls_ssl_recv_t"),
        ("RecvTimeoutFn", "mbedtls_ssl_recv_timeout_t"),
    ] {
        c.push_str(&format!(
            "_Static_assert(__builtin_types_compatible_p({alias}, {header_type}), \"{alias}\");\n"
        ));
    }
    // Opaque structs: Rust's size and alignment must be C's.
    let sizes = [
        (
            "mbedtls_ssl_context",
            size_align::<sys::mbedtls_ssl_context>(),
        ),
        (
            "mbedtls_ssl_config",
            size_align::<sys::mbedtls_ssl_config>(),
        ),
        (
            "mbedtls_net_context",
            size_align::<sys::mbedtls_net_context>(),
        ),
        (
            "mbedtls_ctr_drbg_context",
            size_align::<sys::mbedtls_ctr_drbg_context>(),
        ),
        (
            "mbedtls_entropy_context",
            size_align::<sys::mbedtls_entropy_context>(),
        ),
        ("mbedtls_x509_crt", size_align::<sys::mbedtls_x509_crt>()),
        (
            "mbedtls_pk_context",
            size_align::<sys::mbedtls_pk_context>(),
        ),
    ];
    for (name, (size, align)) in sizes {
        c.push_str(&format!(
            "_Static_assert(sizeof({name}) == {size} && _Alignof({name}) == {align}, \"{name}\");\n"
        ));
    }
    c.push_str(
        "_Static_assert(offsetof(mbedtls_net_context, fd) == 0, \"fd\");\n\
         #if !defined(MBEDTLS_SSL_RENEGOTIATION)\n#error renegotiation is compiled out\n#endif\n",
    );
    c
}

fn size_align<T>() -> (usize, usize) {
    (std::mem::size_of::<T>(), std::mem::align_of::<T>())
}

#[test]
fn declarations_match_debian_mbedtls_headers() {
    let program = c_program();
    if let Err(message) = compile_c(&program, &scratch("sys_check.c"), true) {
        panic!("sys.rs does not match the headers:\n{message}\n--- generated C:\n{program}");
    }
}

/// The checker must catch a wrong declaration (so a pass means something).
#[test]
fn a_wrong_declaration_is_caught() {
    let wrong = c_program().replace(
        "int mbedtls_ssl_handshake(mbedtls_ssl_context *);",
        "int mbedtls_ssl_handshake(mbedtls_ssl_context *, int);",
    );
    assert!(wrong.contains("mbedtls_ssl_handshake(mbedtls_ssl_context *, int)"));
    assert!(compile_c(&wrong, &scratch("sys_wrong.c"), false).is_err());
}
