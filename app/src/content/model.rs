//! The content file format as Rust types: laws, industries, questions, courses and lessons, scenarios, cases,
//! rubrics, document templates and case-file tasks.
//! Parsing only; the rules that tie items together live in `check`. `content/README.md` documents the format.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The day the Ecological Environment Code took effect: acts from this day are judged under it.
pub const CODE_IN_FORCE: &str = "2026-08-15";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub law: String,
    pub article: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old: Vec<OldCitation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OldCitation {
    pub law: String,
    pub article: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Law {
    pub id: String,
    pub name: String,
    pub short: String,
    pub from: String,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub verified: Option<bool>,
}

impl Law {
    /// True when the law was in force on `date` (ISO dates compare as text).
    pub fn in_force_on(&self, date: &str) -> bool {
        self.from.as_str() <= date && self.until.as_deref().is_none_or(|until| date <= until)
    }
}

/// The fine range, in yuan, of a cited article (`content/fines.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineRange {
    pub law: String,
    pub article: String,
    pub min: i64,
    pub max: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinesFile {
    pub range: Vec<toml::Spanned<FineRange>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LawsFile {
    pub law: Vec<toml::Spanned<Law>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub processes: Vec<String>,
    pub pollutants: Vec<String>,
    pub inspection_points: Vec<String>,
    pub violations: Vec<IndustryViolation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustryViolation {
    pub text: String,
    pub detect: String,
    pub code: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustriesFile {
    pub industry: Vec<toml::Spanned<Industry>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    Judge,
    Case,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    BeforeCode,
    AfterCode,
    General,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Procedure,
    Evidence,
    Law,
    Penalty,
    Monitoring,
    Industry,
    Case,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub period: Period,
    pub topic: Topic,
    pub difficulty: u8,
    #[serde(default)]
    pub industries: Vec<String>,
    pub stem: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub answer: Vec<String>,
    pub explanation: String,
    pub basis: Vec<Citation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part: Vec<CasePart>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePart {
    pub prompt: String,
    pub points: Vec<String>,
    #[serde(default)]
    pub basis: Vec<Citation>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionsFile {
    pub question: Vec<toml::Spanned<Question>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub track: String,
    pub level: String,
    pub module: Vec<Module>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub id: String,
    pub title: String,
    pub lessons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonMeta {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub track: String,
    pub level: String,
    #[serde(default)]
    pub industries: Vec<String>,
    pub objectives: Vec<String>,
    #[serde(default)]
    pub questions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    pub meta: LessonMeta,
    pub course: String,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMeta {
    pub id: String,
    pub title: String,
    pub act_date: String,
    pub industry: String,
    pub region: String,
    pub violations: Vec<String>,
    pub basis: Vec<Citation>,
    pub penalty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_yuan: Option<i64>,
    pub outcome: String,
    #[serde(default)]
    pub verified: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseStudy {
    pub meta: CaseMeta,
    pub body: String,
}

/// The kinds of rubric: an on-site practical (现场实操) or a case file (案卷制作).
pub const RUBRIC_KINDS: [&str; 2] = ["onsite", "casefile"];

/// A marking scheme an examiner scores with (`content/rubrics.toml`). Its criteria's maxima sum to 100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    pub id: String,
    pub title: String,
    /// `"onsite"` or `"casefile"` (`RUBRIC_KINDS`).
    pub kind: String,
    pub note: String,
    pub criterion: Vec<Criterion>,
}

/// One scored item of a rubric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub title: String,
    pub max: u32,
    /// 考评要点: what the examiner looks for.
    pub guide: String,
    /// Empty: scored in points `0..=max`. Otherwise exactly four descriptors, of judgement levels 0, 1, 2 and 3;
    /// level L earns `round(max × L / 3)` (`Criterion::level_points`).
    #[serde(default)]
    pub levels: Vec<String>,
    /// 扣分与否决, as the examiner reads it.
    #[serde(default)]
    pub deductions: String,
    /// A 否决 item: marking it 0 is a veto the chief examiner must see.
    #[serde(default)]
    pub veto: bool,
}

impl Criterion {
    /// The points judgement level `level` (0–3) earns: `round(max × level / 3)`; levels above 3 count as 3.
    pub fn level_points(&self, level: u32) -> u32 {
        // max × L / 3 never ends in exactly one half, so adding 1 before the division rounds it.
        (self.max * level.min(3) + 1) / 3
    }
}

/// The skeleton of an enforcement document a candidate writes (`content/casefiles/templates.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocTemplate {
    pub id: String,
    pub title: String,
    /// The document's skeleton as plain text, with 【…】 placeholders.
    pub body: String,
}

/// A case-file task (案卷制作): the facts of an inspection, from which the candidate writes the listed documents,
/// judged with a casefile rubric (`content/casefiles/<id>.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Casefile {
    pub id: String,
    pub title: String,
    pub industry: String,
    /// The date of the act, `YYYY-MM-DD`: it decides the law in force.
    pub act_date: String,
    pub minutes: u32,
    /// Markdown: the inspection's facts and evidence the candidate bases the documents on.
    pub facts: String,
    /// The ids of the document templates the candidate writes.
    pub documents: Vec<String>,
    /// The id of a rubric of kind `casefile`.
    pub rubric: String,
    /// The law the model answer rests on (for examiners), checked against `act_date`.
    #[serde(default)]
    pub basis: Vec<Citation>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricsFile {
    pub rubric: Vec<toml::Spanned<Rubric>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesFile {
    pub template: Vec<toml::Spanned<DocTemplate>>,
}

/// Competency dimensions a scenario scores.
pub const DIMENSIONS: [&str; 5] = ["procedure", "evidence", "facts", "law", "safety"];

/// Points per dimension.
pub type Score = BTreeMap<String, u32>;

pub fn total(score: &Score) -> u32 {
    score.values().sum()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub industry: String,
    pub act_date: String,
    pub difficulty: u8,
    pub minutes: u32,
    pub max_score: u32,
    pub critical_cap: u32,
    pub start: String,
    #[serde(default)]
    pub lessons: Vec<String>,
    pub briefing: Briefing,
    #[serde(default)]
    pub slot: Vec<Slot>,
    #[serde(default)]
    pub document: Vec<Document>,
    #[serde(default)]
    pub evidence: Vec<EvidenceCard>,
    pub step: Vec<Step>,
    pub ending: Vec<Ending>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Briefing {
    pub source: String,
    pub text: String,
    #[serde(default)]
    pub documents: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub id: String,
    pub option: Vec<SlotOption>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotOption {
    pub id: String,
    pub vars: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Timeseries,
    Text,
    Table,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: String,
    pub kind: DocumentKind,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub limit: Option<f64>,
    #[serde(default)]
    pub series: Vec<Series>,
    #[serde(default)]
    pub interval_minutes: Option<u32>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anomaly {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// The kinds of evidence of 《行政处罚法》第46条.
pub const EVIDENCE_KINDS: [&str; 9] = [
    "书证",
    "物证",
    "视听资料",
    "电子数据",
    "证人证言",
    "当事人陈述",
    "鉴定意见",
    "勘验笔录",
    "现场笔录",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceCard {
    pub id: String,
    pub title: String,
    pub kind: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Choice,
    Multi,
    Review,
    Record,
    Penalty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Critical {
    Cap,
    End,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    pub title: String,
    pub prompt: String,
    #[serde(default)]
    pub documents: Vec<String>,
    #[serde(default)]
    pub back: bool,
    /// Where multi, review, record and penalty steps lead.
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub choice: Vec<Choice>,
    #[serde(default)]
    pub finding: Vec<Finding>,
    #[serde(default)]
    pub distractor: Vec<Distractor>,
    #[serde(default)]
    pub element: Vec<RecordElement>,
    // Penalty steps.
    #[serde(default)]
    pub basis: Vec<Citation>,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub expected_min: Option<i64>,
    #[serde(default)]
    pub expected_max: Option<i64>,
    #[serde(default)]
    pub score: Option<u32>,
    #[serde(default)]
    pub dimension: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub score: Score,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub critical: Option<Critical>,
    pub feedback: String,
    #[serde(default)]
    pub basis: Vec<Citation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub id: String,
    pub document: String,
    pub text: String,
    pub score: Score,
    pub basis: Vec<Citation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distractor {
    pub id: String,
    pub document: String,
    pub text: String,
    /// Points taken off, per dimension, when the trainee marks this as wrong.
    #[serde(default)]
    pub penalty: Score,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordElement {
    pub id: String,
    pub label: String,
    pub keywords: Vec<String>,
    pub score: u32,
    pub dimension: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ending {
    pub id: String,
    pub title: String,
    pub qualification: String,
    pub penalty: String,
    pub text: String,
    pub basis: Vec<Citation>,
    #[serde(default)]
    pub model: bool,
}

/// Splits a Markdown file into its TOML front matter (between `+++` lines) and body, with the line the front
/// matter starts on (1-based).
pub fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("+++")?;
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))?;
    let end = rest.find("\n+++")?;
    let front = &rest[..end];
    let after = &rest[end + 4..];
    let body = after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix('\n'))
        .unwrap_or(after);
    Some((front, body, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgement_level_earns_its_rounded_share_of_the_criterion() {
        let criterion = |max: u32| Criterion {
            id: "c".into(),
            title: "c".into(),
            max,
            guide: String::new(),
            levels: vec![String::new(); 4],
            deductions: String::new(),
            veto: false,
        };
        let points =
            |max: u32| -> Vec<u32> { (0..=3).map(|l| criterion(max).level_points(l)).collect() };
        assert_eq!(points(10), [0, 3, 7, 10]);
        assert_eq!(points(15), [0, 5, 10, 15]);
        assert_eq!(points(25), [0, 8, 17, 25]);
        assert_eq!(points(20), [0, 7, 13, 20]);
        assert_eq!(
            criterion(10).level_points(9),
            10,
            "levels above 3 count as 3"
        );
    }
}
