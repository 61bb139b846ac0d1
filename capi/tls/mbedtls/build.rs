//! Links Debian's Mbed TLS 2.28 (three libraries: TLS, X.509, crypto, in that order).
fn main() {
    for lib in ["mbedtls", "mbedx509", "mbedcrypto"] {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
