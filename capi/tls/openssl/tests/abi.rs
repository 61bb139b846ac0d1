//! The declarations of `src/sys.rs` (what openssl-sys leaves out), turned into C and
//! compiled against Debian's OpenSSL headers: prototypes redeclared as the Rust side
//! means them, macro values asserted with `_Static_assert`.

use std::path::PathBuf;

use evrs_tls::testing::cdecl::{c_checks, compile_c};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn c_program() -> String {
    let source = std::fs::read_to_string(manifest_dir().join("src/sys.rs")).unwrap();
    let (checks, functions) = c_checks(&source, "SSL");
    assert!(functions >= 10, "parsed only {functions} functions");
    format!(
        "#include <stdint.h>\n#include <openssl/ssl.h>\n#include <openssl/err.h>\n\
         #include <openssl/bio.h>\n\n{checks}"
    )
}

fn scratch(name: &str) -> PathBuf {
    manifest_dir()
        .join("../../../target/abi-tests/openssl")
        .join(name)
}

#[test]
fn declarations_match_debian_openssl_headers() {
    let program = c_program();
    if let Err(message) = compile_c(&program, &scratch("sys_check.c"), true) {
        panic!("sys.rs does not match the headers:\n{message}\n--- generated C:\n{program}");
    }
}

#[test]
fn a_wrong_value_is_caught() {
    let wrong = c_program().replace("BIO_C_GET_FD == (105)", "BIO_C_GET_FD == (106)");
    assert!(wrong.contains("(106)"));
    assert!(compile_c(&wrong, &scratch("sys_wrong.c"), false).is_err());
}
