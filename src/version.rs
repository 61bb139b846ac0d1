//! The libevent release this library stands in for: 2.2.1, or 2.1.12 in the build with
//! libevent 2.1's binary interface (feature `abi-2-1`).

/// The libevent version string this library implements.
#[cfg(not(feature = "abi-2-1"))]
pub const VERSION: &str = "2.2.1-alpha";
#[cfg(feature = "abi-2-1")]
pub const VERSION: &str = "2.1.12-stable";

/// [`VERSION`] for C (`event_get_version`).
#[cfg(not(feature = "abi-2-1"))]
pub const VERSION_C: &std::ffi::CStr = c"2.2.1-alpha";
#[cfg(feature = "abi-2-1")]
pub const VERSION_C: &std::ffi::CStr = c"2.1.12-stable";

/// The same version as a number: 0xMMmmpp00 with the release stage in the low byte.
#[cfg(not(feature = "abi-2-1"))]
pub const VERSION_NUMBER: u32 = 0x0202_0100;
#[cfg(feature = "abi-2-1")]
pub const VERSION_NUMBER: u32 = 0x0201_0c00;

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

    #[test]
    fn c_string_matches_string() {
        assert_eq!(VERSION_C.to_str(), Ok(VERSION));
    }
}
