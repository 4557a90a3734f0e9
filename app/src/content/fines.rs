//! Checks that keep the numbers and the bank honest: every fine content states lies within the range of an
//! article the item cites (ranges from `content/fines.toml`), and no question nearly repeats another.

use super::check::{ContentSet, Origin};
use super::model::{Citation, FineRange};
use std::collections::HashSet;

/// The ranges of the cited articles that `fines.toml` knows.
fn ranges<'a>(cites: &[Citation], all: &'a [(Origin, FineRange)]) -> Vec<&'a FineRange> {
    let mut out: Vec<&FineRange> = Vec::new();
    for c in cites {
        for (_, r) in all {
            if r.law == c.law && r.article == c.article && !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// A daily continuous penalty (按日连续处罚) multiplies a fine beyond any one article's range.
fn daily(cites: &[Citation]) -> bool {
    cites.iter().any(|c| {
        c.law == "daily_measures"
            || (c.law == "code" && c.article == "1060")
            || (c.law == "epl" && c.article == "59")
    })
}

/// Amounts written as "罚款60万元", "罚款约12.5万元", "罚款200000元", in yuan.
pub fn stated_fines(text: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("罚款") {
        let mut rest = &text[i + "罚款".len()..];
        for filler in ["约", "共计", "合计", "人民币"] {
            rest = rest.strip_prefix(filler).unwrap_or(rest);
        }
        let number: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        if number.is_empty() {
            continue;
        }
        let after = &rest[number.len()..];
        let value: f64 = match number.replace(',', "").parse() {
            Ok(v) => v,
            Err(_) => continue,
        };
        let yuan = if after.starts_with("万元") {
            value * 10_000.0
        } else if after.starts_with('元') {
            value
        } else {
            continue;
        };
        out.push(yuan.round() as i64);
    }
    out
}

fn yuan(n: i64) -> String {
    if n % 10_000 == 0 {
        format!("{}万元", n / 10_000)
    } else {
        format!("{n}元")
    }
}

/// Checks a stated amount: at least the lowest minimum of the cited articles, at most the sum of their maxima
/// (several violations may be fined together), and no upper bound with a daily continuous penalty.
fn amount_fits(amount: i64, rs: &[&FineRange], cites: &[Citation]) -> Result<(), String> {
    let lo = rs.iter().map(|r| r.min).min().unwrap_or(0);
    let hi: i64 = rs.iter().map(|r| r.max).sum();
    if amount < lo || (!daily(cites) && amount > hi) {
        let names: Vec<String> = rs
            .iter()
            .map(|r| format!("{} {} ({}–{})", r.law, r.article, yuan(r.min), yuan(r.max)))
            .collect();
        return Err(format!(
            "the fine {} is outside the range of the cited articles: {}",
            yuan(amount),
            names.join(", ")
        ));
    }
    Ok(())
}

pub fn check(set: &ContentSet, err: &mut dyn FnMut(&Origin, String)) {
    if set.fines.is_empty() {
        return;
    }
    for (origin, r) in &set.fines {
        if r.min <= 0 || r.max < r.min {
            err(
                origin,
                format!(
                    "fine range {} {}: min must be positive and max at least min",
                    r.law, r.article
                ),
            );
        }
    }
    for (origin, s) in &set.scenarios {
        for st in &s.step {
            let rs = ranges(&st.basis, &set.fines);
            if let (false, Some(min), Some(max)) = (rs.is_empty(), st.min, st.max) {
                let lo = rs.iter().map(|r| r.min).min().unwrap_or(0);
                let hi = rs.iter().map(|r| r.max).max().unwrap_or(0);
                if min < lo || max > hi {
                    err(
                        origin,
                        format!(
                            "scenario {} step {}: the statutory range {}–{} is not within the cited articles' {}–{}",
                            s.id,
                            st.id,
                            yuan(min),
                            yuan(max),
                            yuan(lo),
                            yuan(hi)
                        ),
                    );
                }
            }
        }
        for e in &s.ending {
            let rs = ranges(&e.basis, &set.fines);
            if rs.is_empty() {
                continue;
            }
            for amount in stated_fines(&e.penalty) {
                if let Err(m) = amount_fits(amount, &rs, &e.basis) {
                    err(origin, format!("scenario {} ending {}: {m}", s.id, e.id));
                }
            }
        }
    }
    for (origin, case) in &set.cases {
        let rs = ranges(&case.meta.basis, &set.fines);
        if rs.is_empty() {
            continue;
        }
        let mut amounts = stated_fines(&case.meta.penalty);
        amounts.extend(case.meta.fine_yuan.filter(|n| *n > 0));
        for amount in amounts {
            if let Err(m) = amount_fits(amount, &rs, &case.meta.basis) {
                err(origin, format!("case {}: {m}", case.meta.id));
            }
        }
    }
}

/// The character bigrams of a text's letters and digits, for comparing questions.
fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Two questions whose stem and options share at least this share of bigrams are near duplicates.
pub const NEAR_DUPLICATE: f64 = 0.85;

pub fn near_duplicates(set: &ContentSet, err: &mut dyn FnMut(&Origin, String)) {
    let grams: Vec<HashSet<(char, char)>> = set
        .questions
        .iter()
        .map(|(_, q)| bigrams(&format!("{}{}", q.stem, q.options.join(""))))
        .collect();
    for i in 0..grams.len() {
        for j in 0..i {
            let (a, b) = (&grams[i], &grams[j]);
            let (small, large) = if a.len() < b.len() {
                (a.len(), b.len())
            } else {
                (b.len(), a.len())
            };
            if small == 0 || (small as f64) < NEAR_DUPLICATE * large as f64 {
                continue;
            }
            let shared = a.intersection(b).count();
            let jaccard = shared as f64 / (a.len() + b.len() - shared) as f64;
            if jaccard >= NEAR_DUPLICATE {
                // Said at both questions, so whoever wrote either sees it.
                let (origin, q) = &set.questions[i];
                let (other, p) = &set.questions[j];
                for (here, this, there, that) in [(origin, q, other, p), (other, p, origin, q)] {
                    err(
                        here,
                        format!(
                            "question {} nearly repeats {} ({}:{}); make them ask different things",
                            this.id, that.id, there.file, there.line
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fines_are_read_from_the_usual_phrases() {
        assert_eq!(stated_fines("罚款60万元，责令改正"), vec![600_000]);
        assert_eq!(
            stated_fines("罚款约12.5万元；另对个人罚款5万元"),
            vec![125_000, 50_000]
        );
        assert_eq!(stated_fines("罚款200,000元"), vec![200_000]);
        assert_eq!(stated_fines("罚款10万元以上100万元以下"), vec![100_000]);
        assert!(stated_fines("处以罚款，并责令停产").is_empty());
        assert!(stated_fines("罚款数额按日累计").is_empty());
    }

    #[test]
    fn an_amount_fits_one_article_or_several_together_and_a_daily_penalty_lifts_the_cap() {
        let r = FineRange {
            law: "code".into(),
            article: "1108".into(),
            min: 100_000,
            max: 1_000_000,
            note: String::new(),
        };
        let s = FineRange {
            law: "code".into(),
            article: "1229".into(),
            min: 5_000,
            max: 200_000,
            note: String::new(),
        };
        let cite = |law: &str, article: &str| Citation {
            law: law.into(),
            article: article.into(),
            item: None,
            old: vec![],
            verified: None,
        };
        let one = [cite("code", "1108")];
        assert!(amount_fits(600_000, &[&r], &one).is_ok());
        assert!(amount_fits(50_000, &[&r], &one).is_err());
        assert!(amount_fits(1_100_000, &[&r], &one).is_err());
        assert!(
            amount_fits(
                1_100_000,
                &[&r, &s],
                &[cite("code", "1108"), cite("code", "1229")]
            )
            .is_ok()
        );
        assert!(
            amount_fits(
                7_200_000,
                &[&r],
                &[cite("code", "1108"), cite("code", "1060")]
            )
            .is_ok()
        );
    }
}
