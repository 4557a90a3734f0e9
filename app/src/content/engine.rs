//! The scenario engine: plays a scenario from a seed and a list of actions. Pure and deterministic — the same
//! scenario version, seed and actions always give the same state — so an attempt is stored as its seed and its
//! actions, replays exactly, and "going back" is replaying one action fewer.

use super::model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the trainee does at a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A choice step: one choice.
    Choose { choice: String },
    /// A multi step: several choices.
    ChooseMany { choices: Vec<String> },
    /// A review step: the findings and distractors the trainee marked as wrong.
    Mark { marked: Vec<String> },
    /// A record step: the trainee's 笔录 text.
    Record { text: String },
    /// A penalty step: the amount in yuan.
    Penalty { amount: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the attempt has ended")]
    Finished,
    #[error("this action does not fit the current step")]
    WrongAction,
    #[error("no such choice or mark: {0}")]
    Unknown(String),
    #[error("the scenario is malformed at {0}")]
    Malformed(String),
}

/// One step taken: where, what, and what it earned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Taken {
    pub step: String,
    pub action: Action,
    pub earned: Score,
    pub critical: Option<Critical>,
}

/// Where an attempt stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub variant: BTreeMap<String, String>,
    /// The current step, or the ending reached.
    pub at: String,
    pub finished: bool,
    pub taken: Vec<Taken>,
    pub scores: Score,
    pub evidence: BTreeSet<String>,
    pub flags: BTreeSet<String>,
    /// The first critical error, if any: (step, choice).
    pub critical: Option<(String, String)>,
}

impl State {
    /// The attempt's total: the sum of its dimensions, capped after a critical error.
    pub fn total(&self, s: &Scenario) -> u32 {
        let raw = total(&self.scores);
        if self.critical.is_some() {
            raw.min(s.critical_cap)
        } else {
            raw
        }
    }
}

/// Which option each slot takes for this seed. Slots draw in file order from one ChaCha8 stream, so a seed means
/// the same variant on every machine and in every version of this program.
pub fn variant(s: &Scenario, seed: u64) -> BTreeMap<String, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    s.slot
        .iter()
        .filter(|slot| !slot.option.is_empty())
        .map(|slot| {
            (
                slot.id.clone(),
                slot.option[rng.gen_range(0..slot.option.len())].id.clone(),
            )
        })
        .collect()
}

/// Fills `{{slot.var}}` placeholders with the variant's values.
pub fn fill(text: &str, s: &Scenario, variant: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for slot in &s.slot {
        let Some(option) = variant
            .get(&slot.id)
            .and_then(|id| slot.option.iter().find(|o| &o.id == id))
        else {
            continue;
        };
        for (var, value) in &option.vars {
            out = out.replace(&format!("{{{{{}.{var}}}}}", slot.id), value);
        }
    }
    out
}

pub fn start(s: &Scenario, seed: u64) -> State {
    State {
        variant: variant(s, seed),
        at: s.start.clone(),
        finished: false,
        taken: Vec::new(),
        scores: Score::new(),
        evidence: BTreeSet::new(),
        flags: BTreeSet::new(),
        critical: None,
    }
}

/// Replays a seed and actions from the start.
pub fn replay(s: &Scenario, seed: u64, actions: &[Action]) -> Result<State, EngineError> {
    let mut state = start(s, seed);
    for action in actions {
        state = apply(s, &state, action)?;
    }
    Ok(state)
}

fn add(into: &mut Score, points: &Score) {
    for (dim, n) in points {
        *into.entry(dim.clone()).or_insert(0) += n;
    }
}

fn is_ending(s: &Scenario, id: &str) -> bool {
    s.ending.iter().any(|e| e.id == id)
}

/// Applies one action to a state, giving the next state.
pub fn apply(s: &Scenario, state: &State, action: &Action) -> Result<State, EngineError> {
    if state.finished {
        return Err(EngineError::Finished);
    }
    let step = s
        .step
        .iter()
        .find(|st| st.id == state.at)
        .ok_or_else(|| EngineError::Malformed(state.at.clone()))?;
    let mut next = state.clone();
    let mut earned = Score::new();
    let mut critical = None;
    let to: String = match (step.kind, action) {
        (StepKind::Choice, Action::Choose { choice }) => {
            let c = step
                .choice
                .iter()
                .find(|c| &c.id == choice)
                .ok_or_else(|| EngineError::Unknown(choice.clone()))?;
            add(&mut earned, &c.score);
            next.evidence.extend(c.evidence.iter().cloned());
            next.flags.extend(c.flags.iter().cloned());
            critical = c.critical;
            if c.critical.is_some() && next.critical.is_none() {
                next.critical = Some((step.id.clone(), c.id.clone()));
            }
            c.next
                .clone()
                .ok_or_else(|| EngineError::Malformed(step.id.clone()))?
        }
        (StepKind::Multi, Action::ChooseMany { choices }) => {
            let picked: BTreeSet<&String> = choices.iter().collect();
            for id in &picked {
                let c = step
                    .choice
                    .iter()
                    .find(|c| &&c.id == id)
                    .ok_or_else(|| EngineError::Unknown((*id).clone()))?;
                add(&mut earned, &c.score);
                next.evidence.extend(c.evidence.iter().cloned());
                next.flags.extend(c.flags.iter().cloned());
                if c.critical.is_some() {
                    critical = critical.or(c.critical);
                    if next.critical.is_none() {
                        next.critical = Some((step.id.clone(), c.id.clone()));
                    }
                }
            }
            step.next
                .clone()
                .ok_or_else(|| EngineError::Malformed(step.id.clone()))?
        }
        (StepKind::Review, Action::Mark { marked }) => {
            let marked: BTreeSet<&String> = marked.iter().collect();
            let mut penalty = Score::new();
            for id in &marked {
                if let Some(f) = step.finding.iter().find(|f| &&f.id == id) {
                    add(&mut earned, &f.score);
                } else if let Some(d) = step.distractor.iter().find(|d| &&d.id == id) {
                    add(&mut penalty, &d.penalty);
                } else {
                    return Err(EngineError::Unknown((*id).clone()));
                }
            }
            // Marking what is not wrong costs points, never below zero in a dimension.
            for (dim, n) in penalty {
                let e = earned.entry(dim).or_insert(0);
                *e = e.saturating_sub(n);
            }
            step.next
                .clone()
                .ok_or_else(|| EngineError::Malformed(step.id.clone()))?
        }
        (StepKind::Record, Action::Record { text }) => {
            let lower = text.to_lowercase();
            for e in &step.element {
                if e.keywords.iter().any(|k| lower.contains(&k.to_lowercase())) {
                    *earned.entry(e.dimension.clone()).or_insert(0) += e.score;
                }
            }
            step.next
                .clone()
                .ok_or_else(|| EngineError::Malformed(step.id.clone()))?
        }
        (StepKind::Penalty, Action::Penalty { amount }) => {
            let full = step.score.unwrap_or(0);
            let in_expected = step.expected_min.is_some_and(|lo| *amount >= lo)
                && step.expected_max.is_some_and(|hi| *amount <= hi);
            let in_statute = step.min.is_some_and(|lo| *amount >= lo)
                && step.max.is_some_and(|hi| *amount <= hi);
            let points = if in_expected {
                full
            } else if in_statute {
                full / 2
            } else {
                0
            };
            if let Some(dim) = &step.dimension
                && points > 0
            {
                earned.insert(dim.clone(), points);
            }
            step.next
                .clone()
                .ok_or_else(|| EngineError::Malformed(step.id.clone()))?
        }
        _ => return Err(EngineError::WrongAction),
    };
    add(&mut next.scores, &earned);
    next.taken.push(Taken {
        step: step.id.clone(),
        action: action.clone(),
        earned,
        critical,
    });
    next.finished = is_ending(s, &to);
    next.at = to;
    Ok(next)
}

/// The actions that can be taken at the current step, for exploring every path in tests and for a model answer.
pub fn options(s: &Scenario, state: &State) -> Vec<Action> {
    let Some(step) = s.step.iter().find(|st| st.id == state.at) else {
        return Vec::new();
    };
    match step.kind {
        StepKind::Choice => step
            .choice
            .iter()
            .map(|c| Action::Choose {
                choice: c.id.clone(),
            })
            .collect(),
        StepKind::Multi => {
            let all: Vec<String> = step.choice.iter().map(|c| c.id.clone()).collect();
            let good: Vec<String> = step
                .choice
                .iter()
                .filter(|c| total(&c.score) > 0)
                .map(|c| c.id.clone())
                .collect();
            vec![
                Action::ChooseMany { choices: good },
                Action::ChooseMany { choices: all },
                Action::ChooseMany { choices: vec![] },
            ]
        }
        StepKind::Review => {
            let findings: Vec<String> = step.finding.iter().map(|f| f.id.clone()).collect();
            let mut everything = findings.clone();
            everything.extend(step.distractor.iter().map(|d| d.id.clone()));
            vec![
                Action::Mark { marked: findings },
                Action::Mark { marked: everything },
                Action::Mark { marked: vec![] },
            ]
        }
        StepKind::Record => {
            let all: Vec<String> = step
                .element
                .iter()
                .filter_map(|e| e.keywords.first().cloned())
                .collect();
            vec![
                Action::Record {
                    text: all.join("；"),
                },
                Action::Record {
                    text: String::new(),
                },
            ]
        }
        StepKind::Penalty => {
            let mid = (step.expected_min.unwrap_or(0) + step.expected_max.unwrap_or(0)) / 2;
            vec![
                Action::Penalty { amount: mid },
                Action::Penalty {
                    amount: step.min.unwrap_or(0),
                },
                Action::Penalty { amount: -1 },
            ]
        }
    }
}

/// The model path: from the start, the actions that reach the best total without a critical error. Transitions and
/// points never depend on what came before, so the best continuation from a step depends only on the step, and one
/// pass over the graph (memoised by step) finds it.
pub fn model_path(s: &Scenario) -> Vec<(String, Action)> {
    fn best(
        s: &Scenario,
        at: &str,
        memo: &mut BTreeMap<String, Option<(u32, Option<Action>)>>,
    ) -> Option<u32> {
        if is_ending(s, at) {
            return Some(0);
        }
        if let Some(known) = memo.get(at) {
            return known.as_ref().map(|(n, _)| *n);
        }
        memo.insert(at.to_owned(), None); // a cycle (the checker forbids them) counts as no path
        let probe = State {
            variant: BTreeMap::new(),
            at: at.to_owned(),
            finished: false,
            taken: Vec::new(),
            scores: Score::new(),
            evidence: BTreeSet::new(),
            flags: BTreeSet::new(),
            critical: None,
        };
        let mut found: Option<(u32, Option<Action>)> = None;
        for action in options(s, &probe) {
            let Ok(next) = apply(s, &probe, &action) else {
                continue;
            };
            if next.critical.is_some() {
                continue;
            }
            let Some(rest) = best(s, &next.at, memo) else {
                continue;
            };
            let here = total(&next.scores) + rest;
            if found.as_ref().is_none_or(|(n, _)| here > *n) {
                found = Some((here, Some(action)));
            }
        }
        memo.insert(at.to_owned(), found.clone());
        found.map(|(n, _)| n)
    }
    let mut memo = BTreeMap::new();
    best(s, &s.start, &mut memo);
    let mut path = Vec::new();
    let mut at = s.start.clone();
    while let Some(Some((_, Some(action)))) = memo.get(&at) {
        path.push((at.clone(), action.clone()));
        let probe = start(s, 0);
        let probe = State {
            at: at.clone(),
            ..probe
        };
        match apply(s, &probe, action) {
            Ok(next) => at = next.at,
            Err(_) => break,
        }
    }
    path
}

/// The points per dimension the model path earns: the full mark of each dimension, for the debrief's radar.
pub fn dimension_maxima(s: &Scenario) -> Score {
    let actions: Vec<Action> = model_path(s).into_iter().map(|(_, a)| a).collect();
    replay(s, 0, &actions)
        .map(|st| st.scores)
        .unwrap_or_default()
}

/// A period of a time series the trainee marked as anomalous, as indices of its first and last points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodMark {
    pub document: String,
    pub from: usize,
    pub to: usize,
}

/// How the periods marked on one time series compare with its known anomalies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkReport {
    /// Known anomalies that at least one mark overlaps.
    pub found: usize,
    /// Known anomalies no mark overlaps.
    pub missed: usize,
    /// Marks that overlap no known anomaly.
    pub false_alarms: usize,
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

pub fn mark_report(doc: &Document, marks: &[PeriodMark]) -> MarkReport {
    let mine: Vec<(usize, usize)> = marks
        .iter()
        .filter(|m| m.document == doc.id)
        .map(|m| (m.from.min(m.to), m.from.max(m.to)))
        .collect();
    let found = doc
        .anomalies
        .iter()
        .filter(|a| mine.iter().any(|m| overlaps(*m, (a.from, a.to))))
        .count();
    MarkReport {
        found,
        missed: doc.anomalies.len() - found,
        false_alarms: mine
            .iter()
            .filter(|m| !doc.anomalies.iter().any(|a| overlaps(**m, (a.from, a.to))))
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The shipped scenarios, read once per test run, in file-name order.
    fn shipped() -> Vec<Scenario> {
        static ALL: std::sync::OnceLock<Vec<Scenario>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/scenarios");
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files
                .iter()
                .map(|f| {
                    toml::from_str(&std::fs::read_to_string(f).unwrap())
                        .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                })
                .collect()
        })
        .clone()
    }

    /// Checks every path (with a bounded set of actions per step) without enumerating them: transitions and points
    /// never depend on the history, so the best total from a step depends only on the step. A depth-first visit
    /// proves that no path revisits a step (every path ends), that every action at every reachable step applies,
    /// and computes the best total, which must stay within `max_score`.
    fn best_total(
        s: &Scenario,
        at: &str,
        on_path: &mut Vec<String>,
        memo: &mut BTreeMap<String, u32>,
    ) -> u32 {
        if is_ending(s, at) {
            return 0;
        }
        if let Some(known) = memo.get(at) {
            return *known;
        }
        assert!(
            !on_path.iter().any(|x| x == at),
            "{}: a path revisits {at}",
            s.id
        );
        on_path.push(at.to_owned());
        let probe = State {
            at: at.to_owned(),
            ..start(s, 7)
        };
        let options = options(s, &probe);
        assert!(!options.is_empty(), "{}: stuck at {at}", s.id);
        let mut best = 0;
        for action in options {
            let next =
                apply(s, &probe, &action).unwrap_or_else(|e| panic!("{}: {e} at {at}", s.id));
            best = best.max(total(&next.scores) + best_total(s, &next.at, on_path, memo));
        }
        on_path.pop();
        memo.insert(at.to_owned(), best);
        best
    }

    #[test]
    fn every_path_through_every_shipped_scenario_ends_within_its_bounds() {
        for s in shipped() {
            let best = best_total(&s, &s.start, &mut Vec::new(), &mut BTreeMap::new());
            assert!(
                best <= s.max_score,
                "{}: a path scores {best} > {}",
                s.id,
                s.max_score
            );
            assert!(s.critical_cap <= s.max_score);
        }
    }

    #[test]
    fn random_walks_end_and_a_critical_error_caps_the_total() {
        use rand::Rng as _;
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for s in shipped() {
            for _ in 0..200 {
                let mut state = start(&s, rng.r#gen());
                let mut n = 0;
                while !state.finished {
                    let options = options(&s, &state);
                    let pick = options[rng.gen_range(0..options.len())].clone();
                    state = apply(&s, &state, &pick).unwrap();
                    n += 1;
                    assert!(n <= s.step.len(), "{}: a walk revisits a step", s.id);
                }
                assert!(state.total(&s) <= s.max_score);
                if state.critical.is_some() {
                    assert!(state.total(&s) <= s.critical_cap);
                }
            }
        }
    }

    proptest! {
        // Each case plays one shipped scenario, chosen by the case, so the time stays flat as content grows.
        #[test]
        fn the_same_seed_and_actions_replay_the_same_attempt(which in any::<usize>(), seed in any::<u64>(), picks in proptest::collection::vec(0usize..4, 0..30)) {
            let all = shipped();
            let s = &all[which % all.len()];
            let mut state = start(s, seed);
            let mut actions = Vec::new();
            for pick in &picks {
                if state.finished { break; }
                let options = options(s, &state);
                let action = options[pick % options.len()].clone();
                state = apply(s, &state, &action).unwrap();
                actions.push(action);
            }
            let again = replay(s, seed, &actions).unwrap();
            prop_assert_eq!(&again, &state);
            prop_assert_eq!(variant(s, seed), state.variant.clone());
        }

        #[test]
        fn different_seeds_reach_every_variant(which in any::<usize>(), base in any::<u64>()) {
            let all = shipped();
            let s = &all[which % all.len()];
            for slot in &s.slot {
                let drawn: BTreeSet<String> = (0..64u64).map(|i| variant(s, base.wrapping_add(i))[&slot.id].clone()).collect();
                prop_assert_eq!(drawn.len(), slot.option.len());
            }
        }
    }

    #[test]
    fn the_model_path_scores_full_marks_and_ends_at_the_model_ending() {
        for s in shipped() {
            let path = model_path(&s);
            let actions: Vec<Action> = path.iter().map(|(_, a)| a.clone()).collect();
            let state = replay(&s, 11, &actions).unwrap();
            assert!(state.finished, "{}", s.id);
            assert!(state.critical.is_none());
            assert_eq!(state.total(&s), s.max_score, "{}", s.id);
            assert!(s.ending.iter().any(|e| e.id == state.at && e.model));
            let maxima = dimension_maxima(&s);
            assert_eq!(maxima.values().sum::<u32>(), s.max_score);
        }
    }

    #[test]
    fn period_marks_are_compared_with_the_known_anomalies() {
        let all = shipped();
        let s = all.iter().find(|s| s.id == "thermal-cems-tamper").unwrap();
        let doc = s.document.iter().find(|d| !d.anomalies.is_empty()).unwrap();
        let n = doc.anomalies.len();
        let none = mark_report(doc, &[]);
        assert_eq!((none.found, none.missed, none.false_alarms), (0, n, 0));
        let first = &doc.anomalies[0];
        let marks = vec![
            PeriodMark {
                document: doc.id.clone(),
                from: first.to,
                to: first.from,
            },
            PeriodMark {
                document: doc.id.clone(),
                from: 0,
                to: 0,
            },
            PeriodMark {
                document: "elsewhere".into(),
                from: 0,
                to: 1000,
            },
        ];
        let r = mark_report(doc, &marks);
        assert_eq!((r.found, r.missed, r.false_alarms), (1, n - 1, 1));
    }

    #[test]
    fn an_action_that_does_not_fit_the_step_is_refused() {
        let all = shipped();
        let s = all.iter().find(|s| s.id == "thermal-cems-tamper").unwrap();
        let state = start(s, 3);
        assert_eq!(
            apply(s, &state, &Action::Penalty { amount: 1 }),
            Err(EngineError::WrongAction)
        );
        assert!(matches!(
            apply(
                s,
                &state,
                &Action::Choose {
                    choice: "zz".into()
                }
            ),
            Err(EngineError::Unknown(_))
        ));
    }
}
