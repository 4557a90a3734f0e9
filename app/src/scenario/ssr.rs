//! Builds what the player and the debrief show from the engine's state. Everything a browser receives passes
//! through here, so this is where answers are kept back: a step view holds option texts in a per-attempt order
//! under position keys (never ids, scores, feedback or where an option leads), documents hold no anomalies until
//! the debrief, and feedback exists only in practice mode and only for what was already done.

use super::*;
use crate::content::engine::{self, Action, PeriodMark, State};
use crate::content::model::{
    Citation, Document, DocumentKind, Law, Scenario, Step, StepKind, total,
};
use crate::error::AppError;
use crate::server::{attempts::Attempt, content_store, markdown};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

pub const DIMENSIONS: [&str; 5] = ["procedure", "evidence", "facts", "law", "safety"];

pub fn parse(body: &str) -> Result<Scenario, AppError> {
    serde_json::from_str(body).map_err(|e| AppError::internal("scenario body", e))
}

/// The order in which a step's options are shown in an attempt: a permutation drawn from the attempt's seed and
/// the step, so that the first option is not always the right one and a retry shows a new order.
pub fn order(seed: u64, step: &str, n: usize) -> Vec<usize> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in step.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ h));
    idx
}

/// What a review or multi step lists: (id, text, document id) in file order.
fn items(step: &Step) -> Vec<(String, String, Option<String>)> {
    match step.kind {
        StepKind::Review => step
            .finding
            .iter()
            .map(|f| (f.id.clone(), f.text.clone(), Some(f.document.clone())))
            .chain(
                step.distractor
                    .iter()
                    .map(|d| (d.id.clone(), d.text.clone(), Some(d.document.clone()))),
            )
            .collect(),
        _ => step
            .choice
            .iter()
            .map(|c| (c.id.clone(), c.text.clone(), None))
            .collect(),
    }
}

fn step_of<'a>(s: &'a Scenario, id: &str) -> Option<&'a Step> {
    s.step.iter().find(|st| st.id == id)
}

fn doc_title(s: &Scenario, id: &str) -> String {
    s.document
        .iter()
        .find(|d| d.id == id)
        .map(|d| d.title.clone())
        .unwrap_or_default()
}

pub fn step_view(s: &Scenario, state: &State, seed: u64) -> Option<StepView> {
    let step = step_of(s, &state.at)?;
    let list = items(step);
    let options = order(seed, &step.id, list.len())
        .into_iter()
        .enumerate()
        .map(|(pos, i)| OptionView {
            key: format!("o{pos}"),
            text: engine::fill(&list[i].1, s, &state.variant),
            document: list[i].2.as_deref().map(|d| doc_title(s, d)),
        })
        .collect();
    Some(StepView {
        id: step.id.clone(),
        kind: format!("{:?}", step.kind).to_lowercase(),
        title: step.title.clone(),
        prompt_html: markdown::render(&engine::fill(&step.prompt, s, &state.variant)),
        options,
    })
}

/// Turns a submitted form into an engine action, mapping position keys back to ids.
pub fn action_from_form(
    s: &Scenario,
    state: &State,
    seed: u64,
    form: &StepForm,
) -> Result<Action, AppError> {
    let step = step_of(s, &state.at).ok_or(AppError::NotFound)?;
    let list = items(step);
    let perm = order(seed, &step.id, list.len());
    let id_of = |key: &str| -> Option<String> {
        let pos: usize = key.strip_prefix('o')?.parse().ok()?;
        perm.get(pos).map(|&i| list[i].0.clone())
    };
    match step.kind {
        StepKind::Choice => {
            let key = form.choice.as_deref().unwrap_or_default();
            let choice =
                id_of(key).ok_or_else(|| AppError::field("choice", "play.err_pick_one"))?;
            Ok(Action::Choose { choice })
        }
        StepKind::Multi | StepKind::Review => {
            let mut picked: Vec<String> = form
                .pick
                .iter()
                .flatten()
                .map(|(k, _)| id_of(k).ok_or(AppError::field("pick", "play.err_stale")))
                .collect::<Result<_, _>>()?;
            picked.sort();
            if step.kind == StepKind::Multi && picked.is_empty() {
                return Err(AppError::field("pick", "play.err_pick_some"));
            }
            Ok(if step.kind == StepKind::Multi {
                Action::ChooseMany { choices: picked }
            } else {
                Action::Mark { marked: picked }
            })
        }
        StepKind::Record => {
            let text = form.text.as_deref().unwrap_or_default().trim().to_owned();
            if text.chars().count() < 10 {
                return Err(AppError::field("text", "play.err_record_short"));
            }
            if text.chars().count() > RECORD_MAX {
                return Err(AppError::field("text", "play.err_record_long"));
            }
            Ok(Action::Record { text })
        }
        StepKind::Penalty => {
            let amount = parse_amount(form.amount.as_deref().unwrap_or_default())
                .ok_or_else(|| AppError::field("amount", "play.err_amount"))?;
            Ok(Action::Penalty { amount })
        }
    }
}

/// Reads an amount in yuan as officers write it: "200000", "200,000 元", "20万", "20.5万元".
pub fn parse_amount(input: &str) -> Option<i64> {
    // Full-width digits and point come from Chinese input methods.
    let cleaned: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '，' | '元' | '\u{3000}'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            c => c,
        })
        .collect();
    let (number, factor) = match cleaned.strip_suffix('万') {
        Some(n) => (n, 10_000.0),
        None => (cleaned.as_str(), 1.0),
    };
    let value: f64 = number.parse().ok()?;
    let yuan = (value * factor).round();
    (value.is_finite() && (0.0..=1e12).contains(&yuan)).then_some(yuan as i64)
}

/// The labels of a time series' points ("09-03 22:00"), from its start and interval.
pub fn point_labels(start: &str, interval_minutes: u32, n: usize) -> Vec<String> {
    let parsed = (|| {
        let (date, clock) = start.split_once('T')?;
        let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
        let (h, mi) = (c.next()??, c.next()??);
        let date =
            time::Date::from_calendar_date(y, time::Month::try_from(m as u8).ok()?, day as u8)
                .ok()?;
        Some(time::PrimitiveDateTime::new(
            date,
            time::Time::from_hms(h, mi, 0).ok()?,
        ))
    })();
    (0..n)
        .map(|i| match parsed {
            Some(t0) => {
                let t = t0 + time::Duration::minutes(i as i64 * i64::from(interval_minutes));
                if interval_minutes > 0 && interval_minutes.is_multiple_of(1440) {
                    // Daily values: the date says it all.
                    return format!("{:02}-{:02}", u8::from(t.month()), t.day());
                }
                format!(
                    "{:02}-{:02} {:02}:{:02}",
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute()
                )
            }
            None => format!("#{}", i + 1),
        })
        .collect()
}

/// A document as the console shows it. `reveal` adds the known anomalies of a time series (debrief only).
pub fn doc_view(
    s: &Scenario,
    doc: &Document,
    state: &State,
    marks: &[PeriodMark],
    reveal: bool,
) -> DocView {
    let chart = (doc.kind == DocumentKind::Timeseries).then(|| {
        let n = doc.series.iter().map(|x| x.values.len()).max().unwrap_or(0);
        Chart {
            unit: doc.unit.clone().unwrap_or_default(),
            limit: doc.limit,
            labels: point_labels(
                doc.start.as_deref().unwrap_or_default(),
                doc.interval_minutes.unwrap_or(60),
                n,
            ),
            series: doc
                .series
                .iter()
                .map(|x| (x.name.clone(), x.values.clone()))
                .collect(),
            marks: marks
                .iter()
                .filter(|m| m.document == doc.id)
                .map(|m| (m.from.min(m.to), m.from.max(m.to)))
                .collect(),
            anomalies: if reveal {
                doc.anomalies
                    .iter()
                    .map(|a| (a.from, a.to, a.label.clone()))
                    .collect()
            } else {
                Vec::new()
            },
        }
    });
    DocView {
        id: doc.id.clone(),
        title: engine::fill(&doc.title, s, &state.variant),
        html: doc
            .body
            .as_deref()
            .map(|b| markdown::render(&engine::fill(b, s, &state.variant)))
            .unwrap_or_default(),
        chart,
    }
}

/// The documents in the console at the current step: the briefing's, then the step's, each once.
pub fn console(s: &Scenario, state: &State, marks: &[PeriodMark]) -> Vec<DocView> {
    let mut ids: Vec<&String> = Vec::new();
    let step_docs = step_of(s, &state.at).map(|st| st.documents.iter());
    for id in step_docs
        .into_iter()
        .flatten()
        .chain(s.briefing.documents.iter())
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids.into_iter()
        .filter_map(|id| s.document.iter().find(|d| &d.id == id))
        .map(|d| doc_view(s, d, state, marks, false))
        .collect()
}

pub fn evidence(s: &Scenario, state: &State) -> Vec<EvidenceView> {
    s.evidence
        .iter()
        .filter(|e| state.evidence.contains(&e.id))
        .map(|e| EvidenceView {
            title: engine::fill(&e.title, s, &state.variant),
            kind: e.kind.clone(),
        })
        .collect()
}

fn cites(basis: &[Citation], laws: &HashMap<String, Law>) -> Vec<String> {
    basis.iter().map(|c| content_store::cite(c, laws)).collect()
}

fn dims(score: &crate::content::model::Score) -> Vec<(String, u32)> {
    DIMENSIONS
        .iter()
        .filter_map(|d| {
            score
                .get(*d)
                .filter(|n| **n > 0)
                .map(|n| ((*d).to_owned(), *n))
        })
        .collect()
}

/// Practice-mode feedback on the last step taken: only what the trainee did, and for review and multi steps what
/// they missed — the step is behind them.
pub fn feedback(s: &Scenario, state: &State, laws: &HashMap<String, Law>) -> Option<FeedbackView> {
    let taken = state.taken.last()?;
    let step = step_of(s, &taken.step)?;
    let fill = |t: &str| engine::fill(t, s, &state.variant);
    let mut items = Vec::new();
    match &taken.action {
        Action::Choose { choice } => {
            if let Some(c) = step.choice.iter().find(|c| &c.id == choice) {
                items.push(FeedbackItem {
                    verdict: verdict_of(total(&c.score) > 0, c.critical.is_some()),
                    text: fill(&c.text),
                    note: fill(&c.feedback),
                    basis: cites(&c.basis, laws),
                });
            }
        }
        Action::ChooseMany { choices } => {
            for c in &step.choice {
                let picked = choices.contains(&c.id);
                let good = total(&c.score) > 0;
                if picked || good {
                    items.push(FeedbackItem {
                        verdict: if picked {
                            verdict_of(good, c.critical.is_some())
                        } else {
                            "missed".into()
                        },
                        text: fill(&c.text),
                        note: fill(&c.feedback),
                        basis: cites(&c.basis, laws),
                    });
                }
            }
        }
        Action::Mark { marked } => {
            for f in &step.finding {
                items.push(FeedbackItem {
                    verdict: if marked.contains(&f.id) {
                        "good"
                    } else {
                        "missed"
                    }
                    .into(),
                    text: fill(&f.text),
                    note: String::new(),
                    basis: cites(&f.basis, laws),
                });
            }
            for d in step.distractor.iter().filter(|d| marked.contains(&d.id)) {
                items.push(FeedbackItem {
                    verdict: "bad".into(),
                    text: fill(&d.text),
                    note: String::new(),
                    basis: Vec::new(),
                });
            }
        }
        Action::Record { text } => {
            let lower = text.to_lowercase();
            for e in &step.element {
                let hit = e.keywords.iter().any(|k| lower.contains(&k.to_lowercase()));
                items.push(FeedbackItem {
                    verdict: if hit { "good" } else { "missed" }.into(),
                    text: e.label.clone(),
                    note: String::new(),
                    basis: Vec::new(),
                });
            }
        }
        Action::Penalty { amount } => {
            let range = |lo: Option<i64>, hi: Option<i64>| {
                format!(
                    "{}–{}",
                    yuan(lo.unwrap_or_default()),
                    yuan(hi.unwrap_or_default())
                )
            };
            let in_expected = step.expected_min.is_some_and(|lo| *amount >= lo)
                && step.expected_max.is_some_and(|hi| *amount <= hi);
            let in_statute = step.min.is_some_and(|lo| *amount >= lo)
                && step.max.is_some_and(|hi| *amount <= hi);
            items.push(FeedbackItem {
                verdict: if in_expected {
                    "good"
                } else if in_statute {
                    "partial"
                } else {
                    "bad"
                }
                .into(),
                text: yuan(*amount),
                note: format!(
                    "{}|{}",
                    range(step.min, step.max),
                    range(step.expected_min, step.expected_max)
                ),
                basis: cites(&step.basis, laws),
            });
        }
    }
    Some(FeedbackView {
        step_title: step.title.clone(),
        kind: format!("{:?}", step.kind).to_lowercase(),
        items,
        earned: dims(&taken.earned),
        critical: taken.critical.map(|c| format!("{c:?}").to_lowercase()),
    })
}

fn verdict_of(good: bool, critical: bool) -> String {
    if critical {
        "critical"
    } else if good {
        "good"
    } else {
        "bad"
    }
    .into()
}

/// Yuan written with thousands separators: 200,000 元.
pub fn yuan(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}{out} 元", if n < 0 { "-" } else { "" })
}

fn summary(s: &Scenario, state: &State, step: &Step, action: &Action) -> String {
    let fill = |t: &str| engine::fill(t, s, &state.variant);
    let text_of = |id: &str| {
        step.choice
            .iter()
            .find(|c| c.id == id)
            .map(|c| fill(&c.text))
            .unwrap_or_default()
    };
    match action {
        Action::Choose { choice } => text_of(choice),
        Action::ChooseMany { choices } => choices
            .iter()
            .map(|c| text_of(c))
            .collect::<Vec<_>>()
            .join(" ／ "),
        Action::Mark { marked } => marked
            .iter()
            .filter_map(|id| {
                step.finding
                    .iter()
                    .find(|f| &f.id == id)
                    .map(|f| fill(&f.text))
                    .or_else(|| {
                        step.distractor
                            .iter()
                            .find(|d| &d.id == id)
                            .map(|d| fill(&d.text))
                    })
            })
            .collect::<Vec<_>>()
            .join(" ／ "),
        Action::Record { text } => text.clone(),
        Action::Penalty { amount } => yuan(*amount),
    }
}

fn model_summary(s: &Scenario, state: &State, step: &Step, action: &Action) -> String {
    match (step.kind, action) {
        (StepKind::Record, _) => step
            .element
            .iter()
            .map(|e| e.label.clone())
            .collect::<Vec<_>>()
            .join(" ／ "),
        (StepKind::Penalty, _) => format!(
            "{}–{}",
            yuan(step.expected_min.unwrap_or_default()),
            yuan(step.expected_max.unwrap_or_default())
        ),
        _ => summary(s, state, step, action),
    }
}

/// The debrief of a finished attempt: everything may be shown now.
pub fn debrief(
    s: &Scenario,
    state: &State,
    marks: &[PeriodMark],
    laws: &HashMap<String, Law>,
    lessons: Vec<(String, String)>,
    timed_out: bool,
) -> Debrief {
    let model = engine::model_path(s);
    let maxima = engine::dimension_maxima(s);
    let ending = s
        .ending
        .iter()
        .find(|e| e.id == state.at)
        .map(|e| EndingView {
            title: e.title.clone(),
            qualification: engine::fill(&e.qualification, s, &state.variant),
            penalty: engine::fill(&e.penalty, s, &state.variant),
            html: markdown::render(&engine::fill(&e.text, s, &state.variant)),
            basis: cites(&e.basis, laws),
            model: e.model,
        });
    let model_ending = s.ending.iter().find(|e| e.model).map(|e| EndingView {
        title: e.title.clone(),
        qualification: engine::fill(&e.qualification, s, &state.variant),
        penalty: engine::fill(&e.penalty, s, &state.variant),
        html: String::new(),
        basis: cites(&e.basis, laws),
        model: true,
    });
    let critical = state.critical.as_ref().and_then(|(step_id, choice_id)| {
        let step = step_of(s, step_id)?;
        let c = step.choice.iter().find(|c| &c.id == choice_id)?;
        Some(CriticalView {
            step_title: step.title.clone(),
            choice: engine::fill(&c.text, s, &state.variant),
            feedback: engine::fill(&c.feedback, s, &state.variant),
            ends: c.critical == Some(crate::content::model::Critical::End),
        })
    });
    let taken: BTreeMap<&str, &engine::Taken> =
        state.taken.iter().map(|t| (t.step.as_str(), t)).collect();
    let mut path: Vec<PathRow> = Vec::new();
    for t in &state.taken {
        let Some(step) = step_of(s, &t.step) else {
            continue;
        };
        let model_action = model.iter().find(|(id, _)| id == &t.step).map(|(_, a)| a);
        path.push(PathRow {
            step_title: step.title.clone(),
            yours: Some(summary(s, state, step, &t.action)),
            model: model_action.map(|a| model_summary(s, state, step, a)),
            points: Some(total(&t.earned)),
            best: model_action.map(|a| {
                engine::apply(
                    s,
                    &State {
                        at: step.id.clone(),
                        finished: false,
                        ..state.clone()
                    },
                    a,
                )
                .map(|n| total(&n.taken.last().map(|x| x.earned.clone()).unwrap_or_default()))
                .unwrap_or(0)
            }),
        });
    }
    for (id, a) in &model {
        if taken.contains_key(id.as_str()) {
            continue;
        }
        let Some(step) = step_of(s, id) else { continue };
        path.push(PathRow {
            step_title: step.title.clone(),
            yours: None,
            model: Some(model_summary(s, state, step, a)),
            points: None,
            best: None,
        });
    }
    let marks_report = s
        .document
        .iter()
        .filter(|d| !d.anomalies.is_empty())
        .map(|d| {
            let r = engine::mark_report(d, marks);
            MarkView {
                document: doc_view(s, d, state, marks, true),
                found: r.found,
                missed: r.missed,
                false_alarms: r.false_alarms,
            }
        })
        .collect();
    Debrief {
        ending,
        model_ending,
        total: state.total(s),
        max: s.max_score,
        critical,
        dims: DIMENSIONS
            .iter()
            .filter(|d| maxima.get(**d).is_some_and(|m| *m > 0))
            .map(|d| DimView {
                key: (*d).to_owned(),
                mine: state.scores.get(*d).copied().unwrap_or(0),
                max: maxima[*d],
            })
            .collect(),
        path,
        marks: marks_report,
        lessons,
        timed_out,
    }
}

/// The dimensions in which an attempt earned under 60 % of the model path's points.
pub fn weak_dimensions(s: &Scenario, state: &State) -> Vec<String> {
    let maxima = engine::dimension_maxima(s);
    DIMENSIONS
        .iter()
        .filter(|d| {
            let max = maxima.get(**d).copied().unwrap_or(0);
            max > 0 && state.scores.get(**d).copied().unwrap_or(0) * 10 < max * 6
        })
        .map(|d| (*d).to_owned())
        .collect()
}

/// The whole player view of an attempt.
pub fn play_view(
    s: &Scenario,
    attempt: &Attempt,
    state: &State,
    laws: &HashMap<String, Law>,
    industry_name: String,
    debrief: Option<Debrief>,
    now: i64,
) -> PlayView {
    let practice = attempt.mode == crate::server::attempts::Mode::Practice;
    let finished = attempt.status == "finished";
    let can_back =
        !finished && !state.taken.is_empty() && step_of(s, &state.at).is_some_and(|st| st.back);
    PlayView {
        attempt: attempt.id,
        scenario: s.id.clone(),
        title: s.title.clone(),
        industry_name,
        act_date: s.act_date.clone(),
        practice,
        finished,
        step_no: state.taken.len() + 1,
        step: if finished {
            None
        } else {
            step_view(s, state, attempt.seed)
        },
        documents: if finished {
            Vec::new()
        } else {
            console(s, state, &attempt.marks)
        },
        briefing_html: markdown::render(&engine::fill(&s.briefing.text, s, &state.variant)),
        evidence: evidence(s, state),
        feedback: if practice && !finished {
            feedback(s, state, laws)
        } else {
            None
        },
        can_back,
        running_score: (practice || finished).then(|| state.total(s)),
        max_score: s.max_score,
        seconds_left: attempt
            .deadline_at
            .filter(|_| !finished)
            .map(|d| (d - now).max(0)),
        debrief,
        withheld: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_officers_write_them() {
        assert_eq!(parse_amount("200000"), Some(200_000));
        assert_eq!(parse_amount("200,000 元"), Some(200_000));
        assert_eq!(parse_amount("20万"), Some(200_000));
        assert_eq!(parse_amount("20.5万元"), Some(205_000));
        assert_eq!(parse_amount("１０万"), Some(100_000));
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("-5"), None);
        assert_eq!(parse_amount("二十万"), None);
        assert_eq!(yuan(200_000), "200,000 元");
        assert_eq!(yuan(999), "999 元");
        assert_eq!(yuan(1_000_000), "1,000,000 元");
    }

    #[test]
    fn point_labels_follow_the_series_start_and_interval_across_days() {
        let l = point_labels("2026-09-01T22:00", 60, 4);
        assert_eq!(
            l,
            ["09-01 22:00", "09-01 23:00", "09-02 00:00", "09-02 01:00"]
        );
        assert_eq!(point_labels("not a time", 60, 2), ["#1", "#2"]);
        assert_eq!(
            point_labels("2026-10-31T00:00", 1440, 2),
            ["10-31", "11-01"]
        );
    }

    #[test]
    fn option_order_is_a_permutation_fixed_by_seed_and_step_and_varies_between_attempts() {
        let a = order(42, "prepare", 4);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3]);
        assert_eq!(a, order(42, "prepare", 4));
        let firsts: std::collections::BTreeSet<usize> =
            (0..64).map(|seed| order(seed, "prepare", 4)[0]).collect();
        assert_eq!(
            firsts.len(),
            4,
            "over many attempts every option comes first sometimes"
        );
    }
}
