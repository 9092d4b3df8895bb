//! A data-only unpickler: the Python pickle machine (protocols 0-5), for plain data only.
//!
//! It builds str, bytes, int, float, bool, None, list, tuple, dict, set and frozenset, and
//! calls nothing but the few builtins that protocols 0-2 use to spell bytes and sets
//! (`bytes()`, `_codecs.encode(str, "latin1")`, `set()`, `frozenset()`, `bytearray()`).
//! Every other global, and every opcode that builds objects, is an error. serde-pickle
//! would read class instances as empty dicts and cannot read `bytes()` at all, which is how
//! Python 3 spells `b""` in protocols 0-2.

use std::collections::HashMap;

use num_bigint::BigInt;

use super::budget::{Budget, SLOT_BYTES};
use super::opcode::*;
use super::text::{quoted_string, raw_unicode_escape};

/// A Python value, by index into the machine's objects (memo entries share objects).
#[derive(Debug, Clone)]
pub(super) enum Object {
    None,
    Bool(bool),
    Int(BigInt),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Set(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Builtin(Builtin),
}

/// The callables a data pickle may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Builtin {
    Bytes,
    Encode,
    Set,
    FrozenSet,
    Bytearray,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Mark,
    Object(usize),
}

/// The unpickled objects and the index of the root.
pub(super) struct Unpickled {
    pub(super) objects: Vec<Object>,
    pub(super) root: usize,
}

type Outcome<T> = Result<T, String>;

/// The largest integer read, in bytes (about 2,400 decimal digits): printing a huge one is
/// quadratic, so a few megabytes of digits would stall a request for minutes.
const MAX_INT_BYTES: usize = 1024;

/// Runs the pickle machine over `bytes`.
pub(super) fn unpickle(bytes: &[u8]) -> Outcome<Unpickled> {
    let mut machine = Machine {
        input: bytes,
        at: 0,
        objects: Vec::new(),
        stack: Vec::new(),
        memo: HashMap::new(),
        budget: Budget::new(),
    };
    loop {
        let op = machine.byte()?;
        if op == STOP {
            let root = machine.pop_object()?;
            return Ok(Unpickled {
                objects: machine.objects,
                root,
            });
        }
        machine.step(op)?;
    }
}

struct Machine<'a> {
    input: &'a [u8],
    at: usize,
    objects: Vec<Object>,
    stack: Vec<Slot>,
    memo: HashMap<u64, usize>,
    /// Counts every object built and every stack or container slot filled: a memo GET
    /// is two bytes of input, and a call of a builtin copies its argument.
    budget: Budget,
}

impl Machine<'_> {
    fn step(&mut self, op: u8) -> Outcome<()> {
        match op {
            MARK => {
                self.budget.value(0)?;
                self.stack.push(Slot::Mark);
            }
            POP => drop(self.stack.pop().ok_or("POP on an empty stack")?),
            POP_MARK => drop(self.pop_mark()?),
            DUP => self.dup()?,
            PROTO => drop(self.take(1)?),
            FRAME => drop(self.take(8)?),
            _ => return self.step_value(op),
        }
        Ok(())
    }

    fn step_value(&mut self, op: u8) -> Outcome<()> {
        let object = match op {
            NONE => Object::None,
            NEWTRUE => Object::Bool(true),
            NEWFALSE => Object::Bool(false),
            INT => text_int(&self.line()?)?,
            LONG => Object::Int(parse_int(self.line()?.trim_end_matches('L'))?),
            BININT => Object::Int(i32::from_le_bytes(self.array()?).into()),
            BININT1 => Object::Int(self.byte()?.into()),
            BININT2 => Object::Int(u16::from_le_bytes(self.array()?).into()),
            LONG1 => self.long(1)?,
            LONG4 => self.long(4)?,
            FLOAT => Object::Float(self.line()?.parse().map_err(|_| "bad FLOAT")?),
            BINFLOAT => Object::Float(f64::from_be_bytes(self.array()?)),
            STRING => Object::Str(quoted_string(&self.line()?)?),
            BINSTRING => self.text(4)?,
            SHORT_BINSTRING => self.text(1)?,
            BINUNICODE => self.text(4)?,
            SHORT_BINUNICODE => self.text(1)?,
            BINUNICODE8 => self.text(8)?,
            UNICODE => Object::Str(raw_unicode_escape(self.line_bytes()?)?),
            BINBYTES => self.bytes(4)?,
            SHORT_BINBYTES => self.bytes(1)?,
            BINBYTES8 | BYTEARRAY8 => self.bytes(8)?,
            EMPTY_DICT => Object::Dict(Vec::new()),
            EMPTY_LIST => Object::List(Vec::new()),
            EMPTY_TUPLE => Object::Tuple(Vec::new()),
            EMPTY_SET => Object::Set(Vec::new()),
            DICT => Object::Dict(pairs(&self.pop_mark()?)?),
            LIST => Object::List(self.pop_mark()?),
            TUPLE => Object::Tuple(self.pop_mark()?),
            FROZENSET => Object::Set(self.pop_mark()?),
            TUPLE1..=TUPLE3 => self.small_tuple(usize::from(op - TUPLE1) + 1)?,
            GLOBAL => Object::Builtin(builtin(&self.line()?, &self.line()?)?),
            REDUCE => self.reduce()?,
            _ => return self.step_in_place(op),
        };
        self.push(object)
    }

    /// Opcodes that change what is on the stack or in the memo without a new object.
    fn step_in_place(&mut self, op: u8) -> Outcome<()> {
        match op {
            APPEND => {
                let item = self.pop_object()?;
                self.extend(vec![item])
            }
            APPENDS | ADDITEMS => {
                let items = self.pop_mark()?;
                self.extend(items)
            }
            SETITEM => {
                let (value, key) = (self.pop_object()?, self.pop_object()?);
                self.set_items(vec![(key, value)])
            }
            SETITEMS => {
                let items = pairs(&self.pop_mark()?)?;
                self.set_items(items)
            }
            GET | BINGET | LONG_BINGET => {
                let key = self.memo_key(op)?;
                self.get(key)
            }
            PUT | BINPUT | LONG_BINPUT => {
                let key = self.memo_key(op)?;
                self.put(key)
            }
            MEMOIZE => self.put(self.memo.len() as u64),
            _ => Err(format!(
                "the pickle builds objects or uses opcode {op:#04x}; only plain data is read"
            )),
        }
    }

    // --- input ---------------------------------------------------------------------------

    fn take(&mut self, n: usize) -> Outcome<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.input.len())
            .ok_or("the pickle is cut off")?;
        let taken = &self.input[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Outcome<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Outcome<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn length(&mut self, width: usize) -> Outcome<usize> {
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(self.take(width)?);
        usize::try_from(u64::from_le_bytes(le)).map_err(|_| "a length is too large".into())
    }

    fn line_bytes(&mut self) -> Outcome<&[u8]> {
        let rest = &self.input[self.at..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a pickle line has no end")?;
        let line = &rest[..end];
        self.at += end + 1;
        Ok(line)
    }

    fn line(&mut self) -> Outcome<String> {
        String::from_utf8(self.line_bytes()?.to_vec())
            .map_err(|_| "a pickle line is not text".into())
    }

    fn long(&mut self, width: usize) -> Outcome<Object> {
        let n = self.length(width)?;
        if n > MAX_INT_BYTES {
            return Err("an integer is too large".into());
        }
        Ok(Object::Int(BigInt::from_signed_bytes_le(self.take(n)?)))
    }

    fn text(&mut self, width: usize) -> Outcome<Object> {
        let n = self.length(width)?;
        let text = std::str::from_utf8(self.take(n)?).map_err(|_| "a string is not UTF-8")?;
        Ok(Object::Str(text.to_owned()))
    }

    fn bytes(&mut self, width: usize) -> Outcome<Object> {
        let n = self.length(width)?;
        Ok(Object::Bytes(self.take(n)?.to_vec()))
    }

    // --- stack and memo ------------------------------------------------------------------

    fn push(&mut self, object: Object) -> Outcome<()> {
        self.budget.value(object.payload())?;
        self.objects.push(object);
        self.stack.push(Slot::Object(self.objects.len() - 1));
        Ok(())
    }

    fn pop_object(&mut self) -> Outcome<usize> {
        match self.stack.pop() {
            Some(Slot::Object(index)) => Ok(index),
            _ => Err("the pickle's stack is out of shape".into()),
        }
    }

    fn top(&self) -> Outcome<usize> {
        match self.stack.last() {
            Some(Slot::Object(index)) => Ok(*index),
            _ => Err("the pickle's stack is out of shape".into()),
        }
    }

    fn pop_mark(&mut self) -> Outcome<Vec<usize>> {
        let mark = self
            .stack
            .iter()
            .rposition(|slot| matches!(slot, Slot::Mark))
            .ok_or("no MARK")?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        items
            .into_iter()
            .map(|slot| match slot {
                Slot::Object(index) => Ok(index),
                Slot::Mark => Err("a MARK inside a MARK".into()),
            })
            .collect()
    }

    /// The memo index a GET or PUT opcode carries (text, one byte, or four bytes).
    fn memo_key(&mut self, op: u8) -> Outcome<u64> {
        match op {
            GET | PUT => parse_u64(&self.line()?),
            BINGET | BINPUT => Ok(self.byte()?.into()),
            _ => Ok(u32::from_le_bytes(self.array()?).into()),
        }
    }

    fn dup(&mut self) -> Outcome<()> {
        let top = self.top()?;
        self.budget.value(0)?;
        self.stack.push(Slot::Object(top));
        Ok(())
    }

    fn get(&mut self, key: u64) -> Outcome<()> {
        let index = *self.memo.get(&key).ok_or("a memo entry is missing")?;
        self.budget.value(0)?;
        self.stack.push(Slot::Object(index));
        Ok(())
    }

    fn put(&mut self, key: u64) -> Outcome<()> {
        let top = self.top()?;
        self.memo.insert(key, top);
        Ok(())
    }

    fn small_tuple(&mut self, n: usize) -> Outcome<Object> {
        let at = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or("a tuple is missing items")?;
        let items = self.stack.split_off(at);
        items
            .into_iter()
            .map(|slot| match slot {
                Slot::Object(index) => Ok(index),
                Slot::Mark => Err("a MARK inside a tuple".into()),
            })
            .collect::<Outcome<_>>()
            .map(Object::Tuple)
    }

    fn extend(&mut self, items: Vec<usize>) -> Outcome<()> {
        let target = self.top()?;
        self.budget.spend(items.len().saturating_mul(SLOT_BYTES))?;
        match &mut self.objects[target] {
            Object::List(list) | Object::Set(list) => list.extend(items),
            _ => return Err("items added to something that is not a list or set".into()),
        }
        Ok(())
    }

    fn set_items(&mut self, items: Vec<(usize, usize)>) -> Outcome<()> {
        let target = self.top()?;
        self.budget
            .spend(items.len().saturating_mul(2 * SLOT_BYTES))?;
        match &mut self.objects[target] {
            Object::Dict(dict) => dict.extend(items),
            _ => return Err("items set on something that is not a dict".into()),
        }
        Ok(())
    }

    /// A call of one of the allowed builtins. Its result, counted when pushed, is a copy
    /// no larger than its argument, so one call never builds more than the budget allows.
    fn reduce(&mut self) -> Outcome<Object> {
        let args = self.pop_object()?;
        let callable = self.pop_object()?;
        let Object::Builtin(builtin) = self.objects[callable] else {
            return Err("the pickle calls something that is not an allowed builtin".into());
        };
        let Object::Tuple(args) = &self.objects[args] else {
            return Err("a call without an argument tuple".into());
        };
        let args: Vec<&Object> = args.iter().map(|&index| &self.objects[index]).collect();
        apply(builtin, &args)
    }
}

impl Object {
    /// The bytes this object holds beyond its own slot: its text, or its items' slots.
    fn payload(&self) -> usize {
        match self {
            Self::Str(text) => text.len(),
            Self::Bytes(bytes) => bytes.len(),
            Self::Int(n) => usize::try_from(n.bits().div_ceil(8)).unwrap_or(usize::MAX),
            Self::List(items) | Self::Tuple(items) | Self::Set(items) => {
                items.len().saturating_mul(SLOT_BYTES)
            }
            Self::Dict(pairs) => pairs.len().saturating_mul(2 * SLOT_BYTES),
            Self::None | Self::Bool(_) | Self::Float(_) | Self::Builtin(_) => 0,
        }
    }
}

fn apply(builtin: Builtin, args: &[&Object]) -> Outcome<Object> {
    match (builtin, args) {
        (Builtin::Bytes | Builtin::Bytearray, []) => Ok(Object::Bytes(Vec::new())),
        (Builtin::Bytes | Builtin::Bytearray, [Object::Bytes(bytes)]) => {
            Ok(Object::Bytes(bytes.clone()))
        }
        (Builtin::Encode | Builtin::Bytearray, [Object::Str(text), Object::Str(codec)])
            if matches!(codec.as_str(), "latin1" | "latin-1" | "iso-8859-1") =>
        {
            text.chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| "not latin-1".to_string()))
                .collect::<Outcome<_>>()
                .map(Object::Bytes)
        }
        (Builtin::Set | Builtin::FrozenSet, []) => Ok(Object::Set(Vec::new())),
        (Builtin::Set | Builtin::FrozenSet, [Object::List(items) | Object::Tuple(items)]) => {
            Ok(Object::Set(items.clone()))
        }
        _ => Err(format!("an unsupported call of {builtin:?}")),
    }
}

/// The globals a data pickle may name: how protocols 0-3 spell bytes and sets.
fn builtin(module: &str, name: &str) -> Outcome<Builtin> {
    let builtins = matches!(module, "builtins" | "__builtin__");
    match (module, name) {
        ("_codecs", "encode") => Ok(Builtin::Encode),
        (_, "bytes") if builtins => Ok(Builtin::Bytes),
        (_, "set") if builtins => Ok(Builtin::Set),
        (_, "frozenset") if builtins => Ok(Builtin::FrozenSet),
        (_, "bytearray") if builtins => Ok(Builtin::Bytearray),
        _ => Err(format!(
            "the pickle names the global {module}.{name}; only plain data is read"
        )),
    }
}

fn pairs(items: &[usize]) -> Outcome<Vec<(usize, usize)>> {
    if !items.len().is_multiple_of(2) {
        return Err("a dict with a key but no value".into());
    }
    Ok(items
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect())
}

/// Protocol 0's INT: also spells True and False as `01` and `00`.
fn text_int(text: &str) -> Outcome<Object> {
    Ok(match text {
        "01" => Object::Bool(true),
        "00" => Object::Bool(false),
        _ => Object::Int(parse_int(text)?),
    })
}

/// The same limit as LONG1/LONG4's: the digit count only bounds the parse (about 2.41
/// digits a byte), the value's own bytes decide, so what reads here can be written and
/// read again in binary.
fn parse_int(text: &str) -> Outcome<BigInt> {
    if text.len() > MAX_INT_BYTES * 5 / 2 {
        return Err("an integer is too large".into());
    }
    let n: BigInt = text.parse().map_err(|_| format!("bad integer {text:?}"))?;
    if n.to_signed_bytes_le().len() > MAX_INT_BYTES {
        return Err("an integer is too large".into());
    }
    Ok(n)
}

fn parse_u64(text: &str) -> Outcome<u64> {
    text.parse().map_err(|_| format!("bad memo index {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn objects_and_unknown_globals_are_refused() {
        let evil = b"cposix\nsystem\n(S'touch /tmp/x'\ntR.";
        assert!(unpickle(evil).err().unwrap().contains("posix.system"));
        let stack_global = b"\x80\x04\x8c\x05posix\x8c\x06system\x93.";
        assert!(unpickle(stack_global).is_err());
        assert!(unpickle(b"").is_err());
        assert!(unpickle(b"\x80\x05}").is_err());
    }

    #[test]
    fn protocol_two_bytes_and_empty_bytes_decode() {
        // {"b": b"x\xff", "e": b""} as Python 3 writes it with protocol 2.
        let pickle = b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01c_codecs\nencode\nq\x02X\x03\x00\x00\x00x\xc3\xbfq\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06X\x01\x00\x00\x00eq\x07c__builtin__\nbytes\nq\x08)Rq\tu.";
        let out = unpickle(pickle).unwrap();
        let Object::Dict(items) = &out.objects[out.root] else {
            panic!("not a dict")
        };
        let values: Vec<_> = items.iter().map(|&(_, v)| out.objects[v].clone()).collect();
        assert!(matches!(&values[0], Object::Bytes(b) if b == &[b'x', 0xff]));
        assert!(matches!(&values[1], Object::Bytes(b) if b.is_empty()));
    }

    /// fuzz/artifacts/pickle: protocol 0's text ints were allowed a few bytes more than
    /// LONG4's, so an int that read could be written but not read back.
    #[test]
    fn text_ints_have_the_binary_limit() {
        let largest: BigInt = (BigInt::from(1) << (8 * MAX_INT_BYTES - 1)) - 1;
        for (n, reads) in [(largest.clone(), true), (largest + 1, false)] {
            let pickle = format!("(dp0\nVa\np1\nL{n}L\ns.");
            assert_eq!(unpickle(pickle.as_bytes()).is_ok(), reads, "{n}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = unpickle(&bytes);
        }
    }
}
