//! The libevent release this library stands in for.

/// The libevent version string this library implements.
pub const VERSION: &str = "2.2.1-alpha";

/// The same version as a number: 0xMMmmpp00 with the release stage in the low byte.
pub const VERSION_NUMBER: u32 = 0x0202_0100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_matches_string() {
        let parts: Vec<u32> = VERSION
            .split(['.', '-'])
            .take(3)
            .map(|p| p.parse().unwrap())
            .collect();
        let encoded = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8);
        assert_eq!(encoded, VERSION_NUMBER);
    }
}
