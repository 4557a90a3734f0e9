//! The content checker (one broken fixture per rule, each must fire at the right place), the shipped content
//! passing it, and the versioned import on both databases.

use app::content::check::{Diagnostic, check_dir};
use app::server::content_store;
use lianbing_tests::{Db, TestApp, copy_tree, on_both};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh copy of the minimal valid fixture, with the shipped laws and industries.
fn fixture() -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    copy_tree(&repo().join("tests/fixtures/content"), dir.path());
    for f in ["laws.toml", "industries.toml", "fines.toml"] {
        std::fs::copy(repo().join("content").join(f), dir.path().join(f)).unwrap();
    }
    dir
}

mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            use rand::Rng;
            let n: u64 = rand::thread_rng().r#gen();
            let path = std::env::temp_dir()
                .join(format!("lianbing-content-{n:016x}"))
                .join("content");
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            if let Some(parent) = self.0.parent() {
                let _ = std::fs::remove_dir_all(parent);
            }
        }
    }
}

/// Replaces `from` by `to` in one fixture file (which must contain it) and returns the checker's findings.
fn broken(file: &str, from: &str, to: &str) -> Vec<Diagnostic> {
    let dir = fixture();
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "fixture {file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    check_dir(dir.path()).1
}

#[track_caller]
fn fires(diags: &[Diagnostic], file: &str, line: Option<usize>, needle: &str) {
    let found = diags.iter().any(|d| {
        d.file == format!("content/{file}")
            && line.is_none_or(|l| d.line == l)
            && d.message.contains(needle)
    });
    assert!(
        found,
        "expected {file}:{line:?} {needle:?}, got:\n{}",
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_fine_outside_the_range_of_the_cited_article_is_refused() {
    // 法典第1108条 is 10–100万元: 5万元 and 120万元 are out, in the case's fine and in its summary.
    let d = broken(
        "cases/case-mini.md",
        "fine_yuan = 500000",
        "fine_yuan = 50000",
    );
    fires(
        &d,
        "cases/case-mini.md",
        Some(1),
        "the fine 5万元 is outside the range",
    );
    let d = broken(
        "cases/case-mini.md",
        "penalty = \"罚款50万元\"",
        "penalty = \"罚款120万元\"",
    );
    fires(&d, "cases/case-mini.md", Some(1), "120万元");
    // A penalty step whose statutory range is wider than the cited article's.
    let d = broken(
        "scenarios/mini-scenario.toml",
        "[[ending]]",
        "[[step]]\nid = \"fine\"\nkind = \"penalty\"\ntitle = \"罚款\"\nprompt = \"多少？\"\nnext = \"end-good\"\nbasis = [{ law = \"code\", article = \"1108\" }]\nmin = 50000\nmax = 1000000\nexpected_min = 100000\nexpected_max = 200000\nscore = 0\ndimension = \"law\"\n\n[[ending]]",
    );
    fires(
        &d,
        "scenarios/mini-scenario.toml",
        Some(1),
        "step fine: the statutory range 5万元–100万元 is not within",
    );
}

#[test]
fn a_question_that_nearly_repeats_another_is_flagged_at_both() {
    // A copy of the first question under another id, its stem reworded only slightly.
    let copy = "[[question]]\nid = \"q-two-officers-again\"\nkind = \"judge\"\nperiod = \"general\"\ntopic = \"procedure\"\ndifficulty = 1\nindustries = []\nstem = \"情况紧急时，一名执法人员可以单独当场实施查封吗？\"\nanswer = [\"F\"]\nexplanation = \"须两人。\"\nbasis = [{ law = \"coercion_law\", article = \"18\" }]\n\n[[question]]\nid = \"q-hearing-days\"";
    let d = broken(
        "questions/basic.toml",
        "[[question]]\nid = \"q-hearing-days\"",
        copy,
    );
    let same: Vec<&Diagnostic> = d
        .iter()
        .filter(|x| x.message.contains("nearly repeats"))
        .collect();
    assert_eq!(same.len(), 2, "{d:?}");
}

#[test]
fn the_minimal_fixture_passes() {
    let dir = fixture();
    let (set, diags) = check_dir(dir.path());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        set.summary(),
        "content: industries=15 courses=1 lessons=1 scenarios=1 questions=2 cases=1 rubrics=1 templates=1 casefiles=1"
    );
}

#[test]
fn the_shipped_content_passes_the_checker() {
    let (set, diags) = check_dir(&repo().join("content"));
    assert!(
        diags.is_empty(),
        "{}",
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(set.industries.len(), 15);
    assert!(!set.scenarios.is_empty() && set.courses.len() >= 2 && set.lessons.len() >= 6);
    assert!(set.questions.len() >= 60 && set.cases.len() >= 5);
}

/// The content at full scale: three scenarios per industry with acts on both sides of the Code's start, the bank's
/// quotas by industry and topic, eight courses of forty lessons, twenty cases, and fine ranges to check against.
#[test]
fn the_shipped_content_is_at_full_scale() {
    use app::content::model::Topic;
    let (set, _) = check_dir(&repo().join("content"));
    let code_starts = "2026-08-15";
    for industry in app::content::check::INDUSTRY_IDS {
        let dates: Vec<&str> = set
            .scenarios
            .iter()
            .filter(|(_, s)| s.industry == industry)
            .map(|(_, s)| s.act_date.as_str())
            .collect();
        assert!(dates.len() >= 3, "{industry}: {} scenarios", dates.len());
        assert!(
            dates.iter().any(|d| *d < code_starts) && dates.iter().any(|d| *d >= code_starts),
            "{industry}: acts only on one side of {code_starts}: {dates:?}"
        );
        let questions = set
            .questions
            .iter()
            .filter(|(_, q)| q.industries.iter().any(|i| i == industry))
            .count();
        assert!(questions >= 20, "{industry}: {questions} questions");
    }
    assert!(set.scenarios.len() >= 45);
    let topic = |ts: &[Topic]| {
        set.questions
            .iter()
            .filter(|(_, q)| ts.contains(&q.topic))
            .count()
    };
    assert!(
        set.questions.len() >= 600,
        "{} questions",
        set.questions.len()
    );
    assert!(topic(&[Topic::Procedure, Topic::Evidence]) >= 120);
    assert!(topic(&[Topic::Law, Topic::Penalty]) >= 150);
    assert!(
        topic(&[Topic::Monitoring]) >= 60,
        "{} monitoring questions",
        topic(&[Topic::Monitoring])
    );
    assert!(topic(&[Topic::Case]) >= 40);
    assert!(
        set.courses.len() >= 8 && set.lessons.len() >= 40,
        "{} courses, {} lessons",
        set.courses.len(),
        set.lessons.len()
    );
    assert!(set.cases.len() >= 20);
    assert!(
        set.fines.len() >= 20,
        "fine ranges are data the checker uses"
    );
}

#[test]
fn a_toml_syntax_error_is_reported_at_its_line() {
    fires(
        &broken("questions/basic.toml", "difficulty = 2", "difficulty = = 2"),
        "questions/basic.toml",
        Some(18),
        "invalid",
    );
}

#[test]
fn an_unknown_field_is_a_schema_error() {
    fires(
        &broken(
            "questions/basic.toml",
            "difficulty = 1",
            "difficulty = 1\ncolour = \"red\"",
        ),
        "questions/basic.toml",
        None,
        "unknown field",
    );
}

#[test]
fn duplicate_ids_are_refused_with_the_first_place() {
    let d = broken(
        "questions/basic.toml",
        "id = \"q-hearing-days\"",
        "id = \"q-two-officers\"",
    );
    fires(
        &d,
        "questions/basic.toml",
        Some(13),
        "duplicate question id \"q-two-officers\" (first at content/questions/basic.toml:1)",
    );
}

#[test]
fn ids_must_be_well_formed() {
    fires(
        &broken(
            "questions/basic.toml",
            "id = \"q-hearing-days\"",
            "id = \"Q Hearing\"",
        ),
        "questions/basic.toml",
        Some(13),
        "must be 3–64",
    );
}

#[test]
fn all_fifteen_industries_must_be_present() {
    fires(
        &broken("industries.toml", "id = \"coking\"", "id = \"coke-ovens\""),
        "industries.toml",
        None,
        "industry \"coking\" is missing",
    );
}

#[test]
fn references_to_unknown_industries_are_refused() {
    fires(
        &broken("questions/basic.toml", "[\"thermal_power\"]", "[\"power\"]"),
        "questions/basic.toml",
        Some(13),
        "unknown industry \"power\"",
    );
}

#[test]
fn a_lesson_may_only_check_with_questions_that_exist() {
    fires(
        &broken(
            "courses/mini-course/mini-lesson.md",
            "[\"q-two-officers\"]",
            "[\"q-missing\"]",
        ),
        "courses/mini-course/mini-lesson.md",
        Some(1),
        "\"q-missing\", which does not exist",
    );
}

#[test]
fn a_module_may_only_list_lessons_that_exist() {
    fires(
        &broken(
            "courses/mini-course/course.toml",
            "[\"mini-lesson\"]",
            "[\"mini-lesson\", \"ghost\"]",
        ),
        "courses/mini-course/course.toml",
        Some(1),
        "lesson \"ghost\", which does not exist",
    );
}

#[test]
fn every_question_has_a_legal_basis() {
    fires(
        &broken(
            "questions/basic.toml",
            "basis = [{ law = \"penalty_law\", article = \"64\" }]",
            "basis = []",
        ),
        "questions/basic.toml",
        Some(13),
        "has no legal basis",
    );
}

#[test]
fn a_single_choice_question_has_exactly_one_answer() {
    fires(
        &broken(
            "questions/basic.toml",
            "answer = [\"B\"]",
            "answer = [\"B\", \"C\"]",
        ),
        "questions/basic.toml",
        Some(13),
        "one option letter",
    );
}

#[test]
fn a_true_false_answer_is_t_or_f() {
    fires(
        &broken(
            "questions/basic.toml",
            "answer = [\"F\"]",
            "answer = [\"错\"]",
        ),
        "questions/basic.toml",
        Some(1),
        "[\"T\"] or [\"F\"]",
    );
}

#[test]
fn citations_name_known_laws() {
    fires(
        &broken(
            "questions/basic.toml",
            "law = \"penalty_law\"",
            "law = \"penalty-law\"",
        ),
        "questions/basic.toml",
        Some(13),
        "unknown law \"penalty-law\"",
    );
}

#[test]
fn an_act_after_the_code_took_effect_may_not_be_judged_under_a_repealed_law() {
    let d = broken(
        "cases/case-mini.md",
        "law = \"code\", article = \"1108\"",
        "law = \"apl\", article = \"99\"",
    );
    fires(
        &d,
        "cases/case-mini.md",
        Some(1),
        "acts from 2026-08-15 fall under the Code",
    );
}

#[test]
fn an_act_before_the_code_may_not_be_judged_under_it() {
    let d = broken(
        "cases/case-mini.md",
        "act_date = \"2026-09-10\"",
        "act_date = \"2025-09-10\"",
    );
    fires(
        &d,
        "cases/case-mini.md",
        Some(1),
        "cite the law in force at the time of the act",
    );
}

#[test]
fn a_general_question_may_not_rest_on_a_law_of_one_period() {
    fires(
        &broken(
            "questions/basic.toml",
            "law = \"coercion_law\"",
            "law = \"code\"",
        ),
        "questions/basic.toml",
        Some(1),
        "not in force on 2026-08-14",
    );
}

#[test]
fn the_old_article_of_a_double_annotation_names_a_repealed_law() {
    fires(
        &broken(
            "cases/case-mini.md",
            "old = [{ law = \"apl\"",
            "old = [{ law = \"penalty_law\"",
        ),
        "cases/case-mini.md",
        Some(1),
        "`old` names repealed laws only",
    );
}

#[test]
fn a_step_may_only_lead_to_steps_and_endings_that_exist() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "next = \"review\"",
            "next = \"revue\"",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "leads to \"revue\"",
    );
}

#[test]
fn every_step_must_be_reachable() {
    let d = broken(
        "scenarios/mini-scenario.toml",
        "next = \"review\"",
        "next = \"end-good\"",
    );
    fires(
        &d,
        "scenarios/mini-scenario.toml",
        Some(1),
        "step review cannot be reached",
    );
}

#[test]
fn steps_may_not_form_a_cycle() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "next = \"end-good\"",
            "next = \"enter\"",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "cycle",
    );
}

#[test]
fn the_best_path_must_score_exactly_max_score() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "score = { facts = 60 }",
            "score = { facts = 70 }",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "the best path scores 110",
    );
}

#[test]
fn a_scored_choice_must_cite_its_basis() {
    let d = broken(
        "scenarios/mini-scenario.toml",
        "  feedback = \"程序合法。\"\n  basis = [{ law = \"penalty_law\", article = \"55\" }]",
        "  feedback = \"程序合法。\"",
    );
    fires(
        &d,
        "scenarios/mini-scenario.toml",
        Some(1),
        "must cite its legal basis",
    );
}

#[test]
fn a_choice_that_ends_the_attempt_leads_to_an_ending() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "next = \"end-void\"",
            "next = \"review\"",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "its `next` must be an ending",
    );
}

#[test]
fn exactly_one_ending_is_the_model() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "model = true",
            "model = false",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "exactly one ending must be the model ending",
    );
}

#[test]
fn slot_options_define_the_same_variables_and_placeholders_name_them() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "vars = { name = \"量程\" }",
            "vars = { label = \"量程\" }",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "defines different variables",
    );
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "{{param.name}}",
            "{{param.nmae}}",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "placeholder {{param.nmae}}",
    );
}

#[test]
fn anomalies_lie_within_their_series() {
    fires(
        &broken("scenarios/mini-scenario.toml", "to = 2", "to = 9"),
        "scenarios/mini-scenario.toml",
        Some(1),
        "lies outside the series",
    );
}

#[test]
fn evidence_kinds_are_those_of_the_administrative_penalty_law() {
    fires(
        &broken(
            "scenarios/mini-scenario.toml",
            "kind = \"视听资料\"",
            "kind = \"照片\"",
        ),
        "scenarios/mini-scenario.toml",
        Some(1),
        "has kind \"照片\"",
    );
}

#[test]
fn violation_codes_are_v1_to_v11() {
    fires(
        &broken("cases/case-mini.md", "[\"V3\"]", "[\"V12\"]"),
        "cases/case-mini.md",
        Some(1),
        "\"V12\" is not one of V1–V11",
    );
}

#[test]
fn a_markdown_file_needs_front_matter() {
    fires(
        &broken("cases/case-mini.md", "+++\nid", "id"),
        "cases/case-mini.md",
        Some(1),
        "missing front matter",
    );
}

#[test]
fn dates_are_iso_days() {
    fires(
        &broken(
            "cases/case-mini.md",
            "act_date = \"2026-09-10\"",
            "act_date = \"2026/9/10\"",
        ),
        "cases/case-mini.md",
        Some(1),
        "act_date must be YYYY-MM-DD",
    );
}

// ---- Rubrics, document templates and case-file tasks.

/// A rubric inserted before the fixture's, taking its lines 1–11 (the fixture's rubric moves to line 12).
const EXTRA_RUBRIC: &str = "[[rubric]]\nid = \"mini-rubric\"\ntitle = \"重复\"\nkind = \"casefile\"\nnote = \"\"\n  [[rubric.criterion]]\n  id = \"all\"\n  title = \"全部\"\n  max = 100\n  guide = \"—\"\n\n[[rubric]]";

#[test]
fn rubric_ids_are_well_formed_and_unique() {
    fires(
        &broken(
            "rubrics.toml",
            "id = \"mini-rubric\"",
            "id = \"Mini Rubric\"",
        ),
        "rubrics.toml",
        Some(1),
        "rubric id \"Mini Rubric\" must be 3–64",
    );
    fires(
        &broken("rubrics.toml", "[[rubric]]", EXTRA_RUBRIC),
        "rubrics.toml",
        Some(12),
        "duplicate rubric id \"mini-rubric\" (first at content/rubrics.toml:1)",
    );
}

#[test]
fn template_ids_are_well_formed_and_unique() {
    fires(
        &broken(
            "casefiles/templates.toml",
            "id = \"mini-record\"",
            "id = \"mini record\"",
        ),
        "casefiles/templates.toml",
        Some(1),
        "template id \"mini record\" must be 3–64",
    );
    let d = broken(
        "casefiles/templates.toml",
        "[[template]]",
        "[[template]]\nid = \"mini-record\"\ntitle = \"又一份\"\nbody = \"【　】\"\n\n[[template]]",
    );
    fires(
        &d,
        "casefiles/templates.toml",
        Some(6),
        "duplicate template id \"mini-record\" (first at content/casefiles/templates.toml:1)",
    );
}

#[test]
fn casefile_ids_are_well_formed_unique_and_name_their_file() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "id = \"mini-casefile\"",
            "id = \"MC\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile id \"MC\" must be 3–64",
    );
    let d = broken(
        "casefiles/mini-casefile.toml",
        "id = \"mini-casefile\"",
        "id = \"other-casefile\"",
    );
    fires(
        &d,
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile other-casefile must be in casefiles/other-casefile.toml",
    );
    // The same task copied under another file name.
    let dir = fixture();
    let cases = dir.path().join("casefiles");
    std::fs::copy(cases.join("mini-casefile.toml"), cases.join("zz-copy.toml")).unwrap();
    fires(
        &check_dir(dir.path()).1,
        "casefiles/zz-copy.toml",
        Some(1),
        "duplicate casefile id \"mini-casefile\" (first at content/casefiles/mini-casefile.toml:1)",
    );
}

#[test]
fn a_casefile_field_the_format_does_not_know_is_a_schema_error() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "minutes = 90",
            "minutes = 90\nanswer = \"罚款50万元\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(6),
        "unknown field",
    );
}

#[test]
fn a_rubric_is_onsite_or_casefile() {
    fires(
        &broken("rubrics.toml", "kind = \"casefile\"", "kind = \"written\""),
        "rubrics.toml",
        Some(1),
        "kind \"written\" must be \"onsite\" or \"casefile\"",
    );
}

#[test]
fn criterion_ids_are_unique_within_a_rubric() {
    fires(
        &broken("rubrics.toml", "id = \"notice\"", "id = \"record\""),
        "rubrics.toml",
        Some(15),
        "duplicate criterion id \"record\" (first at line 7)",
    );
    fires(
        &broken("rubrics.toml", "id = \"notice\"", "id = \"告知\""),
        "rubrics.toml",
        Some(15),
        "criterion id \"告知\" is not a valid id",
    );
}

#[test]
fn a_criterion_is_worth_at_least_one_point() {
    fires(
        &broken("rubrics.toml", "max = 40", "max = 0"),
        "rubrics.toml",
        Some(15),
        "criterion notice must be worth at least 1 point",
    );
}

#[test]
fn a_criterion_has_no_levels_or_exactly_four() {
    fires(
        &broken(
            "rubrics.toml",
            "levels = [\"未做到\", \"部分做到\", \"基本做到\", \"完全做到\"]",
            "levels = [\"未做到\", \"基本做到\", \"完全做到\"]",
        ),
        "rubrics.toml",
        Some(7),
        "criterion record has 3 level descriptors",
    );
}

#[test]
fn a_rubrics_maxima_sum_to_100() {
    fires(
        &broken("rubrics.toml", "max = 40", "max = 30"),
        "rubrics.toml",
        Some(1),
        "the criteria's maxima sum to 90, not 100",
    );
}

#[test]
fn a_casefile_names_a_known_industry() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "industry = \"thermal_power\"",
            "industry = \"power\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile mini-casefile names unknown industry \"power\"",
    );
}

#[test]
fn a_casefile_is_judged_with_a_casefile_rubric_that_exists() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "rubric = \"mini-rubric\"",
            "rubric = \"ghost\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "rubric \"ghost\", which does not exist",
    );
    fires(
        &broken("rubrics.toml", "kind = \"casefile\"", "kind = \"onsite\""),
        "casefiles/mini-casefile.toml",
        Some(1),
        "of kind \"onsite\"; a case file needs a rubric of kind \"casefile\"",
    );
}

#[test]
fn a_casefile_asks_only_for_documents_that_are_templates() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "documents = [\"mini-record\"]",
            "documents = [\"mini-record\", \"ghost-doc\"]",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "asks for document \"ghost-doc\", which is not a template",
    );
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "documents = [\"mini-record\"]",
            "documents = []",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "lists no documents to write",
    );
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "documents = [\"mini-record\"]",
            "documents = [\"mini-record\", \"mini-record\"]",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "lists document \"mini-record\" twice",
    );
}

#[test]
fn a_casefile_has_facts_to_write_from() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "facts = \"夜间开启旁路挡板。\"",
            "facts = \"\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile mini-casefile: facts must not be empty",
    );
}

#[test]
fn a_casefile_act_date_is_an_iso_day() {
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "act_date = \"2026-09-10\"",
            "act_date = \"2026/9/10\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile mini-casefile: act_date must be YYYY-MM-DD",
    );
}

#[test]
fn a_casefile_takes_10_to_240_minutes() {
    for minutes in ["9", "241"] {
        fires(
            &broken(
                "casefiles/mini-casefile.toml",
                "minutes = 90",
                &format!("minutes = {minutes}"),
            ),
            "casefiles/mini-casefile.toml",
            Some(1),
            "minutes must be 10–240",
        );
    }
    for minutes in ["10", "240"] {
        let d = broken(
            "casefiles/mini-casefile.toml",
            "minutes = 90",
            &format!("minutes = {minutes}"),
        );
        assert!(d.is_empty(), "{minutes}: {d:?}");
    }
}

#[test]
fn a_casefiles_basis_is_checked_against_its_act_date() {
    // Before the Code: the Code was not yet in force.
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "act_date = \"2026-09-10\"",
            "act_date = \"2025-09-10\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "casefile mini-casefile cites 《生态环境法典》第1108条, not in force on 2025-09-10",
    );
    // After: the repealed law may only appear as the old article of a double annotation.
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "law = \"code\", article = \"1108\"",
            "law = \"apl\", article = \"99\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "acts from 2026-08-15 fall under the Code",
    );
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "old = [{ law = \"apl\"",
            "old = [{ law = \"penalty_law\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "`old` names repealed laws only",
    );
    fires(
        &broken(
            "casefiles/mini-casefile.toml",
            "law = \"code\"",
            "law = \"eco-code\"",
        ),
        "casefiles/mini-casefile.toml",
        Some(1),
        "unknown law \"eco-code\"",
    );
}

#[test]
fn a_template_has_a_body() {
    fires(
        &broken(
            "casefiles/templates.toml",
            "body = \"检查时间：【时间】\\n检查地点：【地点】\"",
            "body = \" \"",
        ),
        "casefiles/templates.toml",
        Some(1),
        "template mini-record: title and body must not be empty",
    );
}

/// The shipped rubrics follow the brief's section 5 table, and the case-file tasks cover both sides of the Code.
#[test]
fn the_shipped_rubrics_and_casefiles_follow_the_brief() {
    let (set, _) = check_dir(&repo().join("content"));
    let rubric = |id: &str| {
        set.rubrics
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no rubric {id}"))
    };
    let onsite = rubric("onsite-default");
    assert_eq!(onsite.kind, "onsite");
    let table: Vec<(&str, u32, bool)> = onsite
        .criterion
        .iter()
        .map(|c| (c.title.as_str(), c.max, c.veto))
        .collect();
    assert_eq!(
        table,
        vec![
            ("准备", 10, false),
            ("进场程序", 15, false),
            ("问题发现", 25, false),
            ("调查取证", 25, true),
            ("法律适用", 15, false),
            ("文明执法与安全", 10, true),
        ]
    );
    assert!(onsite.note.contains("建议方案，非官方标准") && onsite.note.contains("考官重点观察"));
    let casefile = rubric("casefile-default");
    assert_eq!(casefile.kind, "casefile");
    assert!(casefile.note.contains("建议方案"));
    for r in [onsite, casefile] {
        for c in &r.criterion {
            assert_eq!(c.levels.len(), 4, "{} {}", r.id, c.id);
            assert!(
                !c.guide.is_empty() && !c.deductions.is_empty(),
                "{} {}",
                r.id,
                c.id
            );
        }
    }
    let templates: Vec<&str> = set.templates.iter().map(|(_, t)| t.id.as_str()).collect();
    for t in ["inspection_record", "inquiry_record", "penalty_decision"] {
        assert!(templates.contains(&t), "no template {t}");
    }
    let code_starts = "2026-08-15";
    let tasks: Vec<_> = set.casefiles.iter().map(|(_, f)| f).collect();
    assert!(tasks.iter().any(|f| f.act_date.as_str() < code_starts));
    assert!(tasks.iter().any(|f| f.act_date.as_str() >= code_starts));
    for f in &tasks {
        assert_eq!(
            f.documents,
            ["inspection_record", "inquiry_record", "penalty_decision"]
        );
        assert_eq!(f.rubric, "casefile-default");
        assert!(!f.basis.is_empty(), "{}", f.id);
    }
    // After the Code, the Code's articles carry the old article (the double annotation).
    for f in tasks.iter().filter(|f| f.act_date.as_str() >= code_starts) {
        let code: Vec<_> = f.basis.iter().filter(|c| c.law == "code").collect();
        assert!(
            !code.is_empty() && code.iter().all(|c| !c.old.is_empty()),
            "{}",
            f.id
        );
    }
}

on_both! {
    async fn importing_the_same_content_twice_changes_nothing(db: Db) {
        let app = TestApp::new(db).await;
        let (set, diags) = check_dir(&repo().join("content"));
        assert!(diags.is_empty());
        let first = server::content::import(&app.state.pool, &set, false).await.unwrap();
        assert_eq!(first.updated + first.unchanged, 0);
        let versions: i64 = sqlx::query_scalar("select count(*) from content_version").fetch_one(&app.state.pool).await.unwrap();
        let second = server::content::import(&app.state.pool, &set, false).await.unwrap();
        assert_eq!((second.created, second.updated, second.unchanged), (0, 0, first.created));
        let after: i64 = sqlx::query_scalar("select count(*) from content_version").fetch_one(&app.state.pool).await.unwrap();
        assert_eq!(versions, after);
    }

    async fn an_edited_item_becomes_a_new_version_and_the_old_one_stays_for_whoever_started_on_it(db: Db) {
        let app = TestApp::new(db).await;
        let dir = fixture();
        let (set, _) = check_dir(dir.path());
        server::content::import(&app.state.pool, &set, false).await.unwrap();
        let mut conn = app.state.pool.acquire().await.unwrap();
        // An attempt starts on version 1 and remembers its version id.
        let (started_on, body_v1) = content_store::published(&mut conn, "scenario", "mini-scenario").await.unwrap().unwrap();
        assert!(body_v1.contains("群众反映夜间冒黑烟"));

        let path = dir.path().join("scenarios/mini-scenario.toml");
        let text = std::fs::read_to_string(&path).unwrap().replace("群众反映夜间冒黑烟", "平台预警：夜间数据呈直线");
        std::fs::write(&path, text).unwrap();
        let (edited, diags) = check_dir(dir.path());
        assert!(diags.is_empty(), "{diags:?}");
        let stats = server::content::import(&app.state.pool, &edited, false).await.unwrap();
        assert_eq!(stats.updated, 1, "only the edited scenario changes");

        let (now_on, body_v2) = content_store::published(&mut conn, "scenario", "mini-scenario").await.unwrap().unwrap();
        assert_ne!(now_on, started_on);
        assert!(body_v2.contains("平台预警"));
        let kept = content_store::version_body(&mut conn, started_on).await.unwrap().unwrap();
        assert_eq!(kept, body_v1, "the running attempt still reads the version it started on");
        let versions: Vec<i64> = sqlx::query_scalar(
            "select v.version from content_version v join content_item i on i.content_id = v.content_id \
             where i.item_key = 'mini-scenario' order by v.version",
        )
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
        assert_eq!(versions, vec![1, 2]);
    }

    async fn search_finds_a_chinese_word_inside_a_sentence_and_marks_it(db: Db) {
        let app = TestApp::new(db).await;
        let (set, _) = check_dir(fixture().path());
        server::content::import(&app.state.pool, &set, false).await.unwrap();
        let mut conn = app.state.pool.acquire().await.unwrap();
        let hits = content_store::search(&mut conn, "旁路", "/1/", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].key, "case-mini");
        assert!(hits[0].snippet.contains("[[旁路]]"), "{}", hits[0].snippet);
        assert!(content_store::search(&mut conn, "路旁", "/1/", 10).await.unwrap().is_empty());
    }

    async fn rubrics_templates_and_casefiles_are_stored_as_their_json(db: Db) {
        use app::content::model::{Casefile, DocTemplate, Rubric};
        let app = TestApp::new(db).await;
        let (set, _) = check_dir(fixture().path());
        server::content::import(&app.state.pool, &set, false).await.unwrap();
        let mut conn = app.state.pool.acquire().await.unwrap();
        let (_, body) = content_store::published(&mut conn, "rubric", "mini-rubric").await.unwrap().unwrap();
        assert_eq!(serde_json::from_str::<Rubric>(&body).unwrap(), set.rubrics[0].1);
        let (_, body) = content_store::published(&mut conn, "doc_template", "mini-record").await.unwrap().unwrap();
        assert_eq!(serde_json::from_str::<DocTemplate>(&body).unwrap(), set.templates[0].1);
        let (_, body) = content_store::published(&mut conn, "casefile", "mini-casefile").await.unwrap().unwrap();
        assert_eq!(serde_json::from_str::<Casefile>(&body).unwrap(), set.casefiles[0].1);
        let titles: Vec<(String, String)> = sqlx::query_as(
            "select kind, title from content_item where kind in ('rubric', 'doc_template', 'casefile') order by kind",
        )
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
        assert_eq!(
            titles,
            vec![
                ("casefile".to_owned(), "最小案卷任务".to_owned()),
                ("doc_template".to_owned(), "现场检查笔录".to_owned()),
                ("rubric".to_owned(), "最小案卷评分表".to_owned()),
            ]
        );
        // Examiners' material and competition tasks are not in trainees' search.
        assert!(content_store::search(&mut conn, "旁路挡板", "/1/", 10).await.unwrap().iter().all(|h| h.kind != "casefile"));
    }
}
