//! Chinese full-text search without a word segmenter: text is indexed as overlapping character bigrams (the
//! CJK approach of Lucene's CJKAnalyzer), so any word inside a sentence is found — 旁路 in 烟气走旁路直排.
//! Latin words and numbers are indexed whole, lower-cased. Pure; the index itself is two plain tables.

use std::collections::BTreeMap;

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The terms of a text with their counts.
pub fn terms(text: &str) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for term in term_list(text) {
        *out.entry(term).or_insert(0) += 1;
    }
    out
}

/// The terms of a text in order: CJK runs as bigrams (a lone character as itself), other words whole.
pub fn term_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(word.to_lowercase());
            word.clear();
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.push(c);
        } else {
            flush_run(&mut run, &mut out);
            flush_word(&mut word, &mut out);
        }
    }
    flush_run(&mut run, &mut out);
    flush_word(&mut word, &mut out);
    out
}

/// The distinct terms a query must all match.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = term_list(query);
    terms.sort();
    terms.dedup();
    terms.truncate(24);
    terms
}

/// A fragment of `text` around the first place the query (or, failing that, its first term) occurs, with the
/// matches wrapped in `[[` `]]` for the page to highlight. At most about `width` characters.
pub fn snippet(text: &str, query: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let needles: Vec<String> = {
        let q = query.trim().to_lowercase();
        let mut n = vec![q.clone()];
        n.extend(query_terms(&q));
        n.into_iter().filter(|s| !s.is_empty()).collect()
    };
    let lower = flat.to_lowercase();
    let hit = needles
        .iter()
        .find_map(|n| lower.find(n.as_str()).map(|at| (at, n.clone())));
    let chars: Vec<char> = flat.chars().collect();
    let (start_char, _) = match &hit {
        Some((byte, _)) => (lower[..*byte].chars().count().saturating_sub(width / 3), ()),
        None => (0, ()),
    };
    let end_char = (start_char + width).min(chars.len());
    let mut piece: String = chars[start_char..end_char].iter().collect();
    if let Some((_, needle)) = hit {
        let needle_main = needles
            .first()
            .filter(|n| piece.to_lowercase().contains(n.as_str()))
            .cloned()
            .unwrap_or(needle);
        piece = highlight(&piece, &needle_main);
    }
    let mut out = String::new();
    if start_char > 0 {
        out.push('…');
    }
    out.push_str(&piece);
    if end_char < chars.len() {
        out.push('…');
    }
    out
}

fn highlight(piece: &str, needle: &str) -> String {
    if needle.is_empty() {
        return piece.to_owned();
    }
    let lower = piece.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; highlight only when the offsets line up.
    if lower.len() != piece.len() {
        return piece.to_owned();
    }
    let mut out = String::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(needle) {
        let s = at + found;
        out.push_str(&piece[at..s]);
        out.push_str("[[");
        out.push_str(&piece[s..s + needle.len()]);
        out.push_str("]]");
        at = s + needle.len();
    }
    out.push_str(&piece[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_word_inside_a_sentence_is_one_of_its_terms() {
        let t = terms("烟气走旁路直排");
        assert!(t.contains_key("旁路"));
        assert!(query_terms("旁路").iter().all(|q| t.contains_key(q)));
        assert!(!t.contains_key("路旁"));
    }

    #[test]
    fn latin_words_and_numbers_are_whole_and_lower_case() {
        let t = terms("CEMS 数据 HJ 75-2017");
        assert!(t.contains_key("cems"));
        assert!(t.contains_key("75"));
        assert!(t.contains_key("数据"));
    }

    #[test]
    fn the_snippet_shows_and_marks_the_match() {
        let s = snippet(
            "某钢铁企业夜间开启旁路挡板，烧结烟气走旁路直排，被查处。",
            "旁路",
            12,
        );
        assert!(s.contains("[[旁路]]"), "{s}");
    }

    proptest::proptest! {
        #[test]
        fn every_substring_of_two_chinese_characters_is_found(text in "[\u{4e00}-\u{4e50}]{2,30}", start in 0usize..28) {
            let chars: Vec<char> = text.chars().collect();
            let start = start % (chars.len() - 1);
            let word: String = chars[start..start + 2].iter().collect();
            let indexed = terms(&text);
            for q in query_terms(&word) {
                proptest::prop_assert!(indexed.contains_key(&q));
            }
        }
    }
}
