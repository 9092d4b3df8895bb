//! A walk over a pickle's opcodes that refuses everything but plain data, before any
//! decoder sees it.
//!
//! serde-pickle never runs code, but it reads class instances "best effort" as empty
//! dicts, which would silently lose data and hide a malicious file. So a session file
//! may only build str, bytes, numbers, bool, None, lists, tuples, dicts and sets: the one
//! kind of global allowed is the builtin that protocols 0-2 need to build bytes and sets.

/// Checks that `bytes` is one pickle that builds nothing but plain data.
pub(super) fn check(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0;
    loop {
        let op = *bytes.get(at).ok_or("the pickle ends without STOP")?;
        at += 1;
        match op {
            b'.' => return Ok(()),
            b'c' => {
                let module = line(bytes, &mut at)?;
                let name = line(bytes, &mut at)?;
                allowed_global(module, name)?;
            }
            b'i' | b'o' | b'b' | b'P' | b'Q' | 0x81 | 0x82 | 0x83 | 0x84 | 0x92 | 0x93 | 0x97
            | 0x98 => {
                return Err(format!(
                    "the pickle builds objects or names globals (opcode {op:#04x}); only plain data is read"
                ));
            }
            _ => at = skip_argument(op, bytes, at)?,
        }
    }
}

/// The globals that only build data: bytes and bytearray, sets.
fn allowed_global(module: &[u8], name: &[u8]) -> Result<(), String> {
    let builtins = matches!(module, b"builtins" | b"__builtin__");
    let allowed = (module == b"_codecs" && name == b"encode")
        || (builtins && matches!(name, b"set" | b"frozenset" | b"bytearray"));
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "the pickle names the global {}.{}; only plain data is read",
            String::from_utf8_lossy(module),
            String::from_utf8_lossy(name)
        ))
    }
}

/// The text up to the next newline, which it skips.
fn line<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8], String> {
    let rest = bytes.get(*at..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("a pickle line has no end")?;
    *at += end + 1;
    Ok(&rest[..end])
}

/// Where the next opcode starts after `op`'s argument, which starts at `at`.
fn skip_argument(op: u8, bytes: &[u8], at: usize) -> Result<usize, String> {
    let length = |width: usize| -> Result<usize, String> {
        let field = bytes
            .get(at..at + width)
            .ok_or("a pickle length is cut off")?;
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(field);
        let length =
            usize::try_from(u64::from_le_bytes(le)).map_err(|_| "a pickle length is too large")?;
        Ok(width + length)
    };
    let size = match op {
        b'(' | b'0' | b'1' | b'2' | b'N' | b'}' | b']' | b')' | b'a' | b'e' | b's' | b'u'
        | b't' | b'l' | b'd' | b'R' | 0x85 | 0x86 | 0x87 | 0x88 | 0x89 | 0x8f | 0x90 | 0x91
        | 0x94 => 0,
        b'K' | b'h' | b'q' | 0x80 => 1,
        b'M' => 2,
        b'J' | b'j' | b'r' => 4,
        b'G' | 0x95 => 8,
        b'U' | b'C' | 0x8c | 0x8a => length(1)?,
        b'T' | b'X' | b'B' | 0x8b => length(4)?,
        0x8d | 0x8e | 0x96 => length(8)?,
        b'I' | b'L' | b'F' | b'S' | b'V' | b'g' | b'p' => {
            let mut end = at;
            line(bytes, &mut end)?;
            end - at
        }
        _ => return Err(format!("unknown pickle opcode {op:#04x}")),
    };
    let next = at.checked_add(size).ok_or("a pickle length is too large")?;
    if next > bytes.len() {
        return Err("the pickle is cut off".into());
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_data_passes_and_objects_do_not() {
        // pickle.dumps({"a": [1, b"x"]}, protocol=2)
        let data = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01c_codecs\nencode\nq\x03X\x01\x00\x00\x00xq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07es.";
        assert_eq!(check(data), Ok(()));
        // pickle.dumps(os.system) style: cposix\nsystem\n...
        let evil = b"cposix\nsystem\n(S'touch /tmp/x'\ntR.";
        assert!(check(evil).unwrap_err().contains("posix.system"));
        assert!(check(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x93.").is_err());
        assert!(check(b"").is_err());
        assert!(check(b"\x80\x05}").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = check(&bytes);
        }
    }
}
