//! Protocol 0's text forms of strings: the escapes of UNICODE and of STRING literals.

/// Protocol 0's UNICODE: latin-1 bytes, with `\uXXXX` and `\UXXXXXXXX` escapes.
pub(super) fn raw_unicode_escape(bytes: &[u8]) -> Result<String, String> {
    let mut out = String::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let width = match (bytes[at], bytes.get(at + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            (byte, _) => {
                out.push(char::from(byte));
                at += 1;
                continue;
            }
        };
        let hex = bytes
            .get(at + 2..at + 2 + width)
            .ok_or("a cut-off escape")?;
        let code = u32::from_str_radix(std::str::from_utf8(hex).map_err(|_| "bad escape")?, 16)
            .map_err(|_| "bad escape")?;
        out.push(char::from_u32(code).ok_or("an escape is not a character")?);
        at += 2 + width;
    }
    Ok(out)
}

/// Protocol 0's STRING (a Python 2 `str`): a quoted literal, read as UTF-8 text.
pub(super) fn quoted_string(text: &str) -> Result<String, String> {
    let inner = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .ok_or("a STRING is not quoted")?;
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes();
    while let Some(byte) = chars.next() {
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        match chars.next().ok_or("a cut-off escape")? {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'r' => bytes.push(b'\r'),
            b'x' => {
                let hex = [
                    chars.next().ok_or("bad escape")?,
                    chars.next().ok_or("bad escape")?,
                ];
                let hex = std::str::from_utf8(&hex).map_err(|_| "bad escape")?;
                bytes.push(u8::from_str_radix(hex, 16).map_err(|_| "bad escape")?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| "a STRING is not UTF-8".into())
}
