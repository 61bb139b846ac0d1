//! evhttp's objects and their behaviour; the C entry points are in `crate::http`.

pub mod keyvalq;
pub mod uri;
