//! A self-signed certificate and its key, made at run time for tests (no key is ever
//! committed): P-256, CN and subjectAltName as asked, CA:TRUE so it can be its own
//! trust anchor for OpenSSL and Mbed TLS alike.

use std::ffi::{c_char, c_int, CString};
use std::ptr;

use openssl_sys as ffi;

/// A certificate and its private key, both PEM.
#[derive(Clone, Debug)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Identity {
    /// The certificate and key parsed into OpenSSL objects, which the caller frees.
    pub fn load(&self) -> (*mut ffi::X509, *mut ffi::EVP_PKEY) {
        // SAFETY: memory BIOs over the PEM strings, which outlive them; the parsed
        // objects go to the caller.
        unsafe {
            let cert_bio =
                ffi::BIO_new_mem_buf(self.cert_pem.as_ptr().cast(), self.cert_pem.len() as c_int);
            let cert = ffi::PEM_read_bio_X509(cert_bio, ptr::null_mut(), None, ptr::null_mut());
            ffi::BIO_free_all(cert_bio);
            let key_bio =
                ffi::BIO_new_mem_buf(self.key_pem.as_ptr().cast(), self.key_pem.len() as c_int);
            let key = ffi::PEM_read_bio_PrivateKey(key_bio, ptr::null_mut(), None, ptr::null_mut());
            ffi::BIO_free_all(key_bio);
            assert!(!cert.is_null() && !key.is_null());
            (cert, key)
        }
    }
}

/// Makes a self-signed identity for `common_name` (also its DNS subjectAltName).
/// Panics if OpenSSL fails (test helper).
pub fn self_signed(common_name: &str) -> Identity {
    let name = CString::new(common_name).expect("name without NUL");
    let san = CString::new(format!("DNS:{common_name}")).expect("name without NUL");
    // SAFETY: every object is created here, checked for null, used with the
    // functions of its type and freed once at the end; strings are NUL-terminated.
    unsafe {
        let ec = ffi::EC_KEY_new_by_curve_name(ffi::NID_X9_62_prime256v1);
        assert!(!ec.is_null() && ffi::EC_KEY_generate_key(ec) == 1);
        let key = ffi::EVP_PKEY_new();
        assert!(!key.is_null() && ffi::EVP_PKEY_assign_EC_KEY(key, ec) == 1);

        let cert = ffi::X509_new();
        assert!(!cert.is_null());
        assert_eq!(ffi::X509_set_version(cert, 2), 1);
        let serial = std::process::id() as std::ffi::c_long ^ 0x5eed;
        assert_eq!(
            ffi::ASN1_INTEGER_set(ffi::X509_get_serialNumber(cert), serial),
            1
        );
        ffi::X509_gmtime_adj(ffi::X509_getm_notBefore(cert), -3600);
        ffi::X509_gmtime_adj(ffi::X509_getm_notAfter(cert), 30 * 86400);
        assert_eq!(ffi::X509_set_pubkey(cert, key), 1);
        let subject = ffi::X509_get_subject_name(cert);
        assert_eq!(
            ffi::X509_NAME_add_entry_by_txt(
                subject,
                c"CN".as_ptr(),
                ffi::MBSTRING_ASC,
                name.as_ptr().cast(),
                -1,
                -1,
                0,
            ),
            1
        );
        assert_eq!(ffi::X509_set_issuer_name(cert, subject), 1);
        for (nid, value) in [
            (ffi::NID_basic_constraints, c"critical,CA:TRUE".as_ptr()),
            (ffi::NID_subject_alt_name, san.as_ptr()),
        ] {
            let ext = ffi::X509V3_EXT_nconf_nid(ptr::null_mut(), ptr::null_mut(), nid, value);
            assert!(!ext.is_null());
            assert_eq!(ffi::X509_add_ext(cert, ext, -1), 1);
            ffi::X509_EXTENSION_free(ext);
        }
        assert!(ffi::X509_sign(cert, key, ffi::EVP_sha256()) > 0);

        let cert_pem = to_pem(|bio| ffi::PEM_write_bio_X509(bio, cert));
        let key_pem = to_pem(|bio| {
            ffi::PEM_write_bio_PrivateKey(
                bio,
                key,
                ptr::null(),
                ptr::null(),
                0,
                None,
                ptr::null_mut(),
            )
        });
        ffi::X509_free(cert);
        ffi::EVP_PKEY_free(key);
        Identity { cert_pem, key_pem }
    }
}

/// Runs `write` on a fresh memory BIO and returns what it wrote.
///
/// # Safety
/// `write` only writes to the BIO it is given.
unsafe fn to_pem(write: impl FnOnce(*mut ffi::BIO) -> std::ffi::c_int) -> String {
    // SAFETY: a memory BIO is created, written, read through BIO_get_mem_data (which
    // points into the BIO's own buffer, copied before the BIO is freed) and freed.
    unsafe {
        let bio = ffi::BIO_new(ffi::BIO_s_mem());
        assert!(!bio.is_null());
        assert_eq!(write(bio), 1);
        let mut data: *mut c_char = ptr::null_mut();
        let len = ffi::BIO_get_mem_data(bio, &mut data);
        assert!(len > 0 && !data.is_null());
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len as usize).to_vec();
        ffi::BIO_free_all(bio);
        String::from_utf8(bytes).expect("PEM is ASCII")
    }
}
