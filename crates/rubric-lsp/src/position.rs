//! The one place where byte offsets become LSP positions and back.
//!
//! The syntax crate speaks byte offsets into UTF-8 text; LSP speaks lines and columns counted in
//! UTF-16 code units. `营` is 3 bytes and 1 unit, `𝒳` (outside the Basic Multilingual Plane) is 4
//! bytes and 2 units. Every conversion in the server goes through [`LineIndex`].

use rubric_syntax::Span;
use tower_lsp_server::lsp_types::{Position, Range};

/// Line starts of one text, for converting offsets and positions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of every line; the first is 0.
    starts: Vec<usize>,
    len: usize,
    /// Every [`MARK_STEP`] bytes or so (at a character boundary): the byte offset and the UTF-16
    /// units before it, so that a position far into a long line is counted from the nearest
    /// mark, not from the line's start (a diagnostic per token of a 100 KB line took seconds).
    marks: Vec<(usize, usize)>,
}

/// Bytes between two marks of a [`LineIndex`].
const MARK_STEP: usize = 1024;

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex::with_step(text, MARK_STEP)
    }

    fn with_step(text: &str, step: usize) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut marks = vec![(0, 0)];
        let (mut units, mut next) = (0usize, step.max(1));
        let mut i = 0;
        while next < text.len() {
            // to the first character boundary at or after `next`
            let mut at = next;
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
            units += text.get(i..at).map_or(0, |s| utf16_len(s) as usize);
            marks.push((at, units));
            i = at;
            next = at.saturating_add(step.max(1));
        }
        LineIndex {
            starts,
            len: text.len(),
            marks,
        }
    }

    /// The UTF-16 units of `text[..offset]` (`offset` a character boundary), counted from the
    /// nearest mark.
    fn units_before(&self, text: &str, offset: usize) -> usize {
        let k = self
            .marks
            .partition_point(|m| m.0 <= offset)
            .saturating_sub(1);
        let (at, units) = self.marks.get(k).copied().unwrap_or((0, 0));
        units + text.get(at..offset).map_or(0, |s| utf16_len(s) as usize)
    }

    /// The UTF-16 units between `start` and `offset` on one line: walked when the two are
    /// close, else the difference of their counts from the marks.
    fn units_between(&self, text: &str, start: usize, offset: usize) -> usize {
        if offset.saturating_sub(start) <= 2 * MARK_STEP.min(self.step_hint()) {
            text.get(start..offset)
                .map_or(0, |s| s.chars().map(char::len_utf16).sum())
        } else {
            self.units_before(text, offset) - self.units_before(text, start)
        }
    }

    /// The spacing of the marks (small in tests).
    fn step_hint(&self) -> usize {
        self.marks.get(1).map_or(usize::MAX, |m| m.0.max(1))
    }

    /// The LSP position of a byte offset. An offset inside a character counts as its start; an
    /// offset past the end is the end of the text.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = rubric_syntax::span::clamp_to_char_boundary(text, offset.min(self.len));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = self.units_between(text, start, offset);
        Position {
            line: to_u32(line),
            character: to_u32(character),
        }
    }

    /// [`LineIndex::position`] of `offset`, given the position `prev` of an earlier offset
    /// `prev_offset`: when both are on one line, only the text between them is counted, so
    /// converting the sorted offsets of one long line costs its length once, not once per offset
    /// (semantic tokens on a 60 KB line took seconds). Any other offset is converted in full.
    pub fn position_after(
        &self,
        text: &str,
        prev_offset: usize,
        prev: Position,
        offset: usize,
    ) -> Position {
        let offset = rubric_syntax::span::clamp_to_char_boundary(text, offset.min(self.len));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        match text.get(prev_offset..offset) {
            Some(between)
                if to_u32(line) == prev.line
                    && self.starts.get(line).is_some_and(|&s| prev_offset >= s) =>
            {
                Position {
                    line: prev.line,
                    character: prev.character.saturating_add(utf16_len(between)),
                }
            }
            _ => self.position(text, offset),
        }
    }

    /// The byte offset of an LSP position. A column past the end of its line is the end of the line
    /// (before its newline); a line past the end is the end of the text. A column that falls in the
    /// middle of a surrogate pair counts as the start of that character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.len;
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(self.len, |&n| n.saturating_sub(1));
        let want = pos.character as usize;
        // on a long line, walk from the last mark inside it that is not past the column
        let (mut from, mut units) = (start, 0usize);
        if end.saturating_sub(start) > 2 * MARK_STEP.min(self.step_hint()) {
            let base = self.units_before(text, start);
            let lo = self.marks.partition_point(|m| m.0 <= start);
            let hi = self.marks.partition_point(|m| m.0 <= end);
            let inside = self.marks.get(lo..hi).unwrap_or(&[]);
            let k = inside.partition_point(|m| m.1 - base <= want);
            if let Some(&(at, u)) = k.checked_sub(1).and_then(|k| inside.get(k)) {
                (from, units) = (at, u - base);
            }
        }
        let line = text.get(from..end).unwrap_or("");
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16();
            if next > want {
                return from + i;
            }
            units = next;
        }
        end
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range {
            start: self.position(text, span.start),
            end: self.position(text, span.end),
        }
    }

    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }

    /// The byte span a `didChange` edit replaces, checked strictly, since applying an edit at a
    /// guessed place would corrupt the document: a line past the last one, a column inside a
    /// surrogate pair (half an emoji or `𝒳`), or a start after the end is an error that says
    /// which. A column past the end of its line is the line's end, before its `\n` or `\r\n`, as
    /// the protocol says.
    pub fn edit_span(&self, text: &str, range: Range) -> Result<Span, String> {
        let start = self.edit_offset(text, range.start)?;
        let end = self.edit_offset(text, range.end)?;
        if start > end {
            return Err(format!(
                "its start {} is after its end {}",
                show(range.start),
                show(range.end)
            ));
        }
        Ok(Span::new(start, end))
    }

    fn edit_offset(&self, text: &str, pos: Position) -> Result<usize, String> {
        let line = pos.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return Err(format!(
                "{} is past the end of the document, which has {} line{}",
                show(pos),
                self.starts.len(),
                if self.starts.len() == 1 { "" } else { "s" }
            ));
        };
        let (mut end, newline) = match self.starts.get(line + 1) {
            Some(&next) => (next.saturating_sub(1), true),
            None => (self.len, false),
        };
        // the line's end is before its `\r\n` (a `\r` that ends the text is the line's own)
        if newline && text.get(..end).is_some_and(|t| t.ends_with('\r')) {
            end -= 1;
        }
        let want = pos.character as usize;
        let mut units = 0usize;
        for (i, c) in text.get(start..end).unwrap_or("").char_indices() {
            if units == want {
                return Ok(start + i);
            }
            units += c.len_utf16();
            if units > want {
                return Err(format!(
                    "{} falls inside the character {c:?} (2 UTF-16 units)",
                    show(pos)
                ));
            }
        }
        Ok(end)
    }

    /// The number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }
}

/// A position in the protocol's own terms (both counted from 0, the character in UTF-16 units).
fn show(p: Position) -> String {
    format!("line {} character {}", p.line, p.character)
}

/// UTF-16 length of a piece of text.
pub fn utf16_len(s: &str) -> u32 {
    to_u32(s.chars().map(char::len_utf16).sum())
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    /// With marks every few bytes, positions and offsets are those counted from each line's
    /// start, on long lines of mixed widths (1 to 4 bytes, 1 or 2 UTF-16 units).
    #[test]
    fn marks_give_the_positions_of_counting_from_the_line_start() {
        let long: String = "a营𝒳é ".repeat(300);
        let text = format!("短\n{long}\n\n{long}𝒳\r\nend");
        for step in [1, 3, 7, 64] {
            let marked = LineIndex::with_step(&text, step);
            let plain = LineIndex::with_step(&text, usize::MAX);
            for off in 0..=text.len() + 2 {
                // counted from the line's start, character by character
                let at = rubric_syntax::span::clamp_to_char_boundary(&text, off.min(text.len()));
                let line = text[..at].matches('\n').count();
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let character: usize = text[start..at].chars().map(char::len_utf16).sum();
                assert_eq!(
                    marked.position(&text, off),
                    pos(line as u32, character as u32),
                    "step {step} offset {off}"
                );
            }
            for line in 0..6 {
                for character in (0..3000).step_by(7).chain([u32::MAX as usize]) {
                    let p = pos(line, character as u32);
                    assert_eq!(
                        marked.offset(&text, p),
                        plain.offset(&text, p),
                        "step {step} {p:?}"
                    );
                }
            }
        }
    }

    /// Counting on from an earlier offset gives the same position as counting from the line's
    /// start, for every pair of offsets (inside characters and past the end included).
    #[test]
    fn position_after_agrees_with_position() {
        let text = "营业额 > 𝒳\r\nlet a = \"\"\"\"\nb\n";
        let ix = LineIndex::new(text);
        for prev in 0..=text.len() + 2 {
            let p = ix.position(text, prev);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    ix.position_after(text, prev, p, offset),
                    ix.position(text, offset),
                    "{prev} -> {offset}"
                );
            }
        }
    }

    #[test]
    fn ascii_round_trip() {
        let text = "let a = 1\nlet b = 2\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 0), pos(0, 0));
        assert_eq!(ix.position(text, 14), pos(1, 4));
        assert_eq!(ix.offset(text, pos(1, 4)), 14);
        assert_eq!(ix.position(text, text.len()), pos(2, 0));
    }

    #[test]
    fn chinese_counts_one_unit_per_character() {
        // `营业额` is 9 bytes but 3 UTF-16 units.
        let text = "let 营业额 = 收入 + 1\n";
        let ix = LineIndex::new(text);
        let plus = text.find('+').unwrap_or(0);
        assert_eq!(plus, 23);
        assert_eq!(ix.position(text, plus), pos(0, 13));
        assert_eq!(ix.offset(text, pos(0, 13)), plus);
        let shou = text.find("收入").unwrap_or(0);
        assert_eq!(
            ix.range(text, Span::new(shou, shou + "收入".len())),
            Range::new(pos(0, 10), pos(0, 12))
        );
    }

    #[test]
    fn astral_plane_counts_two_units() {
        // `𝒳` is U+1D4B3: 4 bytes in UTF-8, a surrogate pair (2 units) in UTF-16.
        let text = "// 𝒳𝒳\nlet x = \"😀\" + y";
        let ix = LineIndex::new(text);
        let y = text.rfind('y').unwrap_or(0);
        // `let x = "😀" + y`: l e t _ x _ = _ " 😀(2) " _ + _ y → column 15
        assert_eq!(ix.position(text, y), pos(1, 15));
        assert_eq!(ix.offset(text, pos(1, 15)), y);
        assert_eq!(ix.position(text, 3 + 4), pos(0, 5));
        // a column inside a surrogate pair lands at the start of the character
        assert_eq!(ix.offset(text, pos(0, 4)), 3);
        assert_eq!(ix.offset(text, pos(0, 5)), 7);
    }

    #[test]
    fn full_width_input_after_emoji_keeps_exact_ranges() {
        // the checker's `full-width` span of `＞＝` (6 bytes, 2 units) after `😀` (4 bytes, 2 units)
        let text = "let h = \"😀\" ＝＝ \"x\" and r ＞＝ ５万\n";
        let ix = LineIndex::new(text);
        let (_, checked) = rubric_check::check_source(text);
        let ranges: Vec<(String, Range)> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == "full-width")
            .map(|d| (text[d.span.range()].to_string(), ix.range(text, d.span)))
            .collect();
        assert_eq!(
            ranges,
            [
                ("＝＝".to_string(), Range::new(pos(0, 13), pos(0, 15))),
                ("＞＝".to_string(), Range::new(pos(0, 26), pos(0, 28))),
                ("５".to_string(), Range::new(pos(0, 29), pos(0, 30))),
            ]
        );
        for (_, r) in &ranges {
            let span = ix.span(text, *r);
            assert_eq!(ix.range(text, span), *r, "round trip");
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let ix = LineIndex::new(text);
        assert_eq!(ix.offset(text, pos(0, 99)), 2);
        assert_eq!(ix.offset(text, pos(9, 0)), text.len());
        // an offset inside a multi-byte character counts as its start
        let text = "营x";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 1), pos(0, 0));
        assert_eq!(ix.position(text, 3), pos(0, 1));
    }

    #[test]
    fn crlf_lines() {
        let text = "a\r\nbc";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 4), pos(1, 1));
        assert_eq!(ix.offset(text, pos(1, 1)), 4);
    }
}
