//! Structural rules for one scenario: its references, its step graph and its score bounds. Pure; the scenario
//! engine relies on every rule here holding.

use super::model::*;
use std::collections::{BTreeSet, HashMap};

/// Where a step or ending id leads.
enum Node<'a> {
    Step(&'a Step),
    Ending,
}

/// Points a step awards on its best play, not counting what follows.
fn fixed_points(step: &Step) -> u32 {
    match step.kind {
        StepKind::Choice => 0,
        StepKind::Multi => step.choice.iter().map(|c| total(&c.score)).sum(),
        StepKind::Review => step.finding.iter().map(|f| total(&f.score)).sum(),
        StepKind::Record => step.element.iter().map(|e| e.score).sum(),
        StepKind::Penalty => step.score.unwrap_or(0),
    }
}

/// The ids a step may lead to.
fn successors(step: &Step) -> Vec<&str> {
    match step.kind {
        StepKind::Choice => step
            .choice
            .iter()
            .filter_map(|c| c.next.as_deref())
            .collect(),
        _ => step.next.as_deref().into_iter().collect(),
    }
}

/// Checks a scenario; calls `err` with each problem.
pub fn check_scenario(s: &Scenario, err: &mut dyn FnMut(String)) {
    let mut nodes: HashMap<&str, Node> = HashMap::new();
    for step in &s.step {
        if nodes.insert(step.id.as_str(), Node::Step(step)).is_some() {
            err(format!("step id {:?} is used twice", step.id));
        }
    }
    for ending in &s.ending {
        if nodes.insert(ending.id.as_str(), Node::Ending).is_some() {
            err(format!(
                "ending id {:?} is used twice or is also a step id",
                ending.id
            ));
        }
    }
    let documents: BTreeSet<&str> = s.document.iter().map(|d| d.id.as_str()).collect();
    let evidence: BTreeSet<&str> = s.evidence.iter().map(|e| e.id.as_str()).collect();
    if documents.len() != s.document.len() {
        err("document ids must be unique".into());
    }
    if evidence.len() != s.evidence.len() {
        err("evidence ids must be unique".into());
    }
    for e in &s.evidence {
        if !EVIDENCE_KINDS.contains(&e.kind.as_str()) {
            err(format!(
                "evidence {} has kind {:?}; use one of {}",
                e.id,
                e.kind,
                EVIDENCE_KINDS.join(" ")
            ));
        }
    }
    if s.max_score == 0 || s.critical_cap >= s.max_score {
        err("max_score must be positive and critical_cap below it".into());
    }
    if !(1..=5).contains(&s.difficulty) {
        err("difficulty must be 1–5".into());
    }
    for d in &s.briefing.documents {
        if !documents.contains(d.as_str()) {
            err(format!(
                "briefing shows document {d:?}, which does not exist"
            ));
        }
    }
    check_documents(s, err);
    check_slots(s, err);

    let models = s.ending.iter().filter(|e| e.model).count();
    if models != 1 {
        err(format!(
            "exactly one ending must be the model ending (model = true); found {models}"
        ));
    }
    for e in &s.ending {
        if e.basis.is_empty() {
            err(format!("ending {} has no legal basis", e.id));
        }
    }

    for step in &s.step {
        let at = format!("step {}", step.id);
        for d in &step.documents {
            if !documents.contains(d.as_str()) {
                err(format!("{at} shows document {d:?}, which does not exist"));
            }
        }
        match step.kind {
            StepKind::Choice => {
                if step.choice.len() < 2 {
                    err(format!("{at}: a choice step offers at least two choices"));
                }
                if step.next.is_some() {
                    err(format!(
                        "{at}: a choice step leads on through its choices' `next`, not its own"
                    ));
                }
            }
            StepKind::Multi => {
                if step.choice.len() < 2 {
                    err(format!("{at}: a multi step offers at least two choices"));
                }
            }
            StepKind::Review => {
                if step.finding.is_empty() {
                    err(format!("{at}: a review step has findings to mark"));
                }
                for f in &step.finding {
                    if !step.documents.contains(&f.document) {
                        err(format!(
                            "{at}: finding {} is in document {:?}, which the step does not show",
                            f.id, f.document
                        ));
                    }
                    if f.basis.is_empty() {
                        err(format!("{at}: finding {} has no legal basis", f.id));
                    }
                    check_dimensions(&f.score, &format!("{at} finding {}", f.id), err);
                }
                for d in &step.distractor {
                    if !step.documents.contains(&d.document) {
                        err(format!(
                            "{at}: distractor {} is in document {:?}, which the step does not show",
                            d.id, d.document
                        ));
                    }
                }
            }
            StepKind::Record => {
                if step.element.is_empty() {
                    err(format!("{at}: a record step lists the elements it grades"));
                }
                for e in &step.element {
                    if e.keywords.is_empty() {
                        err(format!("{at}: element {} has no keywords", e.id));
                    }
                    if !DIMENSIONS.contains(&e.dimension.as_str()) {
                        err(format!(
                            "{at}: element {} scores unknown dimension {:?}",
                            e.id, e.dimension
                        ));
                    }
                }
            }
            StepKind::Penalty => {
                let (Some(min), Some(max), Some(lo), Some(hi)) =
                    (step.min, step.max, step.expected_min, step.expected_max)
                else {
                    err(format!(
                        "{at}: a penalty step sets min, max, expected_min and expected_max"
                    ));
                    continue;
                };
                if !(0 <= min && min <= lo && lo <= hi && hi <= max) {
                    err(format!(
                        "{at}: amounts must satisfy 0 ≤ min ≤ expected_min ≤ expected_max ≤ max"
                    ));
                }
                if step.basis.is_empty() {
                    err(format!(
                        "{at}: a penalty step cites the article that sets the range"
                    ));
                }
                if !step
                    .dimension
                    .as_deref()
                    .is_some_and(|d| DIMENSIONS.contains(&d))
                {
                    err(format!(
                        "{at}: a penalty step names the dimension it scores"
                    ));
                }
            }
        }
        if step.kind != StepKind::Choice && step.next.is_none() {
            err(format!("{at}: this kind of step needs `next`"));
        }
        let mut choice_ids = BTreeSet::new();
        for ch in &step.choice {
            let cat = format!("{at} choice {}", ch.id);
            if !choice_ids.insert(ch.id.as_str()) {
                err(format!("{cat}: choice ids must be unique within a step"));
            }
            check_dimensions(&ch.score, &cat, err);
            if (total(&ch.score) > 0 || ch.critical.is_some()) && ch.basis.is_empty() {
                err(format!(
                    "{cat} scores or is critical, so it must cite its legal basis"
                ));
            }
            for e in &ch.evidence {
                if !evidence.contains(e.as_str()) {
                    err(format!("{cat} grants evidence {e:?}, which does not exist"));
                }
            }
            match (step.kind, &ch.next) {
                (StepKind::Choice, None) => err(format!("{cat} has no `next`")),
                (StepKind::Multi, Some(_)) => err(format!(
                    "{cat}: choices of a multi step share the step's `next`"
                )),
                _ => {}
            }
            if ch.critical == Some(Critical::End)
                && !ch
                    .next
                    .as_deref()
                    .and_then(|n| nodes.get(n))
                    .is_some_and(|n| matches!(n, Node::Ending))
            {
                err(format!(
                    "{cat} ends the attempt, so its `next` must be an ending"
                ));
            }
        }
        for next in successors(step) {
            if !nodes.contains_key(next) {
                err(format!(
                    "{at} leads to {next:?}, which is neither a step nor an ending"
                ));
            }
        }
    }
    if !nodes.contains_key(s.start.as_str()) {
        err(format!("start {:?} is not a step", s.start));
        return;
    }

    // Reachability and cycles, by depth-first search from the start.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut best: HashMap<&str, u32> = HashMap::new();
    let mut cyclic = false;
    fn visit<'a>(
        id: &'a str,
        nodes: &HashMap<&'a str, Node<'a>>,
        marks: &mut HashMap<&'a str, Mark>,
        best: &mut HashMap<&'a str, u32>,
        cyclic: &mut bool,
        err: &mut dyn FnMut(String),
    ) -> u32 {
        match marks.get(id) {
            Some(Mark::Done) => return best.get(id).copied().unwrap_or(0),
            Some(Mark::Active) => {
                if !*cyclic {
                    err(format!(
                        "the steps form a cycle through {id:?}: every path must reach an ending"
                    ));
                }
                *cyclic = true;
                return 0;
            }
            None => {}
        }
        marks.insert(id, Mark::Active);
        let value = match nodes.get(id) {
            Some(Node::Step(step)) => {
                let onward = match step.kind {
                    StepKind::Choice => step
                        .choice
                        .iter()
                        .filter_map(|c| {
                            c.next.as_deref().map(|n| {
                                total(&c.score) + visit(n, nodes, marks, best, cyclic, err)
                            })
                        })
                        .max()
                        .unwrap_or(0),
                    _ => step
                        .next
                        .as_deref()
                        .map(|n| visit(n, nodes, marks, best, cyclic, err))
                        .unwrap_or(0),
                };
                fixed_points(step) + onward
            }
            _ => 0,
        };
        marks.insert(id, Mark::Done);
        best.insert(id, value);
        value
    }
    let top = visit(&s.start, &nodes, &mut marks, &mut best, &mut cyclic, err);
    for step in &s.step {
        if !marks.contains_key(step.id.as_str()) {
            err(format!("step {} cannot be reached from the start", step.id));
        }
    }
    for ending in &s.ending {
        if !marks.contains_key(ending.id.as_str()) {
            err(format!(
                "ending {} cannot be reached from the start",
                ending.id
            ));
        }
    }
    if cyclic {
        return;
    }
    if top != s.max_score {
        err(format!(
            "the best path scores {top}, but max_score is {}: the best path must score exactly max_score",
            s.max_score
        ));
    }
    // The best path must be the model path.
    let mut at = s.start.as_str();
    let mut guard = 0;
    while let Some(Node::Step(step)) = nodes.get(at) {
        guard += 1;
        if guard > 10_000 {
            break;
        }
        let next = match step.kind {
            StepKind::Choice => step
                .choice
                .iter()
                .filter(|c| c.critical.is_none())
                .filter_map(|c| {
                    c.next
                        .as_deref()
                        .map(|n| (total(&c.score) + best.get(n).copied().unwrap_or(0), n))
                })
                .max_by_key(|(v, _)| *v)
                .map(|(_, n)| n),
            _ => step.next.as_deref(),
        };
        let Some(next) = next else { break };
        at = next;
    }
    if let Some(model) = s.ending.iter().find(|e| e.model)
        && at != model.id
    {
        err(format!(
            "the best-scoring path ends at {at:?}, not at the model ending {:?}",
            model.id
        ));
    }
}

fn check_dimensions(score: &Score, at: &str, err: &mut dyn FnMut(String)) {
    for dim in score.keys() {
        if !DIMENSIONS.contains(&dim.as_str()) {
            err(format!(
                "{at} scores unknown dimension {dim:?}; use {}",
                DIMENSIONS.join(", ")
            ));
        }
    }
}

fn check_documents(s: &Scenario, err: &mut dyn FnMut(String)) {
    for d in &s.document {
        match d.kind {
            DocumentKind::Timeseries => {
                let len = d.series.first().map(|x| x.values.len()).unwrap_or(0);
                if d.series.is_empty() || len == 0 {
                    err(format!(
                        "document {}: a time series needs at least one series of values",
                        d.id
                    ));
                }
                if d.series.iter().any(|x| x.values.len() != len) {
                    err(format!(
                        "document {}: all series must have the same number of values",
                        d.id
                    ));
                }
                if d.interval_minutes.is_none() || d.start.is_none() || d.unit.is_none() {
                    err(format!(
                        "document {}: a time series sets unit, start and interval_minutes",
                        d.id
                    ));
                }
                for a in &d.anomalies {
                    if a.from > a.to || a.to >= len {
                        err(format!(
                            "document {}: anomaly {:?} lies outside the series (0–{})",
                            d.id,
                            a.label,
                            len.saturating_sub(1)
                        ));
                    }
                }
            }
            DocumentKind::Text | DocumentKind::Table => {
                if d.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
                    err(format!(
                        "document {}: a {} document has a Markdown body",
                        d.id,
                        if d.kind == DocumentKind::Text {
                            "text"
                        } else {
                            "table"
                        }
                    ));
                }
            }
        }
    }
}

/// Every slot option defines the same variables, and every `{{slot.var}}` in the text names one.
fn check_slots(s: &Scenario, err: &mut dyn FnMut(String)) {
    let mut vars: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for slot in &s.slot {
        if slot.option.len() < 2 {
            err(format!("slot {} offers at least two options", slot.id));
        }
        let first: BTreeSet<&str> = slot
            .option
            .first()
            .map(|o| o.vars.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for o in &slot.option {
            let these: BTreeSet<&str> = o.vars.keys().map(String::as_str).collect();
            if these != first {
                err(format!(
                    "slot {}: option {} defines different variables from the first option",
                    slot.id, o.id
                ));
            }
        }
        vars.insert(slot.id.as_str(), first);
    }
    let text = serde_json::to_string(s).unwrap_or_default();
    let mut rest = text.as_str();
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim();
        let ok = name
            .split_once('.')
            .is_some_and(|(slot, var)| vars.get(slot).is_some_and(|v| v.contains(var)));
        if !ok {
            err(format!("placeholder {{{{{name}}}}} names no slot variable"));
        }
        rest = &after[close + 2..];
    }
}
