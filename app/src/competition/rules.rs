//! The theory exam's pure rules: the blueprint a paper is drawn to, how one answer scores (with the
//! partial-credit rule for multiple choice), and the item statistics admins read after a stage closes.
//! No I/O; scores are in hundredths of a point so half credit and proportional credit stay exact integers.

use serde::{Deserialize, Serialize};

/// How a multiple-choice answer that is not exactly right scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultipleRule {
    /// Full points for exactly the right set, nothing otherwise.
    #[default]
    AllOrNothing,
    /// Half points for some right options and no wrong one (the usual 少选得一半, 错选不得分).
    HalfIfSubset,
    /// Points in proportion to the right options chosen, nothing if any chosen option is wrong.
    Proportional,
}

impl MultipleRule {
    pub const ALL: [MultipleRule; 3] = [
        MultipleRule::AllOrNothing,
        MultipleRule::HalfIfSubset,
        MultipleRule::Proportional,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MultipleRule::AllOrNothing => "all_or_nothing",
            MultipleRule::HalfIfSubset => "half_if_subset",
            MultipleRule::Proportional => "proportional",
        }
    }

    pub fn parse(s: &str) -> Option<MultipleRule> {
        MultipleRule::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// The question types a theory paper draws; case-analysis questions are marked by examiners, not here.
pub const PAPER_KINDS: [&str; 3] = ["single", "multiple", "judge"];
/// Topics of the bank, as the content names them.
pub const TOPICS: [&str; 7] = [
    "procedure",
    "evidence",
    "law",
    "penalty",
    "monitoring",
    "industry",
    "case",
];

/// A difficulty band of the bank's 1–5 scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Easy,
    Medium,
    Hard,
}

impl Band {
    pub const ALL: [Band; 3] = [Band::Easy, Band::Medium, Band::Hard];

    pub fn code(self) -> &'static str {
        match self {
            Band::Easy => "easy",
            Band::Medium => "medium",
            Band::Hard => "hard",
        }
    }

    pub fn parse(s: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.code() == s)
    }

    pub fn contains(self, difficulty: u8) -> bool {
        match self {
            Band::Easy => difficulty <= 2,
            Band::Medium => difficulty == 3,
            Band::Hard => difficulty >= 4,
        }
    }
}

/// One line of a blueprint: how many questions of a kind (and optionally topic and difficulty band), at how
/// many points each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintRow {
    pub kind: String,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub band: Option<Band>,
    pub count: u32,
    /// Points per question.
    pub points: u32,
}

impl BlueprintRow {
    /// Whether a bank question fits this row.
    pub fn admits(&self, kind: &str, topic: &str, difficulty: u8) -> bool {
        self.kind == kind
            && self.topic.as_deref().is_none_or(|t| t == topic)
            && self.band.is_none_or(|b| b.contains(difficulty))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blueprint {
    pub rows: Vec<BlueprintRow>,
    #[serde(default)]
    pub multiple_rule: MultipleRule,
}

impl Blueprint {
    /// Full marks of a paper drawn to this blueprint, in points.
    pub fn total_points(&self) -> u32 {
        self.rows.iter().map(|r| r.count * r.points).sum()
    }

    pub fn question_count(&self) -> u32 {
        self.rows.iter().map(|r| r.count).sum()
    }
}

/// One question on a candidate's paper: which question (exact content version), the order its options are
/// shown in (indexes into the question's options), and its points in hundredths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperItem {
    pub q: String,
    pub v: i64,
    pub kind: String,
    #[serde(default)]
    pub order: Vec<u8>,
    pub points: i64,
}

/// An answer as stored: the chosen option letters of the question's own (unshuffled) lettering, sorted, joined.
/// Anything else a client sends is reduced to that form or refused.
pub fn normalise_answer(kind: &str, option_count: usize, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(String::new());
    }
    match kind {
        "judge" => matches!(raw, "T" | "F").then(|| raw.to_owned()),
        "single" => {
            let c = raw.chars().next()?;
            (raw.chars().count() == 1 && letter_index(c).is_some_and(|i| i < option_count))
                .then(|| raw.to_owned())
        }
        "multiple" => {
            let mut letters: Vec<char> = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if letters
                .iter()
                .any(|&c| letter_index(c).is_none_or(|i| i >= option_count))
            {
                return None;
            }
            letters.sort_unstable();
            letters.dedup();
            Some(letters.into_iter().collect())
        }
        _ => None,
    }
}

fn letter_index(c: char) -> Option<usize> {
    c.is_ascii_uppercase().then(|| (c as u8 - b'A') as usize)
}

/// The hundredths one answer earns. `right` is the key as letters; `answer` the stored answer.
pub fn score_item(
    kind: &str,
    right: &[String],
    answer: &str,
    points: i64,
    rule: MultipleRule,
) -> i64 {
    let chosen: Vec<String> = answer.chars().map(|c| c.to_string()).collect();
    if chosen.is_empty() {
        return 0;
    }
    let mut key: Vec<String> = right.to_vec();
    key.sort();
    key.dedup();
    if chosen == key {
        return points;
    }
    if kind != "multiple" || chosen.iter().any(|c| !key.contains(c)) {
        return 0;
    }
    match rule {
        MultipleRule::AllOrNothing => 0,
        MultipleRule::HalfIfSubset => points / 2,
        MultipleRule::Proportional => points * chosen.len() as i64 / key.len().max(1) as i64,
    }
}

/// One candidate's result on one question, for the statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The candidate's total on the paper, hundredths.
    pub total: i64,
    pub earned: i64,
    pub points: i64,
    pub answer: String,
}

/// What admins read per question once a stage has closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    pub answered: usize,
    pub candidates: usize,
    /// Mean share of the points earned, 0..=1 (the classical p-value).
    pub facility: f64,
    /// Facility of the top 27% by total minus that of the bottom 27% (upper–lower index), -1..=1.
    pub discrimination: Option<f64>,
    /// How many chose each option letter (unanswered not counted).
    pub option_counts: Vec<(String, usize)>,
}

/// Facility, upper–lower discrimination and option counts for one question.
pub fn item_stats(responses: &[Response], letters: &[String]) -> ItemStats {
    let n = responses.len();
    let share = |r: &Response| {
        if r.points > 0 {
            r.earned as f64 / r.points as f64
        } else {
            0.0
        }
    };
    let facility = if n == 0 {
        0.0
    } else {
        responses.iter().map(share).sum::<f64>() / n as f64
    };
    // Groups of 27% need at least a handful of candidates to mean anything.
    let discrimination = if n >= 10 {
        let mut by_total: Vec<&Response> = responses.iter().collect();
        by_total.sort_by_key(|r| r.total);
        let g = ((n as f64) * 0.27).round().max(1.0) as usize;
        let mean = |rs: &[&Response]| rs.iter().map(|r| share(r)).sum::<f64>() / rs.len() as f64;
        Some(mean(&by_total[n - g..]) - mean(&by_total[..g]))
    } else {
        None
    };
    let option_counts = letters
        .iter()
        .map(|l| {
            (
                l.clone(),
                responses
                    .iter()
                    .filter(|r| r.answer.contains(l.as_str()))
                    .count(),
            )
        })
        .collect();
    ItemStats {
        answered: responses.iter().filter(|r| !r.answer.is_empty()).count(),
        candidates: n,
        facility,
        discrimination,
        option_counts,
    }
}

/// Seconds left before a deadline, never negative.
pub fn remaining(deadline_at: i64, now: i64) -> i64 {
    (deadline_at - now).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(s: &str) -> Vec<String> {
        s.chars().map(|c| c.to_string()).collect()
    }

    #[test]
    fn single_and_judge_score_all_or_nothing() {
        assert_eq!(
            score_item("single", &key("B"), "B", 200, MultipleRule::Proportional),
            200
        );
        assert_eq!(
            score_item("single", &key("B"), "C", 200, MultipleRule::Proportional),
            0
        );
        assert_eq!(
            score_item("judge", &key("F"), "F", 100, MultipleRule::AllOrNothing),
            100
        );
        assert_eq!(
            score_item("judge", &key("F"), "", 100, MultipleRule::AllOrNothing),
            0
        );
    }

    #[test]
    fn multiple_choice_follows_the_partial_credit_rule() {
        let k = key("ACD");
        assert_eq!(
            score_item("multiple", &k, "ACD", 300, MultipleRule::AllOrNothing),
            300
        );
        assert_eq!(
            score_item("multiple", &k, "AC", 300, MultipleRule::AllOrNothing),
            0
        );
        assert_eq!(
            score_item("multiple", &k, "AC", 300, MultipleRule::HalfIfSubset),
            150
        );
        assert_eq!(
            score_item("multiple", &k, "AC", 300, MultipleRule::Proportional),
            200
        );
        // A wrong option chosen earns nothing under every rule.
        for rule in MultipleRule::ALL {
            assert_eq!(score_item("multiple", &k, "ACB", 300, rule), 0);
        }
    }

    #[test]
    fn answers_are_normalised_or_refused() {
        assert_eq!(
            normalise_answer("multiple", 4, "DA A").as_deref(),
            Some("AD")
        );
        assert_eq!(normalise_answer("multiple", 4, "E"), None);
        assert_eq!(normalise_answer("single", 4, "C").as_deref(), Some("C"));
        assert_eq!(normalise_answer("single", 4, "AB"), None);
        assert_eq!(normalise_answer("judge", 0, "T").as_deref(), Some("T"));
        assert_eq!(normalise_answer("judge", 0, "X"), None);
        assert_eq!(normalise_answer("single", 4, " ").as_deref(), Some(""));
    }

    #[test]
    fn blueprint_rows_admit_by_kind_topic_and_band() {
        let row = BlueprintRow {
            kind: "single".into(),
            topic: Some("law".into()),
            band: Some(Band::Hard),
            count: 5,
            points: 2,
        };
        assert!(row.admits("single", "law", 4));
        assert!(!row.admits("single", "law", 3));
        assert!(!row.admits("multiple", "law", 5));
        assert!(!row.admits("single", "penalty", 5));
    }

    #[test]
    fn a_question_the_strong_get_right_and_the_weak_wrong_discriminates() {
        let responses: Vec<Response> = (0..20)
            .map(|i| Response {
                total: i * 100,
                earned: if i >= 10 { 100 } else { 0 },
                points: 100,
                answer: if i >= 10 { "A".into() } else { "B".into() },
            })
            .collect();
        let s = item_stats(&responses, &key("ABCD"));
        assert!((s.facility - 0.5).abs() < 1e-9);
        assert_eq!(s.discrimination, Some(1.0));
        assert_eq!(s.option_counts[0], ("A".into(), 10));
        assert_eq!(s.option_counts[1], ("B".into(), 10));
        assert_eq!(s.answered, 20);
    }

    proptest! {
        /// No rule gives more than full points or less than nothing, and adding a wrong option never helps.
        #[test]
        fn scores_stay_within_the_points(key_mask in 1u8..16, answer_mask in 0u8..16, points in 1i64..1000, r in 0usize..3) {
            let letters = |m: u8| -> String { (0..4).filter(|i| m & (1 << i) != 0).map(|i| (b'A' + i) as char).collect() };
            let k = key(&letters(key_mask));
            let rule = MultipleRule::ALL[r];
            let s = score_item("multiple", &k, &letters(answer_mask), points, rule);
            prop_assert!((0..=points).contains(&s));
            let wrong = !key_mask & 0x0f;
            if wrong != 0 {
                let with_wrong = letters(answer_mask | wrong);
                prop_assert_eq!(score_item("multiple", &k, &with_wrong, points, rule), 0);
            }
        }
    }
}
