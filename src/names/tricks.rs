//! The tricks a squatted name plays on its target, and the small string
//! helpers that recognise them. Everything works on ASCII bytes of a
//! "squashed" name: PEP 503-normalized with its separators removed.

use std::fmt;

/// How a name imitates a popular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trick {
    /// Same letters, different separators: `scikitlearn` for `scikit-learn`.
    Separator,
    /// Two neighbouring characters swapped: `reqeusts`.
    AdjacentSwap,
    /// A character doubled: `numpyy`.
    RepeatedChar,
    /// Look-alike characters: `rn`/`m`, `vv`/`w`, `l`/`1`/`i`, `0`/`o`.
    LookAlike,
    /// The same words in another order: `dateutil-python`.
    WordOrder,
    /// A character left out: `urlib3`.
    OmittedChar,
    /// A neighbouring key hit instead: `reqyests`.
    KeyboardAdjacent,
    /// A character one bit away in ASCII: `requestc` (only against very popular targets).
    Bitflip,
    /// A character added: `colourama`.
    InsertedChar,
    /// `py`/`python` added, dropped or swapped: `python-requests`, `yaml` for `pyyaml`.
    PythonAffix,
    /// A version number added, dropped or changed: `requests2`, `beautifulsoup`.
    VersionSuffix,
    /// Any other substitution inside a long word: `typing-extentions`.
    Substitution,
    /// Two edits (only for long names).
    TwoEdits,
}

/// How telling a trick is: stronger tricks flag against less popular targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Weak,
    Medium,
    Strong,
}

impl Trick {
    pub fn as_str(self) -> &'static str {
        match self {
            Trick::Separator => "separator change",
            Trick::AdjacentSwap => "adjacent swap",
            Trick::RepeatedChar => "repeated character",
            Trick::LookAlike => "look-alike characters",
            Trick::WordOrder => "reordered words",
            Trick::OmittedChar => "omitted character",
            Trick::KeyboardAdjacent => "keyboard-adjacent substitution",
            Trick::Bitflip => "bitflip",
            Trick::InsertedChar => "inserted character",
            Trick::PythonAffix => "py/python prefix or suffix",
            Trick::VersionSuffix => "version suffix",
            Trick::Substitution => "substitution",
            Trick::TwoEdits => "two edits",
        }
    }

    pub fn strength(self) -> Strength {
        match self {
            Trick::AdjacentSwap | Trick::RepeatedChar | Trick::LookAlike => Strength::Strong,
            Trick::Separator
            | Trick::WordOrder
            | Trick::OmittedChar
            | Trick::KeyboardAdjacent
            | Trick::InsertedChar => Strength::Medium,
            Trick::Bitflip | Trick::PythonAffix | Trick::VersionSuffix | Trick::Substitution | Trick::TwoEdits => {
                Strength::Weak
            }
        }
    }
}

impl fmt::Display for Trick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// PEP 503-normalized name with its `-` separators removed.
pub fn squash(normalized: &str) -> String {
    normalized.chars().filter(|&c| c != '-').collect()
}

/// The look-alike skeleton: `rn`→`m`, `vv`→`w`, `1`/`i`→`l`, `0`→`o`.
pub fn skeleton(squashed: &str) -> String {
    let b = squashed.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let pair = b.get(i..i + 2);
        if pair == Some(b"rn") {
            out.push('m');
            i += 2;
            continue;
        }
        if pair == Some(b"vv") {
            out.push('w');
            i += 2;
            continue;
        }
        out.push(match b[i] {
            b'1' | b'i' => 'l',
            b'0' => 'o',
            c => c as char,
        });
        i += 1;
    }
    out
}

/// The name without its trailing digits (`boto3` → `boto`).
pub fn stem(squashed: &str) -> &str {
    squashed.trim_end_matches(|c: char| c.is_ascii_digit())
}

const PREFIXES: [&str; 2] = ["python", "py"];
const SUFFIXES: [&str; 3] = ["python", "py3", "py"];

/// Every spelling of `squashed` with one `py`/`python` prefix or suffix
/// added, removed or exchanged for another. Bases shorter than 3 are skipped.
pub fn affix_variants(squashed: &str) -> Vec<String> {
    let mut bases = vec![squashed];
    for p in PREFIXES {
        if let Some(b) = squashed.strip_prefix(p) {
            bases.push(b);
        }
    }
    for s in SUFFIXES {
        if let Some(b) = squashed.strip_suffix(s) {
            bases.push(b);
        }
    }
    let mut out = Vec::new();
    for base in bases {
        if base.len() < 3 {
            continue;
        }
        if base != squashed {
            out.push(base.to_string());
        }
        for p in PREFIXES {
            out.push(format!("{p}{base}"));
        }
        for s in SUFFIXES {
            out.push(format!("{base}{s}"));
        }
    }
    out.retain(|v| v != squashed);
    out.sort();
    out.dedup();
    out
}

/// One edit turning the target into the candidate; `pos` indexes the candidate
/// (for a deletion: where the missing character would be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Swap {
        pos: usize,
    },
    /// The candidate has an extra `ch`.
    Insert {
        pos: usize,
        ch: u8,
    },
    /// The candidate lacks the target's `ch`.
    Delete {
        pos: usize,
        ch: u8,
    },
    /// The target's `from` became the candidate's `to`.
    Substitute {
        pos: usize,
        from: u8,
        to: u8,
    },
}

/// The single edit between `candidate` and `target`, if they are exactly one apart.
pub fn single_edit(candidate: &[u8], target: &[u8]) -> Option<Edit> {
    let i = candidate.iter().zip(target).take_while(|(a, b)| a == b).count();
    match candidate.len() as isize - target.len() as isize {
        0 => {
            if i == candidate.len() {
                None
            } else if candidate[i + 1..] == target[i + 1..] {
                Some(Edit::Substitute {
                    pos: i,
                    from: target[i],
                    to: candidate[i],
                })
            } else if i + 1 < candidate.len()
                && candidate[i] == target[i + 1]
                && candidate[i + 1] == target[i]
                && candidate[i + 2..] == target[i + 2..]
            {
                Some(Edit::Swap { pos: i })
            } else {
                None
            }
        }
        1 => (candidate[i + 1..] == target[i..]).then_some(Edit::Insert {
            pos: i,
            ch: candidate[i],
        }),
        -1 => (candidate[i..] == target[i + 1..]).then_some(Edit::Delete { pos: i, ch: target[i] }),
        _ => None,
    }
}

/// Names the trick behind a single edit, or `None` when the edit does not
/// look like one: digit changes (judged by [`Trick::VersionSuffix`] only),
/// changes to the first character other than look-alikes (a new first letter
/// makes a new word: `gsutil`/`psutil`, `cchardet`/`chardet`), a letter tacked
/// on at the end (`torchx`) and arbitrary substitutions of the last one
/// (`pylink`/`pylint`). Arbitrary substitutions elsewhere need a long word (see the detector).
pub fn classify(edit: Edit, candidate: &[u8]) -> Option<Trick> {
    // A doubled letter may be read as inserted anywhere in its run: take the run's start.
    let edit = match edit {
        Edit::Insert { pos, ch } => Edit::Insert {
            pos: candidate[..pos]
                .iter()
                .rev()
                .take_while(|&&c| c == ch)
                .fold(pos, |p, _| p - 1),
            ch,
        },
        other => other,
    };
    match edit {
        Edit::Substitute { from, to, .. } if look_alike(from, to) => Some(Trick::LookAlike),
        Edit::Swap { pos } | Edit::Insert { pos, .. } | Edit::Delete { pos, .. } | Edit::Substitute { pos, .. }
            if pos == 0 =>
        {
            None
        }
        Edit::Swap { .. } => Some(Trick::AdjacentSwap),
        Edit::Insert { pos, ch } => {
            if ch.is_ascii_digit() {
                return None;
            }
            if candidate.get(pos + 1) == Some(&ch) {
                Some(Trick::RepeatedChar)
            } else if pos + 1 == candidate.len() && ch != b's' && candidate.len() <= 9 {
                // A letter appended to a short name is usually a new word
                // (`pytestx`); to a long one it is a slip (`matplotlibe`).
                None
            } else {
                Some(Trick::InsertedChar)
            }
        }
        Edit::Delete { ch, .. } => (!ch.is_ascii_digit()).then_some(Trick::OmittedChar),
        Edit::Substitute { pos, from, to } => {
            if from.is_ascii_digit() || to.is_ascii_digit() {
                None
            } else if keyboard_adjacent(from, to) {
                Some(Trick::KeyboardAdjacent)
            } else if (from ^ to).count_ones() == 1 {
                Some(Trick::Bitflip)
            } else if pos + 1 < candidate.len() {
                Some(Trick::Substitution)
            } else {
                None
            }
        }
    }
}

fn look_alike(a: u8, b: u8) -> bool {
    let class = |c: u8| match c {
        b'l' | b'1' | b'i' => 1,
        b'0' | b'o' => 2,
        _ => 0,
    };
    class(a) != 0 && class(a) == class(b)
}

const KEYBOARD: [&[u8]; 4] = [b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

fn key_position(c: u8) -> Option<(usize, usize)> {
    KEYBOARD
        .iter()
        .enumerate()
        .find_map(|(row, keys)| keys.iter().position(|&k| k == c).map(|col| (row, col)))
}

/// QWERTY neighbours: same row ±1, or the staggered keys above and below.
pub fn keyboard_adjacent(a: u8, b: u8) -> bool {
    let (Some((ra, ca)), Some((rb, cb))) = (key_position(a), key_position(b)) else {
        return false;
    };
    if ra == rb {
        return ca.abs_diff(cb) == 1;
    }
    // A row is shifted half a key right of the one above: key j touches j and j+1 above.
    let (upper, lower) = if ra + 1 == rb {
        ((ra, ca), (rb, cb))
    } else if rb + 1 == ra {
        ((rb, cb), (ra, ca))
    } else {
        return false;
    };
    upper.1 == lower.1 || upper.1 == lower.1 + 1
}

/// Optimal string alignment distance (Damerau with adjacent swaps), stopping early above `max`.
pub fn osa_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[b.len()] <= max).then_some(prev[b.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits() {
        assert_eq!(single_edit(b"reqeusts", b"requests"), Some(Edit::Swap { pos: 3 }));
        assert_eq!(
            single_edit(b"numpyy", b"numpy"),
            Some(Edit::Insert { pos: 5, ch: b'y' })
        );
        assert_eq!(
            single_edit(b"urlib3", b"urllib3"),
            Some(Edit::Delete { pos: 3, ch: b'l' })
        );
        assert_eq!(single_edit(b"abc", b"abc"), None);
        assert_eq!(single_edit(b"abcd", b"badc"), None);
        assert_eq!(classify(Edit::Insert { pos: 1, ch: b'c' }, b"cchardet"), None);
        assert_eq!(classify(Edit::Insert { pos: 5, ch: b'x' }, b"torchx"), None);
        assert_eq!(
            classify(Edit::Insert { pos: 5, ch: b'y' }, b"numpyy"),
            Some(Trick::RepeatedChar)
        );
        assert_eq!(
            classify(
                Edit::Substitute {
                    pos: 0,
                    from: b'l',
                    to: b'1'
                },
                b"1xml"
            ),
            Some(Trick::LookAlike)
        );
        assert_eq!(
            classify(
                Edit::Substitute {
                    pos: 0,
                    from: b'b',
                    to: b'x'
                },
                b"xoto3"
            ),
            None
        );
        assert_eq!(
            classify(
                Edit::Substitute {
                    pos: 5,
                    from: b'3',
                    to: b'4'
                },
                b"urllib4"
            ),
            None
        );
    }

    #[test]
    fn keyboard() {
        assert!(keyboard_adjacent(b'u', b'y'));
        assert!(keyboard_adjacent(b's', b'z'));
        assert!(keyboard_adjacent(b'g', b'b'));
        assert!(!keyboard_adjacent(b'q', b'p'));
        assert!(!keyboard_adjacent(b'a', b'-'));
    }

    #[test]
    fn skeletons_affixes_distance() {
        assert_eq!(skeleton("nurnpy"), skeleton("numpy"));
        assert_eq!(skeleton("vvheel"), skeleton("wheel"));
        assert_eq!(skeleton("pi11ow"), skeleton("pillow"));
        assert!(affix_variants("pythonrequests").contains(&"requests".to_string()));
        assert!(affix_variants("yaml").contains(&"pyyaml".to_string()));
        assert_eq!(osa_distance(b"pyhtondateutils", b"pythondateutil", 2), Some(2));
        assert_eq!(osa_distance(b"abcdef", b"badcfe", 2), None);
        assert_eq!(stem("boto3"), "boto");
    }
}
