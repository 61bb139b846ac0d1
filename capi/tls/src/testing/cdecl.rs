//! C from Rust `extern "C"` declarations, for checking hand-written bindings against
//! the C headers: a file of `pub const`, `pub type X = unsafe extern "C" fn(...)` and
//! `extern "C" { pub fn ...; }` items becomes `_Static_assert`s, typedefs and
//! prototypes; compiled after the headers, a prototype that differs from the
//! header's is a conflicting redeclaration, so the compiler refuses it.

use std::path::Path;
use std::process::Command;

/// The C for the items of `rust_source`: constants named `OFFSET_FIELD` are asserted
/// as `offsetof(offsets_of, field)`, the others as `NAME == (value)`. Returns the C
/// text and how many functions it declares.
pub fn c_checks(rust_source: &str, offsets_of: &str) -> (String, usize) {
    let code: String = rust_source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut c = String::new();
    let mut functions = 0;
    for item in code.split(';') {
        let item = item.trim();
        if let Some(alias) = item.split("pub type ").nth(1) {
            let (name, fn_type) = alias.split_once('=').expect("type alias");
            let fn_type = fn_type
                .trim()
                .strip_prefix("unsafe extern \"C\" fn")
                .expect("only fn type aliases");
            let (ret, params) = c_signature(fn_type);
            c.push_str(&format!("typedef {ret} {}({params});\n", name.trim()));
        } else if let Some(constant) = item.split("pub const ").nth(1) {
            let (name, value) = constant.split_once('=').expect("constant");
            let name = name.split(':').next().unwrap_or_default().trim();
            if let Some(field) = name.strip_prefix("OFFSET_") {
                c.push_str(&format!(
                    "_Static_assert(offsetof({offsets_of}, {}) == {}, \"{name}\");\n",
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
        let declaration = item
            .rsplit("extern \"C\" {")
            .next()
            .unwrap_or_default()
            .trim();
        if let Some(function) = declaration.strip_prefix("pub fn ") {
            let name = &function[..function.find('(').expect("(")];
            let (ret, params) = c_signature(function);
            c.push_str(&format!("{ret} {name}({params});\n"));
            functions += 1;
        }
    }
    (c, functions)
}

/// Compiles `program` (syntax and types only) with the system's `cc`; Err has the
/// compiler's message.
pub fn compile_c(program: &str, file: &Path, warnings_are_errors: bool) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(file, program).map_err(|e| e.to_string())?;
    let mut command = Command::new("cc");
    command.args(["-std=gnu11", "-Wall", "-fsyntax-only"]);
    if warnings_are_errors {
        command.arg("-Werror");
    }
    let output = command
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The C spelling of one Rust type of a declarations file.
pub fn c_type(rust: &str) -> String {
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
        "u64" => "uint64_t".into(),
        "c_ulong" => "unsigned long".into(),
        "c_long" => "long".into(),
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
pub fn c_signature(rest: &str) -> (String, String) {
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
