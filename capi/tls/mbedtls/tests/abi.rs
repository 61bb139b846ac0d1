//! The hand-written Mbed TLS declarations of `src/sys.rs`, turned into C and compiled
//! against Debian's headers: every function redeclared with the C prototype its Rust
//! declaration means (a conflicting redeclaration does not compile), every constant,
//! struct size and alignment, field offset and callback type asserted with
//! `_Static_assert`.

use std::path::PathBuf;
use std::process::Command;

use evrs_tls_mbedtls::sys;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The C spelling of one Rust type of sys.rs.
fn c_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(inner) = rust.strip_prefix("*mut ") {
        return format!("{} *", c_type(inner));
    }
    if let Some(inner) = rust.strip_prefix("*const ") {
        return format!("const {} *", c_type(inner));
    }
    if let Some(inner) = rust
        .strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
    {
        // Option<fn alias>: a nullable pointer to the function type of the alias.
        return format!("{} *", c_type(inner));
    }
    match rust {
        "c_int" => "int".into(),
        "c_char" => "char".into(),
        "c_void" => "void".into(),
        "u8" => "unsigned char".into(),
        "u32" => "uint32_t".into(),
        "usize" => "size_t".into(),
        "" | "()" => "void".into(),
        // Struct names and fn aliases are spelt the same in C (the aliases become
        // typedefs of function types, below).
        name if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => name.into(),
        other => panic!("no C spelling for Rust type `{other}`"),
    }
}

/// Splits on commas that are not inside `<...>` or `(...)`.
fn split_top_level(list: &str) -> Vec<String> {
    let (mut parts, mut depth, mut current) = (Vec::new(), 0i32, String::new());
    for ch in list.chars() {
        match ch {
            '<' | '(' => depth += 1,
            '>' | ')' if !current.ends_with('-') => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `(params) -> ret` of a Rust fn type or declaration, as C (return type, params).
fn c_signature(rest: &str) -> (String, String) {
    let open = rest.find('(').expect("(");
    let mut depth = 0;
    let mut close = open;
    for (i, ch) in rest.char_indices().skip(open) {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let params: Vec<String> = split_top_level(&rest[open + 1..close])
        .iter()
        .map(|param| {
            // `name: Type` in declarations, a bare type in fn types.
            let ty = match param.split_once(':') {
                Some((_, ty)) => ty,
                None => param,
            };
            c_type(ty)
        })
        .collect();
    let ret = rest[close + 1..]
        .trim()
        .strip_prefix("->")
        .map(str::trim)
        .unwrap_or("");
    let params = if params.is_empty() {
        "void".to_owned()
    } else {
        params.join(", ")
    };
    (c_type(ret), params)
}

/// The C program for sys.rs.
fn c_program() -> String {
    let source = std::fs::read_to_string(manifest_dir().join("src/sys.rs")).unwrap();
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdint.h>\n#include <mbedtls/ssl.h>\n\
         #include <mbedtls/net_sockets.h>\n#include <mbedtls/ctr_drbg.h>\n\
         #include <mbedtls/entropy.h>\n#include <mbedtls/x509_crt.h>\n\
         #include <mbedtls/pk.h>\n#include <mbedtls/error.h>\n\n",
    );
    let mut functions = 0;
    for item in code.split(';') {
        let item = item.trim();
        if let Some(alias) = item.split("pub type ").nth(1) {
            let (name, fn_type) = alias.split_once('=').unwrap();
            let fn_type = fn_type
                .trim()
                .strip_prefix("unsafe extern \"C\" fn")
                .unwrap();
            let (ret, params) = c_signature(fn_type);
            c.push_str(&format!("typedef {ret} {}({params});\n", name.trim()));
        } else if let Some(constant) = item.split("pub const ").nth(1) {
            let (name, value) = constant.split_once('=').unwrap();
            let name = name.split(':').next().unwrap().trim();
            if let Some(field) = name.strip_prefix("OFFSET_") {
                c.push_str(&format!(
                    "_Static_assert(offsetof(mbedtls_ssl_context, {}) == {}, \"{name}\");\n",
                    field.to_lowercase(),
                    value.trim()
                ));
            } else {
                c.push_str(&format!(
                    "_Static_assert({name} == ({}), \"{name}\");\n",
                    value.trim()
                ));
            }
        }
        // Declarations: the extern block's items, after its opening brace.
        let declaration = item.rsplit("extern \"C\" {").next().unwrap().trim();
        if let Some(function) = declaration.strip_prefix("pub fn ") {
            let name = &function[..function.find('(').unwrap()];
            let (ret, params) = c_signature(function);
            c.push_str(&format!("{ret} {name}({params});\n"));
            functions += 1;
        }
    }
    assert!(functions >= 30, "parsed only {functions} functions");
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
    let dir = manifest_dir().join("../../../target/abi-tests/mbedtls");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sys_check.c");
    std::fs::write(&file, &program).unwrap();
    let output = Command::new("cc")
        .args(["-std=gnu11", "-Wall", "-Werror", "-fsyntax-only"])
        .arg(&file)
        .output()
        .expect("cannot run cc");
    assert!(
        output.status.success(),
        "sys.rs does not match the headers:\n{}\n--- generated C:\n{program}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The checker must catch a wrong declaration (so a pass means something).
#[test]
fn a_wrong_declaration_is_caught() {
    let wrong = c_program().replace(
        "int mbedtls_ssl_handshake(mbedtls_ssl_context *);",
        "int mbedtls_ssl_handshake(mbedtls_ssl_context *, int);",
    );
    assert!(wrong.contains("mbedtls_ssl_handshake(mbedtls_ssl_context *, int)"));
    let dir = manifest_dir().join("../../../target/abi-tests/mbedtls");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sys_wrong.c");
    std::fs::write(&file, &wrong).unwrap();
    let status = Command::new("cc")
        .args(["-std=gnu11", "-fsyntax-only"])
        .arg(&file)
        .output()
        .expect("cannot run cc")
        .status;
    assert!(!status.success(), "a conflicting prototype compiled");
}
