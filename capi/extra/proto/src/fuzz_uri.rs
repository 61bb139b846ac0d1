//! The checks behind the fuzz targets `http_uri`, `http_query` and `ws_frame`
//! (fuzz/fuzz_targets/), also run over their seed corpora by `tests/corpus_uri.rs`.
//!
//! Each takes arbitrary bytes, drives the parsers with them and panics if an
//! invariant breaks: a round trip that changes something, a setter refusing what the
//! parser produced, a result that depends on how the input was cut, ...

use crate::escape::{html_escape, is_unreserved, uri_decode, uri_encode, PlusDecoding};
use crate::query::{
    parse_query_of_uri, parse_query_str, raw_pairs, QueryError, QueryParam, QUERY_LAST_VAL,
    QUERY_NONCONFORMANT,
};
use crate::uri::{
    Part, Uri, UriError, URI_HOST_STRIP_BRACKETS, URI_NONCONFORMANT, URI_UNIX_SOCKET,
};
use crate::ws::{
    accept_key, close_payload, decode_frame, decode_header, encode_frame_header,
    parse_close_payload, FrameError, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OPCODE_CLOSE,
};

fn bytes(part: Option<&Part>) -> Option<&[u8]> {
    part.map(Part::as_bytes)
}

/// `data[0]` picks the parse flags (0x02, libevent's internal bit, included to show it
/// is ignored); the rest is the URI text. Also checks the escaping functions on it.
pub fn check_uri(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    check_escapes(text);
    let flags = u32::from(selector)
        & (URI_NONCONFORMANT | 0x02 | URI_HOST_STRIP_BRACKETS | URI_UNIX_SOCKET);
    let parsed = Uri::parse(text, flags);
    let _ = Uri::parse_authority_form(text, flags);
    let Ok(uri) = parsed else {
        assert_eq!(parsed, Err(UriError::Invalid));
        return;
    };

    // What a strict parse takes, a nonconformant one takes the same way.
    if flags & URI_NONCONFORMANT == 0 {
        let mut loose = Uri::parse(text, flags | URI_NONCONFORMANT).expect("nonconformant refused");
        loose.set_flags(flags);
        assert_eq!(loose, uri);
    }

    for part in [
        uri.scheme(),
        uri.userinfo(),
        uri.host(),
        uri.unixsocket(),
        uri.path(),
        uri.query(),
        uri.fragment(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!part.as_bytes().contains(&0));
        assert_eq!(part.as_bytes_with_nul().last(), Some(&0));
    }
    assert!(uri.path().is_some(), "a parsed URI always has a path");
    assert!(uri.port() >= -1 && uri.port() <= 65535);

    // Join, parse again: the same parts; join again: the same text.
    let joined = uri.join().expect("a parsed URI joins");
    let again = Uri::parse(&joined, flags).expect("a joined URI parses");
    assert_eq!(again, uri, "{:?}", joined.escape_ascii().to_string());
    assert_eq!(again.join().unwrap(), joined);

    let mut buf = vec![0xA5u8; joined.len() + 1];
    assert!(uri.join_into(&mut buf[..joined.len()]).is_err());
    assert_eq!(uri.join_into(&mut buf), Ok(joined.len()));
    assert_eq!(&buf[..joined.len()], &joined[..]);

    // The setters accept every part the parser produced and rebuild the same URI.
    let mut built = Uri::new();
    built.set_flags(flags);
    built.set_scheme(bytes(uri.scheme())).unwrap();
    built.set_userinfo(bytes(uri.userinfo())).unwrap();
    match bytes(uri.host()) {
        Some(host) if uri.host_has_brackets() => {
            let bracketed = [&b"["[..], host, b"]"].concat();
            built.set_host(Some(&bracketed)).unwrap();
        }
        host => built.set_host(host).unwrap(),
    }
    built.set_port(uri.port()).unwrap();
    built.set_unixsocket(bytes(uri.unixsocket())).unwrap();
    built.set_path(bytes(uri.path())).unwrap();
    built.set_query(bytes(uri.query())).unwrap();
    built.set_fragment(bytes(uri.fragment())).unwrap();
    assert_eq!(built, uri);
}

/// Reverses [`html_escape`].
fn html_unescape(text: &[u8]) -> Vec<u8> {
    const ENTITIES: [(&[u8], u8); 5] = [
        (b"&lt;", b'<'),
        (b"&gt;", b'>'),
        (b"&quot;", b'"'),
        (b"&#039;", b'\''),
        (b"&amp;", b'&'),
    ];
    let mut out = Vec::new();
    let mut rest = text;
    'outer: while let Some((&first, tail)) = rest.split_first() {
        for (entity, byte) in ENTITIES {
            if let Some(after) = rest.strip_prefix(entity) {
                out.push(byte);
                rest = after;
                continue 'outer;
            }
        }
        assert_ne!(first, b'&', "a bare '&' in escaped HTML");
        out.push(first);
        rest = tail;
    }
    out
}

fn check_escapes(text: &[u8]) {
    for (plus, mode) in [(false, PlusDecoding::Keep), (true, PlusDecoding::AsSpace)] {
        let encoded = uri_encode(text, plus).unwrap();
        assert!(encoded
            .iter()
            .all(|&b| is_unreserved(b) || b == b'%' || (plus && b == b'+')));
        assert_eq!(uri_decode(&encoded, mode).unwrap(), text);
    }
    for mode in [
        PlusDecoding::Keep,
        PlusDecoding::AsSpace,
        PlusDecoding::AfterQuestionMark,
    ] {
        let decoded = uri_decode(text, mode).unwrap();
        assert!(decoded.len() <= text.len());
        if !text.contains(&b'%') && !text.contains(&b'+') {
            assert_eq!(decoded, text);
        }
    }
    let escaped = html_escape(text).unwrap();
    assert!(!escaped.iter().any(|b| b"<>\"'".contains(b)));
    assert_eq!(html_unescape(&escaped), text);
}

/// libevent's way to [`QUERY_LAST_VAL`]: remove the first entry of the name, append.
fn remove_then_append(params: Vec<QueryParam>) -> Vec<QueryParam> {
    let mut list: Vec<QueryParam> = Vec::new();
    for param in params {
        if let Some(i) = list
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(&param.key))
        {
            list.remove(i);
        }
        list.push(param);
    }
    list
}

/// `data[0]` picks the query flags; the rest is the query string (and, for
/// `evhttp_parse_query`, a whole URI).
pub fn check_query(data: &[u8]) {
    let Some((&selector, query)) = data.split_first() else {
        return;
    };
    let flags = u32::from(selector) & (QUERY_NONCONFORMANT | QUERY_LAST_VAL);
    let result = parse_query_str(query, flags);
    if flags & QUERY_NONCONFORMANT != 0 {
        assert!(result.is_ok(), "nonconformant parsing never fails");
    } else if result.is_ok() {
        assert_eq!(parse_query_str(query, flags | QUERY_NONCONFORMANT), result);
    }
    if let Err(e) = result {
        assert_eq!(e, QueryError::Malformed);
    }
    if let Ok(params) = &result {
        for param in params {
            assert!(!param.key.is_empty());
            assert!(!param.key.iter().any(|b| b"&=\0".contains(b)));
            assert!(!param.value.contains(&0));
        }
        let all = parse_query_str(query, flags & !QUERY_LAST_VAL).unwrap();
        assert_eq!(all.len(), raw_pairs(query, flags).count());
        if flags & QUERY_LAST_VAL != 0 {
            assert_eq!(*params, remove_then_append(all));
        }
    }

    let whole = parse_query_of_uri(query);
    match Uri::parse(query, 0) {
        Err(_) => assert_eq!(whole, Err(QueryError::BadUri)),
        Ok(uri) => {
            let query = uri.query().map_or(&b""[..], Part::as_bytes);
            assert_eq!(whole, parse_query_str(query, 0));
        }
    }
}

/// `data[0]` picks the payload limit; the rest is bytes from a client.
pub fn check_ws_frame(data: &[u8]) {
    let Some((&selector, buf)) = data.split_first() else {
        return;
    };
    let max_payload = [0, 1, 125, 126, 65535, usize::MAX][usize::from(selector) % 6];
    let key = accept_key(buf);
    assert!(key[..27]
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
    assert_eq!(key[27], b'=');

    let result = decode_frame(buf, max_payload);
    let header = decode_header(buf, max_payload);
    match (&result, &header) {
        (Err(e), Err(h)) => assert_eq!(e, h),
        (Ok(Some((_, used))), Ok(Some(h))) => assert_eq!(h.frame_len(), *used),
        (Ok(None), Ok(None)) => assert!(buf.len() < MAX_HEADER_LEN),
        (Ok(None), Ok(Some(h))) => assert!(h.frame_len() > buf.len()),
        _ => panic!("frame {result:?} but header {header:?}"),
    }
    // A prefix is incomplete, or shows the same error or frame.
    let cuts = (0..buf.len().min(24)).chain(buf.len().saturating_sub(4)..buf.len());
    for cut in cuts {
        let prefix = decode_frame(&buf[..cut], max_payload);
        match &result {
            Ok(Some((frame, used))) if cut >= *used => {
                assert_eq!(prefix, Ok(Some((frame.clone(), *used))));
            }
            Err(e) => assert!(prefix == Ok(None) || prefix == Err(*e), "{prefix:?}"),
            _ => assert_eq!(prefix, Ok(None)),
        }
    }

    match result {
        Ok(Some((frame, used))) => {
            assert!(used <= buf.len() && used >= 2 + frame.payload.len());
            // Our own encoding of the same frame decodes to it, unmasked.
            let (header, header_len) =
                encode_frame_header(frame.opcode, frame.fin, frame.payload.len());
            let mut encoded = header[..header_len].to_vec();
            encoded.extend_from_slice(&frame.payload);
            let (again, again_used) = decode_frame(&encoded, usize::MAX).unwrap().unwrap();
            assert_eq!(again_used, encoded.len());
            assert_eq!(
                (again.opcode, again.fin, again.masked, &again.payload),
                (frame.opcode, frame.fin, false, &frame.payload)
            );
            if frame.opcode == OPCODE_CLOSE {
                if let Ok(Some((code, reason))) = parse_close_payload(&frame.payload) {
                    let (bytes, len) = close_payload(code, reason);
                    assert!(len <= MAX_CONTROL_PAYLOAD);
                    assert_eq!(&bytes[..len], &frame.payload[..]);
                }
            }
            // The rest of the stream decodes frame by frame.
            let mut rest = &buf[used..];
            while let Ok(Some((_, used))) = decode_frame(rest, max_payload) {
                assert!(used >= 2);
                rest = &rest[used..];
            }
        }
        Ok(None) => {}
        Err(FrameError::OutOfMemory) => panic!("out of memory on {} bytes", buf.len()),
        Err(e) => assert!(matches!(e.close_code(), 1002 | 1009)),
    }
}
