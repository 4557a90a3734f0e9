//! `lianbing content check`: loads the content tree and reports every problem as `FILE:LINE: message`.
//! The loaded, checked set is what `content import` writes to the database.

use super::model::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One problem, at a place in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Where an item was read from, for messages.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// Everything under `content/`, parsed.
#[derive(Clone, Debug, Default)]
pub struct ContentSet {
    pub laws: Vec<(Origin, Law)>,
    pub industries: Vec<(Origin, Industry)>,
    pub questions: Vec<(Origin, Question)>,
    pub courses: Vec<(Origin, Course)>,
    pub lessons: Vec<(Origin, Lesson)>,
    pub scenarios: Vec<(Origin, Scenario)>,
    pub cases: Vec<(Origin, CaseStudy)>,
    pub fines: Vec<(Origin, FineRange)>,
    pub rubrics: Vec<(Origin, Rubric)>,
    pub templates: Vec<(Origin, DocTemplate)>,
    pub casefiles: Vec<(Origin, Casefile)>,
}

impl ContentSet {
    /// The summary line `content check` ends with.
    pub fn summary(&self) -> String {
        format!(
            "content: industries={} courses={} lessons={} scenarios={} questions={} cases={} rubrics={} templates={} casefiles={}",
            self.industries.len(),
            self.courses.len(),
            self.lessons.len(),
            self.scenarios.len(),
            self.questions.len(),
            self.cases.len(),
            self.rubrics.len(),
            self.templates.len(),
            self.casefiles.len()
        )
    }
}

/// The 15 industries of the brief, in its order.
pub const INDUSTRY_IDS: [&str; 15] = [
    "steel",
    "thermal_power",
    "coking",
    "petrochemical",
    "chemical",
    "cement",
    "brick_kiln",
    "foundry",
    "coating",
    "pharma",
    "electroplating",
    "dyeing",
    "waste_incineration",
    "hazardous_waste",
    "sewage_plant",
];

struct Checker {
    root: PathBuf,
    diags: Vec<Diagnostic>,
    /// The line of each `[[rubric.criterion]]`, per rubric in `ContentSet::rubrics` order.
    criterion_lines: Vec<Vec<usize>>,
}

impl Checker {
    fn rel(&self, path: &Path) -> String {
        let shown = path.strip_prefix(&self.root).unwrap_or(path);
        let base = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if base.is_empty() {
            shown.display().to_string()
        } else {
            format!("{base}/{}", shown.display())
        }
    }

    fn err(&mut self, origin: &Origin, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: origin.file.clone(),
            line: origin.line,
            message: message.into(),
        });
    }

    fn read(&mut self, path: &Path) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                let file = self.rel(path);
                self.diags.push(Diagnostic {
                    file,
                    line: 1,
                    message: format!("cannot read: {e}"),
                });
                None
            }
        }
    }

    /// Parses TOML, reporting a syntax or schema error at its line.
    fn parse<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &Path,
        text: &str,
        first_line: usize,
    ) -> Option<T> {
        match toml::from_str::<T>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1) + first_line - 1;
                let file = self.rel(path);
                let message = e.message().trim().replace('\n', " ");
                self.diags.push(Diagnostic {
                    file,
                    line,
                    message: format!("invalid: {message}"),
                });
                None
            }
        }
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Loads and checks a content tree. Returns the set and every problem found (sorted by file and line).
pub fn check_dir(root: &Path) -> (ContentSet, Vec<Diagnostic>) {
    let mut c = Checker {
        root: root.to_path_buf(),
        diags: Vec::new(),
        criterion_lines: Vec::new(),
    };
    let mut set = ContentSet::default();
    load(&mut c, root, &mut set);
    validate(&mut c, &set);
    c.diags.sort();
    c.diags.dedup();
    (set, c.diags)
}

/// Reads a TOML file whose items are an array of tables, each item placed at the line it starts on.
fn load_items<F: serde::de::DeserializeOwned, T>(
    c: &mut Checker,
    path: &Path,
    items: impl FnOnce(F) -> Vec<toml::Spanned<T>>,
) -> Vec<(Origin, T)> {
    let Some(text) = c.read(path) else {
        return Vec::new();
    };
    let Some(file) = c.parse::<F>(path, &text, 1) else {
        return Vec::new();
    };
    let name = c.rel(path);
    items(file)
        .into_iter()
        .map(|s| {
            (
                Origin {
                    file: name.clone(),
                    line: line_of(&text, s.span().start),
                },
                s.into_inner(),
            )
        })
        .collect()
}

fn load(c: &mut Checker, root: &Path, set: &mut ContentSet) {
    set.laws = load_items(c, &root.join("laws.toml"), |f: LawsFile| f.law);
    set.industries = load_items(c, &root.join("industries.toml"), |f: IndustriesFile| {
        f.industry
    });
    if root.join("fines.toml").exists() {
        set.fines = load_items(c, &root.join("fines.toml"), |f: FinesFile| f.range);
    }
    for path in files_in(&root.join("questions"), "toml") {
        let questions = load_items(c, &path, |f: QuestionsFile| f.question);
        set.questions.extend(questions);
    }
    let courses_dir = root.join("courses");
    let mut course_dirs: Vec<PathBuf> = std::fs::read_dir(&courses_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    course_dirs.sort();
    for dir in course_dirs {
        let manifest = dir.join("course.toml");
        let Some(text) = c.read(&manifest) else {
            continue;
        };
        let Some(course) = c.parse::<Course>(&manifest, &text, 1) else {
            continue;
        };
        let origin = Origin {
            file: c.rel(&manifest),
            line: 1,
        };
        for path in files_in(&dir, "md") {
            if let Some((origin, meta, body)) = front_matter::<LessonMeta>(c, &path) {
                set.lessons.push((
                    origin,
                    Lesson {
                        meta,
                        course: course.id.clone(),
                        body,
                    },
                ));
            }
        }
        set.courses.push((origin, course));
    }
    for path in files_in(&root.join("scenarios"), "toml") {
        if let Some(text) = c.read(&path)
            && let Some(s) = c.parse::<Scenario>(&path, &text, 1)
        {
            set.scenarios.push((
                Origin {
                    file: c.rel(&path),
                    line: 1,
                },
                s,
            ));
        }
    }
    for path in files_in(&root.join("cases"), "md") {
        if let Some((origin, meta, body)) = front_matter::<CaseMeta>(c, &path) {
            set.cases.push((origin, CaseStudy { meta, body }));
        }
    }
    let rubrics = root.join("rubrics.toml");
    if rubrics.exists() {
        set.rubrics = load_items(c, &rubrics, |f: RubricsFile| f.rubric);
        c.criterion_lines = criterion_lines(c, &rubrics);
    }
    let casefiles = root.join("casefiles");
    let templates = casefiles.join(TEMPLATES_FILE);
    if templates.exists() {
        set.templates = load_items(c, &templates, |f: TemplatesFile| f.template);
    }
    for path in files_in(&casefiles, "toml") {
        if path.file_name().is_some_and(|n| n == TEMPLATES_FILE) {
            continue;
        }
        if let Some(text) = c.read(&path)
            && let Some(task) = c.parse::<Casefile>(&path, &text, 1)
        {
            set.casefiles.push((
                Origin {
                    file: c.rel(&path),
                    line: 1,
                },
                task,
            ));
        }
    }
}

/// The file under `casefiles/` that holds the document templates; every other `.toml` there is one task.
const TEMPLATES_FILE: &str = "templates.toml";

/// The lines the criteria of each rubric start on (the model's `Vec<Criterion>` keeps no spans).
fn criterion_lines(c: &mut Checker, path: &Path) -> Vec<Vec<usize>> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        rubric: Vec<Spans>,
    }
    #[derive(serde::Deserialize)]
    struct Spans {
        #[serde(default)]
        criterion: Vec<toml::Spanned<serde::de::IgnoredAny>>,
    }
    let Some(text) = c.read(path) else {
        return Vec::new();
    };
    toml::from_str::<File>(&text)
        .map(|f| {
            f.rubric
                .iter()
                .map(|r| {
                    r.criterion
                        .iter()
                        .map(|s| line_of(&text, s.span().start))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn front_matter<T: serde::de::DeserializeOwned>(
    c: &mut Checker,
    path: &Path,
) -> Option<(Origin, T, String)> {
    let text = c.read(path)?;
    let origin = Origin {
        file: c.rel(path),
        line: 1,
    };
    let Some((front, body, first)) = split_front_matter(&text) else {
        c.err(&origin, "missing front matter: the file must start with a +++ line, TOML, and a closing +++ line");
        return None;
    };
    let meta = c.parse::<T>(path, front, first)?;
    if body.trim().is_empty() {
        c.err(&origin, "the body is empty");
    }
    Some((origin, meta, body.to_owned()))
}

fn valid_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_lowercase()
}

/// True for an ISO day, `YYYY-MM-DD`.
pub fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && d.bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&d[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d[8..10].parse::<u32>().unwrap_or(0))
}

/// The date a question's citations are judged on.
fn period_dates(period: Period) -> Vec<&'static str> {
    match period {
        Period::BeforeCode => vec!["2026-08-14"],
        Period::AfterCode => vec![CODE_IN_FORCE],
        Period::General => vec!["2026-08-14", CODE_IN_FORCE],
    }
}

fn validate(c: &mut Checker, set: &ContentSet) {
    super::fines::check(set, &mut |origin: &Origin, msg: String| c.err(origin, msg));
    super::fines::near_duplicates(set, &mut |origin: &Origin, msg: String| c.err(origin, msg));
    let laws: HashMap<&str, &Law> = set.laws.iter().map(|(_, l)| (l.id.as_str(), l)).collect();
    let industries: BTreeSet<&str> = set.industries.iter().map(|(_, i)| i.id.as_str()).collect();
    let questions: HashMap<&str, &Question> = set
        .questions
        .iter()
        .map(|(_, q)| (q.id.as_str(), q))
        .collect();
    let lessons: HashMap<&str, &Lesson> = set
        .lessons
        .iter()
        .map(|(_, l)| (l.meta.id.as_str(), l))
        .collect();
    let scenarios: HashMap<&str, &Scenario> = set
        .scenarios
        .iter()
        .map(|(_, s)| (s.id.as_str(), s))
        .collect();

    // Ids: well formed and unique within their kind.
    let ids = |c: &mut Checker, kind: &str, items: Vec<(&Origin, &str)>| {
        let mut seen: HashMap<&str, &Origin> = HashMap::new();
        for (origin, id) in items {
            if !valid_id(id) {
                c.err(
                    origin,
                    format!(
                        "{kind} id {id:?} must be 3–64 lower-case ASCII letters, digits, '-' or '_'"
                    ),
                );
            }
            if let Some(first) = seen.get(id) {
                c.err(
                    origin,
                    format!(
                        "duplicate {kind} id {id:?} (first at {}:{})",
                        first.file, first.line
                    ),
                );
            } else {
                seen.insert(id, origin);
            }
        }
    };
    ids(
        c,
        "law",
        set.laws.iter().map(|(o, l)| (o, l.id.as_str())).collect(),
    );
    ids(
        c,
        "industry",
        set.industries
            .iter()
            .map(|(o, i)| (o, i.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "question",
        set.questions
            .iter()
            .map(|(o, q)| (o, q.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "course",
        set.courses
            .iter()
            .map(|(o, x)| (o, x.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "lesson",
        set.lessons
            .iter()
            .map(|(o, l)| (o, l.meta.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "scenario",
        set.scenarios
            .iter()
            .map(|(o, s)| (o, s.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "case",
        set.cases
            .iter()
            .map(|(o, x)| (o, x.meta.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "rubric",
        set.rubrics
            .iter()
            .map(|(o, r)| (o, r.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "template",
        set.templates
            .iter()
            .map(|(o, t)| (o, t.id.as_str()))
            .collect(),
    );
    ids(
        c,
        "casefile",
        set.casefiles
            .iter()
            .map(|(o, x)| (o, x.id.as_str()))
            .collect(),
    );

    for (origin, law) in &set.laws {
        if !valid_date(&law.from) || law.until.as_deref().is_some_and(|u| !valid_date(u)) {
            c.err(origin, format!("law {}: dates must be YYYY-MM-DD", law.id));
        }
    }

    // Exactly the 15 industries of the brief.
    let expected: BTreeSet<&str> = INDUSTRY_IDS.into_iter().collect();
    let industries_origin = set
        .industries
        .first()
        .map(|(o, _)| o.clone())
        .unwrap_or(Origin {
            file: "content/industries.toml".into(),
            line: 1,
        });
    for missing in expected.difference(&industries) {
        c.err(
            &industries_origin,
            format!("industry {missing:?} is missing; the brief names 15 industries"),
        );
    }
    for (origin, ind) in &set.industries {
        if !expected.contains(ind.id.as_str()) {
            c.err(
                origin,
                format!("industry {:?} is not one of the brief's 15", ind.id),
            );
        }
        if ind.processes.is_empty()
            || ind.pollutants.is_empty()
            || ind.inspection_points.is_empty()
            || ind.violations.is_empty()
        {
            c.err(origin, format!("industry {}: processes, pollutants, inspection points and violations must not be empty", ind.id));
        }
        for v in &ind.violations {
            check_violation_code(c, origin, &v.code);
        }
    }

    let industry_ref = |c: &mut Checker, origin: &Origin, what: &str, id: &str| {
        if !industries.contains(id) {
            c.err(origin, format!("{what} names unknown industry {id:?}"));
        }
    };

    // Questions.
    for (origin, q) in &set.questions {
        check_question_shape(c, origin, q);
        if !(1..=5).contains(&q.difficulty) {
            c.err(origin, format!("question {}: difficulty must be 1–5", q.id));
        }
        for ind in &q.industries {
            industry_ref(c, origin, &format!("question {}", q.id), ind);
        }
        if q.basis.is_empty() {
            c.err(origin, format!("question {} has no legal basis", q.id));
        }
        let what = format!("question {}", q.id);
        for date in period_dates(q.period) {
            for cit in q
                .basis
                .iter()
                .chain(q.part.iter().flat_map(|p| p.basis.iter()))
            {
                check_citation(c, origin, &what, cit, &laws, date);
            }
        }
        if let Some(doc) = &q.document {
            let found = doc
                .split_once('#')
                .and_then(|(s, d)| {
                    scenarios
                        .get(s)
                        .map(|s| s.document.iter().any(|x| x.id == d))
                })
                .unwrap_or(false);
            if !found {
                c.err(
                    origin,
                    format!(
                        "question {}: document {doc:?} is not a scenario#document that exists",
                        q.id
                    ),
                );
            }
        }
    }

    // Courses and lessons.
    let mut placed: HashMap<&str, &str> = HashMap::new();
    for (origin, course) in &set.courses {
        if course.module.is_empty() {
            c.err(origin, format!("course {} has no modules", course.id));
        }
        for m in &course.module {
            if !valid_id(&m.id) {
                c.err(origin, format!("module id {:?} is not a valid id", m.id));
            }
            if m.lessons.is_empty() {
                c.err(origin, format!("module {} has no lessons", m.id));
            }
            for l in &m.lessons {
                match lessons.get(l.as_str()) {
                    None => c.err(
                        origin,
                        format!("module {} lists lesson {l:?}, which does not exist", m.id),
                    ),
                    Some(lesson) if lesson.course != course.id => c.err(
                        origin,
                        format!(
                            "module {} lists lesson {l:?} of another course ({})",
                            m.id, lesson.course
                        ),
                    ),
                    Some(_) => {
                        if placed.insert(l.as_str(), m.id.as_str()).is_some() {
                            c.err(origin, format!("lesson {l:?} is listed twice"));
                        }
                    }
                }
            }
        }
    }
    for (origin, lesson) in &set.lessons {
        let m = &lesson.meta;
        if !placed.contains_key(m.id.as_str()) {
            c.err(
                origin,
                format!("lesson {} is not listed in any module of its course", m.id),
            );
        }
        if m.minutes == 0 || m.minutes > 240 {
            c.err(origin, format!("lesson {}: minutes must be 1–240", m.id));
        }
        if m.objectives.is_empty() {
            c.err(origin, format!("lesson {} has no objectives", m.id));
        }
        for ind in &m.industries {
            industry_ref(c, origin, &format!("lesson {}", m.id), ind);
        }
        for q in &m.questions {
            if !questions.contains_key(q.as_str()) {
                c.err(
                    origin,
                    format!(
                        "lesson {} checks knowledge with question {q:?}, which does not exist",
                        m.id
                    ),
                );
            }
        }
    }

    // Cases.
    for (origin, case) in &set.cases {
        let m = &case.meta;
        if !valid_date(&m.act_date) {
            c.err(
                origin,
                format!("case {}: act_date must be YYYY-MM-DD", m.id),
            );
            continue;
        }
        industry_ref(c, origin, &format!("case {}", m.id), &m.industry);
        for v in &m.violations {
            check_violation_code(c, origin, v);
        }
        if m.basis.is_empty() {
            c.err(origin, format!("case {} has no legal basis", m.id));
        }
        for cit in &m.basis {
            check_citation(
                c,
                origin,
                &format!("case {}", m.id),
                cit,
                &laws,
                &m.act_date,
            );
        }
    }

    // Scenarios.
    for (origin, s) in &set.scenarios {
        if !valid_date(&s.act_date) {
            c.err(
                origin,
                format!("scenario {}: act_date must be YYYY-MM-DD", s.id),
            );
            continue;
        }
        industry_ref(c, origin, &format!("scenario {}", s.id), &s.industry);
        for l in &s.lessons {
            if !lessons.contains_key(l.as_str()) {
                c.err(
                    origin,
                    format!(
                        "scenario {} suggests lesson {l:?}, which does not exist",
                        s.id
                    ),
                );
            }
        }
        super::graph::check_scenario(s, &mut |msg: String| c.err(origin, msg));
        let what = format!("scenario {}", s.id);
        let all_basis = s
            .step
            .iter()
            .flat_map(|st| {
                st.choice
                    .iter()
                    .flat_map(|ch| ch.basis.iter())
                    .chain(st.finding.iter().flat_map(|f| f.basis.iter()))
                    .chain(st.basis.iter())
            })
            .chain(s.ending.iter().flat_map(|e| e.basis.iter()));
        for cit in all_basis {
            check_citation(c, origin, &what, cit, &laws, &s.act_date);
        }
    }

    // Rubrics, document templates and case-file tasks.
    for (i, (origin, rubric)) in set.rubrics.iter().enumerate() {
        let lines = c.criterion_lines.get(i).cloned().unwrap_or_default();
        check_rubric(c, origin, rubric, &lines);
    }
    for (origin, t) in &set.templates {
        if t.title.trim().is_empty() || t.body.trim().is_empty() {
            c.err(
                origin,
                format!("template {}: title and body must not be empty", t.id),
            );
        }
    }
    let rubrics: HashMap<&str, &Rubric> = set
        .rubrics
        .iter()
        .map(|(_, r)| (r.id.as_str(), r))
        .collect();
    let templates: BTreeSet<&str> = set.templates.iter().map(|(_, t)| t.id.as_str()).collect();
    for (origin, task) in &set.casefiles {
        let what = format!("casefile {}", task.id);
        let stem = Path::new(&origin.file)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if stem != task.id {
            c.err(
                origin,
                format!(
                    "{what} must be in casefiles/{}.toml (the file is named after the id)",
                    task.id
                ),
            );
        }
        industry_ref(c, origin, &what, &task.industry);
        if !(10..=240).contains(&task.minutes) {
            c.err(origin, format!("{what}: minutes must be 10–240"));
        }
        if task.facts.trim().is_empty() {
            c.err(origin, format!("{what}: facts must not be empty"));
        }
        match rubrics.get(task.rubric.as_str()) {
            None => c.err(
                origin,
                format!("{what} is judged with rubric {:?}, which does not exist", task.rubric),
            ),
            Some(r) if r.kind != "casefile" => c.err(
                origin,
                format!(
                    "{what} is judged with rubric {:?} of kind {:?}; a case file needs a rubric of kind \"casefile\"",
                    task.rubric, r.kind
                ),
            ),
            Some(_) => {}
        }
        if task.documents.is_empty() {
            c.err(origin, format!("{what} lists no documents to write"));
        }
        let mut listed = BTreeSet::new();
        for doc in &task.documents {
            if !templates.contains(doc.as_str()) {
                c.err(
                    origin,
                    format!("{what} asks for document {doc:?}, which is not a template"),
                );
            }
            if !listed.insert(doc.as_str()) {
                c.err(origin, format!("{what} lists document {doc:?} twice"));
            }
        }
        if !valid_date(&task.act_date) {
            c.err(origin, format!("{what}: act_date must be YYYY-MM-DD"));
            continue;
        }
        for cit in &task.basis {
            check_citation(c, origin, &what, cit, &laws, &task.act_date);
        }
    }
}

/// A rubric: a known kind; criteria with unique ids, a maximum of at least 1 and no or exactly four level
/// descriptors; maxima that sum to 100. Criterion problems are reported at the criterion's line when known.
fn check_rubric(c: &mut Checker, origin: &Origin, rubric: &Rubric, lines: &[usize]) {
    let what = format!("rubric {}", rubric.id);
    if !RUBRIC_KINDS.contains(&rubric.kind.as_str()) {
        c.err(
            origin,
            format!(
                "{what}: kind {:?} must be \"onsite\" or \"casefile\"",
                rubric.kind
            ),
        );
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, cr) in rubric.criterion.iter().enumerate() {
        let at = Origin {
            file: origin.file.clone(),
            line: lines.get(i).copied().unwrap_or(origin.line),
        };
        if !valid_id(&cr.id) {
            c.err(
                &at,
                format!("{what}: criterion id {:?} is not a valid id", cr.id),
            );
        }
        if let Some(first) = seen.get(cr.id.as_str()) {
            c.err(
                &at,
                format!(
                    "{what}: duplicate criterion id {:?} (first at line {first})",
                    cr.id
                ),
            );
        } else {
            seen.insert(cr.id.as_str(), at.line);
        }
        if cr.max < 1 {
            c.err(
                &at,
                format!("{what}: criterion {} must be worth at least 1 point", cr.id),
            );
        }
        if !cr.levels.is_empty() && cr.levels.len() != 4 {
            c.err(
                &at,
                format!(
                    "{what}: criterion {} has {} level descriptors; give none (scored in points) or exactly 4 (levels 0–3)",
                    cr.id,
                    cr.levels.len()
                ),
            );
        }
    }
    let sum: u32 = rubric.criterion.iter().map(|cr| cr.max).sum();
    if sum != 100 {
        c.err(
            origin,
            format!("{what}: the criteria's maxima sum to {sum}, not 100"),
        );
    }
}

fn check_violation_code(c: &mut Checker, origin: &Origin, code: &str) {
    let ok = code
        .strip_prefix('V')
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| (1..=11).contains(&n));
    if !ok {
        c.err(
            origin,
            format!("violation code {code:?} is not one of V1–V11"),
        );
    }
}

fn check_question_shape(c: &mut Checker, origin: &Origin, q: &Question) {
    let letters: Vec<char> = ('A'..='Z').take(q.options.len()).collect();
    let answers_are_options = q
        .answer
        .iter()
        .all(|a| a.len() == 1 && a.chars().next().is_some_and(|ch| letters.contains(&ch)));
    let unique: BTreeSet<&String> = q.answer.iter().collect();
    let problem = match q.kind {
        QuestionKind::Single if !(2..=6).contains(&q.options.len()) => {
            Some("a single-choice question has 2–6 options")
        }
        QuestionKind::Single if q.answer.len() != 1 || !answers_are_options => {
            Some("a single-choice answer is one option letter")
        }
        QuestionKind::Multiple if !(3..=6).contains(&q.options.len()) => {
            Some("a multiple-choice question has 3–6 options")
        }
        QuestionKind::Multiple
            if q.answer.len() < 2 || !answers_are_options || unique.len() != q.answer.len() =>
        {
            Some("a multiple-choice answer is two or more distinct option letters")
        }
        QuestionKind::Judge if !q.options.is_empty() => {
            Some("a true/false question has no options")
        }
        QuestionKind::Judge if q.answer != ["T"] && q.answer != ["F"] => {
            Some("a true/false answer is [\"T\"] or [\"F\"]")
        }
        QuestionKind::Case if q.part.is_empty() => {
            Some("a case-analysis question has at least one [[question.part]]")
        }
        QuestionKind::Case if q.part.iter().any(|p| p.points.is_empty()) => {
            Some("every case part lists its answer points")
        }
        _ => None,
    };
    if let Some(problem) = problem {
        c.err(origin, format!("question {}: {problem}", q.id));
    }
    if q.kind != QuestionKind::Case && !q.part.is_empty() {
        c.err(
            origin,
            format!("question {}: only case questions have parts", q.id),
        );
    }
    if q.stem.trim().is_empty() || q.explanation.trim().is_empty() {
        c.err(
            origin,
            format!("question {}: stem and explanation must not be empty", q.id),
        );
    }
}

/// A citation must name a known law in force on `date`; its `old` laws must be repealed laws.
fn check_citation(
    c: &mut Checker,
    origin: &Origin,
    what: &str,
    cit: &Citation,
    laws: &HashMap<&str, &Law>,
    date: &str,
) {
    if cit.article.is_empty() || !cit.article.bytes().all(|b| b.is_ascii_digit()) {
        c.err(
            origin,
            format!("{what}: article {:?} must be Arabic digits", cit.article),
        );
    }
    match laws.get(cit.law.as_str()) {
        None => c.err(origin, format!("{what} cites unknown law {:?}", cit.law)),
        Some(law) if !law.in_force_on(date) => c.err(
            origin,
            format!(
                "{what} cites {}第{}条, not in force on {date}: {}",
                law.name,
                cit.article,
                if date >= CODE_IN_FORCE {
                    "acts from 2026-08-15 fall under the Code"
                } else {
                    "cite the law in force at the time of the act"
                }
            ),
        ),
        Some(_) => {}
    }
    for old in &cit.old {
        match laws.get(old.law.as_str()) {
            None => c.err(origin, format!("{what} cites unknown law {:?}", old.law)),
            Some(law) if law.until.is_none() => c.err(
                origin,
                format!(
                    "{what}: {} is still in force; `old` names repealed laws only",
                    law.name
                ),
            ),
            Some(_) => {}
        }
        if cit.law != "code" {
            c.err(
                origin,
                format!("{what}: only Code citations carry the old article in `old`"),
            );
        }
    }
}

/// Counts per kind for the summary, keyed by name (for the import's progress).
pub fn counts(set: &ContentSet) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("industries", set.industries.len()),
        ("courses", set.courses.len()),
        ("lessons", set.lessons.len()),
        ("scenarios", set.scenarios.len()),
        ("questions", set.questions.len()),
        ("cases", set.cases.len()),
        ("rubrics", set.rubrics.len()),
        ("templates", set.templates.len()),
        ("casefiles", set.casefiles.len()),
    ])
}
