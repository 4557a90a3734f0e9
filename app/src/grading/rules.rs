//! Grading's pure rules: combining examiners' marks, examiner severity, the conflict rule and load-balanced
//! assignment, weighted totals, rankings with tie-breaks, awards (执法能手 and prizes), team and unit rankings.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// `n / d` rounded half away from zero; `d` must be positive.
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    // Compared as `|r| >= d - |r|` rather than `2|r| >= d` so a huge denominator cannot overflow.
    if r.abs() >= d - r.abs() {
        q + n.signum()
    } else {
        q
    }
}

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// The mean of a non-empty slice, rounded half away from zero.
fn mean_rounded(xs: &[i64]) -> i64 {
    let sum: i128 = xs.iter().map(|&x| i128::from(x)).sum();
    clamp_i64(div_round(sum, xs.len() as i128))
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregating examiners' totals

/// How the totals several examiners gave one submission become its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Mean,
    /// Drops one highest and one lowest total, so one outlying examiner cannot swing the result.
    TrimmedMean,
    Median,
}

/// Below this many totals a trimmed mean is the plain mean: trimming two of four would discard half the marks.
const TRIM_FROM: usize = 5;

impl Aggregation {
    pub const ALL: [Aggregation; 3] = [
        Aggregation::Mean,
        Aggregation::TrimmedMean,
        Aggregation::Median,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Aggregation::Mean => "mean",
            Aggregation::TrimmedMean => "trimmed_mean",
            Aggregation::Median => "median",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One submission's score from its examiners' totals, in hundredths rounded half away from zero; `None` if no
/// examiner has marked it yet.
pub fn aggregate(rule: Aggregation, totals: &[i64]) -> Option<i64> {
    if totals.is_empty() {
        return None;
    }
    let mut sorted = totals.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let kept = match rule {
        Aggregation::Mean => &sorted[..],
        Aggregation::TrimmedMean if n >= TRIM_FROM => &sorted[1..n - 1],
        Aggregation::TrimmedMean => &sorted[..],
        // The mean of the middle slice covers both parities: one value when odd, the two middle ones when even.
        Aggregation::Median => &sorted[(n - 1) / 2..=n / 2],
    };
    Some(mean_rounded(kept))
}

/// The spread between the highest and the lowest total (0 for fewer than two).
pub fn divergence(totals: &[i64]) -> i64 {
    match (totals.iter().max(), totals.iter().min()) {
        (Some(&max), Some(&min)) => max.saturating_sub(min),
        _ => 0,
    }
}

/// Whether the examiners disagree by more than `threshold` hundredths, so the chief examiner should look.
pub fn is_divergent(totals: &[i64], threshold: i64) -> bool {
    divergence(totals) > threshold
}

// ---------------------------------------------------------------------------------------------------------------
// Examiner severity and consistency

/// How one examiner marks compared with the colleagues who marked the same submissions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExaminerStats {
    pub examiner: i64,
    /// Submissions this examiner marked, co-marked or not.
    pub marked: usize,
    /// Mean deviation from co-examiners, in points; negative means harsher than colleagues.
    pub severity: f64,
    /// Population standard deviation of those deviations, in points; lower is more consistent.
    pub consistency: f64,
}

/// Severity and consistency for every examiner in `(submission, examiner, total hundredths)` rows, by examiner id.
pub fn examiner_stats(totals: &[(i64, i64, i64)]) -> Vec<ExaminerStats> {
    // A repeated (submission, examiner) pair is a re-mark: the later total replaces the earlier one.
    let mut by_submission: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for &(submission, examiner, total) in totals {
        by_submission
            .entry(submission)
            .or_default()
            .insert(examiner, total);
    }
    let mut per_examiner: BTreeMap<i64, (usize, Vec<f64>)> = BTreeMap::new();
    for marks in by_submission.values() {
        let sum: i128 = marks.values().map(|&t| i128::from(t)).sum();
        let colleagues = marks.len() - 1;
        for (&examiner, &total) in marks {
            let (marked, deviations) = per_examiner.entry(examiner).or_default();
            *marked += 1;
            if colleagues > 0 {
                let colleagues_mean = (sum - i128::from(total)) as f64 / colleagues as f64;
                deviations.push((total as f64 - colleagues_mean) / 100.0);
            }
        }
    }
    per_examiner
        .into_iter()
        .map(|(examiner, (marked, deviations))| {
            let (severity, consistency) = if deviations.is_empty() {
                (0.0, 0.0)
            } else {
                let n = deviations.len() as f64;
                let mean = deviations.iter().sum::<f64>() / n;
                let variance = deviations.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n;
                (mean, variance.sqrt())
            };
            ExaminerStats {
                examiner,
                marked,
                severity,
                consistency,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// The conflict rule and assignment

/// A person as the conflict rule sees them: who, where in the unit tree, and which team if entered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub user_id: i64,
    /// Materialised path such as "/1/4/9/"; the trailing slash keeps "/1/4/" from being a prefix of "/1/40/".
    pub unit_path: String,
    pub team: Option<i64>,
}

/// Whether `examiner` may mark `candidate`: never themselves, anyone in their own line of command (the same
/// unit, a unit above or below), or a teammate.
pub fn may_mark(examiner: &Party, candidate: &Party) -> bool {
    let same_person = examiner.user_id == candidate.user_id;
    let same_line = examiner.unit_path.starts_with(&candidate.unit_path)
        || candidate.unit_path.starts_with(&examiner.unit_path);
    let teammates = examiner.team.is_some() && examiner.team == candidate.team;
    !(same_person || same_line || teammates)
}

/// A submission that cannot get the required number of examiners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unassignable {
    pub submission: i64,
    /// How many examiners may mark it.
    pub eligible: usize,
}

impl std::fmt::Display for Unassignable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "submission {} has only {} eligible examiners",
            self.submission, self.eligible
        )
    }
}

impl std::error::Error for Unassignable {}

/// SplitMix64's finaliser: enough to scatter tie order without pulling in a randomness crate.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Tie order between equally loaded examiners; keyed per submission so the same examiners are not always paired.
fn tie_order(seed: u64, submission: i64, examiner: i64) -> u64 {
    mix(mix(mix(seed) ^ submission as u64) ^ examiner as u64)
}

/// Gives every submission `k` distinct examiners that `may_mark` it, spreading the load evenly. Output follows
/// the input order of submissions, each with its examiners' user ids ascending; the same inputs and seed always
/// give the same result.
pub fn assign(
    submissions: &[(i64, Party)],
    examiners: &[Party],
    k: usize,
    seed: u64,
) -> Result<Vec<(i64, Vec<i64>)>, Unassignable> {
    // An examiner listed twice is still one person and must not fill two of a submission's k places.
    let mut seen = BTreeSet::new();
    let pool: Vec<&Party> = examiners
        .iter()
        .filter(|e| seen.insert(e.user_id))
        .collect();
    let eligible: Vec<Vec<usize>> = submissions
        .iter()
        .map(|(_, candidate)| {
            (0..pool.len())
                .filter(|&x| may_mark(pool[x], candidate))
                .collect()
        })
        .collect();
    if let Some((i, e)) = eligible.iter().enumerate().find(|(_, e)| e.len() < k) {
        return Err(Unassignable {
            submission: submissions[i].0,
            eligible: e.len(),
        });
    }
    // The most constrained submissions go first, while their few examiners still have the least load.
    let mut order: Vec<usize> = (0..submissions.len()).collect();
    order.sort_by_key(|&i| eligible[i].len());
    let mut load = vec![0usize; pool.len()];
    let mut chosen = vec![Vec::new(); submissions.len()];
    for i in order {
        let submission = submissions[i].0;
        let mut candidates = eligible[i].clone();
        candidates.sort_by_cached_key(|&x| {
            let id = pool[x].user_id;
            (load[x], tie_order(seed, submission, id), id)
        });
        let mut ids: Vec<i64> = candidates[..k].iter().map(|&x| pool[x].user_id).collect();
        for &x in &candidates[..k] {
            load[x] += 1;
        }
        ids.sort_unstable();
        chosen[i] = ids;
    }
    Ok(submissions.iter().map(|(id, _)| *id).zip(chosen).collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Weighted totals and ranking

/// One stage of a competition as results see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSpec {
    pub stage: i64,
    /// Whole percent of the final total.
    pub weight: i64,
    /// The stage's full marks, in hundredths.
    pub max: i64,
}

/// One entrant's results across the stages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub entrant: i64,
    pub team: Option<i64>,
    pub unit: i64,
    /// `(stage, hundredths)`; a stage not listed scored 0.
    pub scores: Vec<(i64, i64)>,
    pub time_used_s: i64,
}

fn stage_score(c: &Candidate, stage: i64) -> i64 {
    c.scores
        .iter()
        .find(|&&(s, _)| s == stage)
        .map_or(0, |&(_, v)| v)
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Σ score / max × weight over the stages, in hundredths of points (out of 100 when the weights sum to 100).
/// A missing score counts 0, and so does a stage whose max is not positive.
pub fn weighted_total(c: &Candidate, stages: &[StageSpec]) -> i64 {
    let marked = || stages.iter().filter(|s| s.max > 0);
    let numerator = |s: &StageSpec| {
        i128::from(stage_score(c, s.stage)).saturating_mul(i128::from(s.weight) * 100)
    };
    // Summing over a common denominator and rounding once keeps three thirds at 100, where rounding each stage
    // would give 99.
    let exact = || -> Option<i128> {
        let den = marked().try_fold(1i128, |den, s| {
            let max = i128::from(s.max);
            den.checked_mul(max / gcd(den, max))
        })?;
        let num = marked().try_fold(0i128, |num, s| {
            num.checked_add(numerator(s).checked_mul(den / i128::from(s.max))?)
        })?;
        Some(div_round(num, den))
    };
    // Per-stage rounding is only for maxes so unusual that their common denominator overflows.
    let total = exact().unwrap_or_else(|| {
        marked().fold(0i128, |acc, s| {
            acc.saturating_add(div_round(numerator(s), i128::from(s.max)))
        })
    });
    clamp_i64(total)
}

/// What decides between candidates with equal totals, in the order listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TieBreak {
    /// The higher score in this stage ranks first.
    Stage(i64),
    /// Less time used ranks first.
    TimeUsed,
}

/// One row of the results table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub entrant: i64,
    pub total: i64,
    /// Standard competition ranking: 1, 2, 2, 4.
    pub rank: usize,
}

/// Candidates by total descending, then by each tie-break in order. Candidates equal on all of these share a
/// rank and are listed by entrant id.
pub fn rank(cands: &[Candidate], stages: &[StageSpec], tie_breaks: &[TieBreak]) -> Vec<Ranked> {
    // Totals and tie-break values are computed once up front so the comparator only reads integers.
    let totals: Vec<i64> = cands.iter().map(|c| weighted_total(c, stages)).collect();
    let width = tie_breaks.len();
    let keys: Vec<i64> = cands
        .iter()
        .flat_map(|c| {
            tie_breaks.iter().map(move |tb| match tb {
                TieBreak::Stage(s) => stage_score(c, *s),
                TieBreak::TimeUsed => c.time_used_s,
            })
        })
        .collect();
    // Less means `a` stands ahead of `b`.
    let standing = |a: usize, b: usize| -> Ordering {
        totals[b].cmp(&totals[a]).then_with(|| {
            let (ka, kb) = (
                &keys[a * width..(a + 1) * width],
                &keys[b * width..(b + 1) * width],
            );
            tie_breaks
                .iter()
                .zip(ka.iter().zip(kb))
                .map(|(tb, (x, y))| match tb {
                    TieBreak::Stage(_) => y.cmp(x),
                    TieBreak::TimeUsed => x.cmp(y),
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    };
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|&a, &b| standing(a, b).then(cands[a].entrant.cmp(&cands[b].entrant)));
    let mut out: Vec<Ranked> = Vec::with_capacity(cands.len());
    for (pos, &i) in order.iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if standing(order[pos - 1], i).is_eq() => prev.rank,
            _ => pos + 1,
        };
        out.push(Ranked {
            entrant: cands[i].entrant,
            total: totals[i],
            rank,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Awards

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Award {
    First,
    Second,
    Third,
}

/// How many are named 执法能手.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Champions {
    TopN(usize),
    /// The top ceil(x % of the field).
    TopPercent(u32),
}

/// The award cut-offs. Prize percentages are consecutive bands of places: first, then second, then third.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardRule {
    pub champions: Champions,
    pub first_percent: u32,
    pub second_percent: u32,
    pub third_percent: u32,
}

/// `(entrant, 执法能手, prize)` for each ranked row, in ranked order. The field is every ranked row; cut-offs
/// compare ranks, so everyone tied at a boundary gets the better award (ties are never split). A total of 0
/// earns nothing.
pub fn awards(ranked: &[Ranked], rule: &AwardRule) -> Vec<(i64, bool, Option<Award>)> {
    let field = ranked.len();
    let places = |percent: u32| (percent as usize).saturating_mul(field).div_ceil(100);
    let champions = match rule.champions {
        Champions::TopN(n) => n,
        Champions::TopPercent(p) => places(p),
    };
    let first = places(rule.first_percent);
    let second = first.saturating_add(places(rule.second_percent));
    let third = second.saturating_add(places(rule.third_percent));
    ranked
        .iter()
        .map(|r| {
            if r.total <= 0 {
                return (r.entrant, false, None);
            }
            let prize = match r.rank {
                x if x <= first => Some(Award::First),
                x if x <= second => Some(Award::Second),
                x if x <= third => Some(Award::Third),
                _ => None,
            };
            (r.entrant, r.rank <= champions, prize)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Team and unit rankings

/// A team or unit in a group ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRanked {
    pub group: i64,
    /// All its candidates, including those beyond `best_of`.
    pub members: usize,
    pub score: i64,
    pub rank: usize,
}

/// Scores each group by the rounded mean of its best `best_of` totals, then ranks: score descending, ties
/// sharing a rank and listed by group id.
fn group_ranking(groups: BTreeMap<i64, Vec<i64>>, best_of: usize) -> Vec<GroupRanked> {
    let mut rows: Vec<GroupRanked> = groups
        .into_iter()
        .map(|(group, mut totals)| {
            totals.sort_unstable_by(|a, b| b.cmp(a));
            let counted = best_of.min(totals.len());
            GroupRanked {
                group,
                members: totals.len(),
                score: mean_rounded(&totals[..counted]),
                rank: 0,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.score.cmp(&a.score).then(a.group.cmp(&b.group)));
    for pos in 0..rows.len() {
        rows[pos].rank = if pos > 0 && rows[pos - 1].score == rows[pos].score {
            rows[pos - 1].rank
        } else {
            pos + 1
        };
    }
    rows
}

/// Teams by the mean of their best `best_of` members' weighted totals (all members if fewer; 0 counts everyone).
/// Candidates without a team are left out.
pub fn team_ranking(cands: &[Candidate], stages: &[StageSpec], best_of: usize) -> Vec<GroupRanked> {
    let mut groups: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for c in cands {
        if let Some(team) = c.team {
            groups
                .entry(team)
                .or_default()
                .push(weighted_total(c, stages));
        }
    }
    group_ranking(groups, if best_of == 0 { usize::MAX } else { best_of })
}

/// Units by the mean weighted total of all their candidates.
pub fn unit_ranking(cands: &[Candidate], stages: &[StageSpec]) -> Vec<GroupRanked> {
    let mut groups: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for c in cands {
        groups
            .entry(c.unit)
            .or_default()
            .push(weighted_total(c, stages));
    }
    group_ranking(groups, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn party(user_id: i64, unit_path: &str, team: Option<i64>) -> Party {
        Party {
            user_id,
            unit_path: unit_path.to_string(),
            team,
        }
    }

    /// Whether examiner 1 in `examiner_unit` may mark candidate 2 in `candidate_unit`, neither on a team.
    fn across(examiner_unit: &str, candidate_unit: &str) -> bool {
        may_mark(
            &party(1, examiner_unit, None),
            &party(2, candidate_unit, None),
        )
    }

    fn spec(stage: i64, weight: i64, max: i64) -> StageSpec {
        StageSpec { stage, weight, max }
    }

    fn cand(entrant: i64, scores: &[(i64, i64)], time_used_s: i64) -> Candidate {
        Candidate {
            entrant,
            team: None,
            unit: 1,
            scores: scores.to_vec(),
            time_used_s,
        }
    }

    /// Candidates 1, 2, … with one stage out of 100 points weighted 100 %, so each total is the given score.
    fn scored(scores: &[i64]) -> (Vec<Candidate>, Vec<StageSpec>) {
        let cands = scores
            .iter()
            .zip(1..)
            .map(|(&s, e)| cand(e, &[(1, s)], 0))
            .collect();
        (cands, vec![spec(1, 100, 10000)])
    }

    fn ranks(rows: &[Ranked]) -> Vec<(i64, usize)> {
        rows.iter().map(|r| (r.entrant, r.rank)).collect()
    }

    fn unassignable(submission: i64, eligible: usize) -> Unassignable {
        Unassignable {
            submission,
            eligible,
        }
    }

    fn agg(rule: Aggregation, totals: &[i64]) -> i64 {
        aggregate(rule, totals).unwrap()
    }

    fn total(scores: &[(i64, i64)], stages: &[StageSpec]) -> i64 {
        weighted_total(&cand(1, scores, 0), stages)
    }

    use Aggregation::{Mean, Median, TrimmedMean};

    #[test]
    fn mean_rounds_half_away_from_zero() {
        assert_eq!((agg(Mean, &[1, 2]), agg(Mean, &[-1, -2])), (2, -2));
        assert_eq!(
            (agg(Mean, &[1, 1, 2]), agg(Mean, &[7000, 8000, 8001])),
            (1, 7667)
        );
    }

    #[test]
    fn trimmed_mean_of_five_drops_exactly_one_highest_and_one_lowest() {
        // Two examiners gave 90: only one of them is dropped, so 70, 80 and 90 remain.
        assert_eq!(agg(TrimmedMean, &[7000, 9000, 9000, 8000, 5000]), 8000);
        assert_eq!(agg(TrimmedMean, &[6000, 6000, 6000, 6000, 10000]), 6000);
    }

    #[test]
    fn trimmed_mean_of_fewer_than_five_is_the_plain_mean() {
        assert_eq!(agg(TrimmedMean, &[5000, 9000, 7000, 8000]), 7250);
    }

    #[test]
    fn median_of_an_even_count_is_the_rounded_mean_of_the_middle_two() {
        assert_eq!(agg(Median, &[8000, 7001, 9000, 6000]), 7501);
        assert_eq!(
            (agg(Median, &[3000, 1000, 2000]), agg(Median, &[42])),
            (2000, 42)
        );
    }

    #[test]
    fn nothing_to_aggregate_gives_none_and_codes_round_trip() {
        for rule in Aggregation::ALL {
            assert_eq!(aggregate(rule, &[]), None);
            assert_eq!(Aggregation::parse(rule.code()), Some(rule));
        }
        assert_eq!(TrimmedMean.code(), "trimmed_mean");
        assert_eq!(Aggregation::parse("average"), None);
    }

    #[test]
    fn divergence_is_the_spread_and_only_beyond_the_threshold_flags() {
        assert_eq!((divergence(&[]), divergence(&[5000])), (0, 0));
        assert_eq!(divergence(&[7000, 9000, 8000]), 2000);
        assert!(!is_divergent(&[7000, 9000, 8000], 2000));
        assert!(is_divergent(&[7000, 9000, 8000], 1999));
    }

    #[test]
    fn examiner_stats_measure_deviation_from_colleagues() {
        let rows = [
            (1, 10, 8000),
            (1, 11, 7000),
            (1, 12, 9000),
            (2, 10, 6000),
            (2, 11, 6000),
        ];
        let rows = [&rows[..], &[(3, 10, 5000), (4, 13, 7000)]].concat();
        let got: Vec<(i64, usize, f64, f64)> = examiner_stats(&rows)
            .iter()
            .map(|s| (s.examiner, s.marked, s.severity, s.consistency))
            .collect();
        // 11 gave 70 against colleagues' 85, then 60 against 60: deviations −15 and 0.
        let expected = [
            (10, 3, 0.0, 0.0),
            (11, 2, -7.5, 7.5),
            (12, 1, 15.0, 0.0),
            (13, 1, 0.0, 0.0),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn a_re_mark_replaces_the_examiners_earlier_total() {
        let stats = examiner_stats(&[(1, 10, 1000), (1, 11, 5000), (1, 10, 6000)]);
        assert_eq!(
            (stats[0].marked, stats[0].severity, stats[1].severity),
            (1, 10.0, -10.0)
        );
    }

    /// Whether examiner 1 on `examiner_team` may mark candidate 2 on `candidate_team`, in sibling units.
    fn on_teams(examiner_team: Option<i64>, candidate_team: Option<i64>) -> bool {
        may_mark(
            &party(1, "/1/2/", examiner_team),
            &party(2, "/1/3/", candidate_team),
        )
    }

    #[test]
    fn examiners_never_mark_themselves_or_a_teammate() {
        assert!(!may_mark(
            &party(7, "/1/2/", None),
            &party(7, "/1/3/", None)
        ));
        assert!(!on_teams(Some(9), Some(9)));
        assert!(on_teams(Some(9), Some(8)) && on_teams(Some(9), None));
    }

    #[test]
    fn examiners_never_mark_their_own_unit_nor_one_above_or_below() {
        assert!(!across("/1/2/", "/1/2/"));
        assert!(!across("/1/2/", "/1/2/5/"));
        assert!(!across("/1/2/5/", "/1/"));
    }

    #[test]
    fn examiners_may_mark_a_sibling_unit_and_two_teamless_people_are_not_teammates() {
        assert!(across("/1/2/", "/1/3/"));
        assert!(across("/1/4/", "/1/40/"));
        assert!(on_teams(None, None));
    }

    #[test]
    fn assignment_gives_each_submission_k_eligible_examiners_in_input_order() {
        let examiners =
            [(101, "/1/2/"), (102, "/1/3/"), (103, "/1/4/")].map(|(id, u)| party(id, u, None));
        let subs = [
            (50, party(1, "/1/2/7/", None)),
            (40, party(2, "/1/5/", None)),
        ];
        let out = assign(&subs, &examiners, 2, 1).unwrap();
        assert_eq!(out[0], (50, vec![102, 103]));
        assert_eq!((out[1].0, out[1].1.len()), (40, 2));
        assert!(out[1].1[0] < out[1].1[1]);
    }

    #[test]
    fn assignment_reports_the_first_submission_short_of_examiners() {
        let examiners = [party(101, "/1/2/", None), party(102, "/1/3/", None)];
        let subs = [(1, "/1/4/"), (2, "/1/2/"), (3, "/1/")].map(|(id, u)| (id, party(id, u, None)));
        assert_eq!(assign(&subs, &examiners, 2, 0), Err(unassignable(2, 1)));
    }

    #[test]
    fn an_examiner_listed_twice_fills_only_one_place() {
        let twice = party(101, "/1/2/", None);
        let examiners = [twice.clone(), twice, party(102, "/1/3/", None)];
        let subs = [(1, party(1, "/1/4/", None))];
        assert_eq!(assign(&subs, &examiners, 3, 0), Err(unassignable(1, 2)));
    }

    #[test]
    fn the_most_constrained_submission_is_served_first() {
        // Only 101 may mark submission 2; served second, it could find 101 already loaded by submission 1.
        let examiners = [party(101, "/1/2/", None), party(102, "/1/3/", None)];
        let subs = [(1, party(1, "/1/4/", None)), (2, party(2, "/1/3/", None))];
        for seed in 0..50 {
            let out = assign(&subs, &examiners, 1, seed).unwrap();
            assert_eq!(out, vec![(1, vec![102]), (2, vec![101])]);
        }
    }

    #[test]
    fn the_same_seed_repeats_the_assignment_and_other_seeds_vary_the_pairs() {
        let examiners: Vec<Party> = (0..6)
            .map(|i| party(100 + i, &format!("/2/{i}/"), None))
            .collect();
        let subs: Vec<(i64, Party)> = (0..10)
            .map(|j| (j, party(j, &format!("/3/{j}/"), None)))
            .collect();
        let first = assign(&subs, &examiners, 2, 7).unwrap();
        assert_eq!(assign(&subs, &examiners, 2, 7).unwrap(), first);
        let distinct: BTreeSet<_> = (0..10)
            .map(|seed| assign(&subs, &examiners, 2, seed).unwrap())
            .collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn weighted_total_scales_each_stage_to_its_weight() {
        assert_eq!(
            total(
                &[(1, 8000), (2, 4500)],
                &[spec(1, 60, 10000), spec(2, 40, 5000)]
            ),
            8400
        );
    }

    #[test]
    fn a_missing_score_or_a_stage_without_marks_counts_nothing() {
        let stages = [spec(1, 60, 10000), spec(2, 40, 0)];
        assert_eq!(total(&[(2, 4500)], &stages), 0);
        assert_eq!(total(&[(1, 5000), (2, 4500)], &stages), 3000);
    }

    #[test]
    fn weighted_total_rounds_once_and_half_away_from_zero() {
        // A third of the marks at weight 1 is 33⅓ hundredths: 100 for three stages, 99 if rounded per stage.
        let thirds = [spec(1, 1, 300), spec(2, 1, 300), spec(3, 1, 300)];
        assert_eq!(total(&[(1, 100), (2, 100), (3, 100)], &thirds), 100);
        let half = [spec(1, 1, 200)];
        assert_eq!((total(&[(1, 1)], &half), total(&[(1, -1)], &half)), (1, -1));
    }

    #[test]
    fn maxes_without_a_representable_common_denominator_still_give_a_total() {
        // Three pairwise coprime maxes near 10^18: their common denominator overflows i128.
        let n = 1_000_000_000_000_000_001;
        let stages = [spec(1, 30, n), spec(2, 30, n + 1), spec(3, 40, n + 2)];
        let full = [(1, n), (2, n + 1), (3, n + 2)];
        assert_eq!(total(&full, &stages), 10000);
        assert_eq!(
            total(&[(1, n / 2), (2, (n + 1) / 2), (3, (n + 2) / 2)], &stages),
            5000
        );
    }

    #[test]
    fn equal_candidates_share_a_rank_and_the_next_rank_is_skipped() {
        let (cands, stages) = scored(&[7000, 8000, 8000, 9000]);
        let rows = rank(&cands, &stages, &[]);
        assert_eq!(ranks(&rows), vec![(4, 1), (2, 2), (3, 2), (1, 4)]);
        assert_eq!(rows[3].total, 7000);
    }

    #[test]
    fn tie_breaks_apply_in_order_and_less_time_ranks_first() {
        let stages = [spec(1, 50, 10000), spec(2, 50, 10000)];
        let cands = [
            cand(1, &[(1, 6000), (2, 8000)], 300),
            cand(2, &[(1, 8000), (2, 6000)], 900),
            cand(3, &[(1, 8000), (2, 6000)], 600),
            cand(4, &[(1, 8000), (2, 6000)], 600),
        ];
        let rows = rank(&cands, &stages, &[TieBreak::Stage(1), TieBreak::TimeUsed]);
        assert_eq!(ranks(&rows), vec![(3, 1), (4, 1), (2, 3), (1, 4)]);
        let rows = rank(&cands, &stages, &[TieBreak::TimeUsed]);
        assert_eq!(ranks(&rows), vec![(1, 1), (3, 2), (4, 2), (2, 4)]);
    }

    #[test]
    fn ranking_ten_thousand_candidates_returns_every_row() {
        let stages: Vec<StageSpec> = (1..=4).map(|s| spec(s, 25, 10000)).collect();
        let mut state: u64 = 42;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as i64
        };
        let cands: Vec<Candidate> = (0..10_000)
            .map(|e| Candidate {
                entrant: e,
                team: Some(e % 300),
                unit: e % 50,
                scores: (1..=4).map(|s| (s, next() % 10001)).collect(),
                time_used_s: next() % 3600,
            })
            .collect();
        let rows = rank(&cands, &stages, &[TieBreak::Stage(2), TieBreak::TimeUsed]);
        assert_eq!((rows.len(), rows[0].rank), (10_000, 1));
    }

    /// Awards as one line per row: `*` for 执法能手, then F, S, T or - for the prize.
    fn award_line(scores: &[i64], rule: &AwardRule) -> String {
        let (cands, stages) = scored(scores);
        let got = awards(&rank(&cands, &stages, &[]), rule);
        let cell = |&(_, champion, prize): &(i64, bool, Option<Award>)| {
            let prize = match prize {
                Some(Award::First) => "F",
                Some(Award::Second) => "S",
                Some(Award::Third) => "T",
                None => "-",
            };
            format!("{}{prize}", if champion { "*" } else { "" })
        };
        got.iter().map(cell).collect::<Vec<_>>().join(" ")
    }

    fn rule(
        champions: Champions,
        first_percent: u32,
        second_percent: u32,
        third_percent: u32,
    ) -> AwardRule {
        AwardRule {
            champions,
            first_percent,
            second_percent,
            third_percent,
        }
    }

    #[test]
    fn a_tie_at_a_boundary_extends_the_better_band() {
        // Ten in the field: 1 first place, 2 second, 3 third, and a cut-off of 3 for 执法能手. The two tied
        // third-placed both get second prize and 执法能手, which uses up position 4.
        let scores = [9000, 8000, 7000, 7000, 6000, 5000, 4000, 3000, 2000, 1000];
        let line = award_line(&scores, &rule(Champions::TopN(3), 10, 20, 30));
        assert_eq!(line, "*F *S *S *S T T - - - -");
    }

    #[test]
    fn champions_by_percent_round_up_and_a_zero_total_earns_nothing() {
        let line = award_line(
            &[9000, 8000, 7000, 6000, 0],
            &rule(Champions::TopPercent(50), 100, 0, 0),
        );
        assert_eq!(line, "*F *F *F F -");
    }

    fn group(group: i64, members: usize, score: i64, rank: usize) -> GroupRanked {
        GroupRanked {
            group,
            members,
            score,
            rank,
        }
    }

    #[test]
    fn teams_count_their_best_members_and_tied_teams_share_a_rank() {
        let (mut cands, stages) = scored(&[9000, 8000, 1000, 8500, 6000, 7001, 9999]);
        let teams = [Some(1), Some(1), Some(1), Some(2), Some(3), Some(3), None];
        for (c, team) in cands.iter_mut().zip(teams) {
            c.team = team;
        }
        let expected = [
            group(1, 3, 8500, 1),
            group(2, 1, 8500, 1),
            group(3, 2, 6501, 3),
        ];
        assert_eq!(team_ranking(&cands, &stages, 2), expected);
        assert_eq!(team_ranking(&cands, &stages, 0)[0], group(2, 1, 8500, 1));
    }

    #[test]
    fn units_are_ranked_by_the_mean_of_all_their_candidates() {
        let (mut cands, stages) = scored(&[9000, 1000, 6000]);
        for (c, unit) in cands.iter_mut().zip([5, 5, 4]) {
            c.unit = unit;
        }
        assert_eq!(
            unit_ranking(&cands, &stages),
            [group(4, 1, 6000, 1), group(5, 2, 5000, 2)]
        );
    }

    // Property tests. Coarse scores and times make ties on totals and tie-breaks common.

    fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
        let row = (prop::collection::vec(0i64..=10, 3), 0i64..=4);
        prop::collection::vec(row, 1..30).prop_map(|rows| {
            let build = |(e, (scores, t)): (i64, (Vec<i64>, i64))| Candidate {
                entrant: e,
                team: Some(e % 4),
                unit: e % 3,
                scores: (1..).zip(scores).map(|(s, v)| (s, v * 500)).collect(),
                time_used_s: t * 60,
            };
            (1..).zip(rows).map(build).collect()
        })
    }

    fn stage_specs() -> impl Strategy<Value = Vec<StageSpec>> {
        let maxes = prop::sample::select(vec![3000i64, 5000, 10000]);
        prop::collection::vec((0i64..=100, maxes), 3)
            .prop_map(|v| (1..).zip(v).map(|(s, (w, max))| spec(s, w, max)).collect())
    }

    fn tie_breaks() -> impl Strategy<Value = Vec<TieBreak>> {
        let one = prop_oneof![
            Just(TieBreak::TimeUsed),
            (1i64..=3).prop_map(TieBreak::Stage)
        ];
        prop::collection::vec(one, 0..4)
    }

    /// Less means `a` wins this tie-break, from the rule's own words rather than from `rank`'s comparator.
    fn wins(tb: &TieBreak, a: &Candidate, b: &Candidate) -> Ordering {
        match tb {
            TieBreak::Stage(s) => stage_score(b, *s).cmp(&stage_score(a, *s)),
            TieBreak::TimeUsed => a.time_used_s.cmp(&b.time_used_s),
        }
    }

    const TREE: [&str; 7] = [
        "/1/", "/1/2/", "/1/3/", "/1/2/4/", "/1/2/5/", "/1/3/6/", "/1/3/7/",
    ];

    proptest! {
        #[test]
        fn raising_a_score_never_lowers_that_candidates_rank_nor_lifts_anyone_below_it_past_it(
            cands in candidates(), stages in stage_specs(), tbs in tie_breaks(),
            who in any::<prop::sample::Index>(), stage in 1i64..=3, bump in 1i64..5000,
        ) {
            let who = who.index(cands.len());
            let entrant = cands[who].entrant;
            let before = rank(&cands, &stages, &tbs);
            let mut raised = cands.clone();
            for (s, v) in raised[who].scores.iter_mut() {
                if *s == stage { *v += bump; }
            }
            let after = rank(&raised, &stages, &tbs);
            let rank_of = |rows: &[Ranked], e: i64| rows.iter().find(|r| r.entrant == e).unwrap().rank;
            let (mine_before, mine_after) = (rank_of(&before, entrant), rank_of(&after, entrant));
            prop_assert!(mine_after <= mine_before);
            for r in before.iter().filter(|r| r.rank > mine_before) {
                prop_assert!(rank_of(&after, r.entrant) > mine_after);
            }
        }

        #[test]
        fn ranking_is_a_total_order_consistent_with_the_tie_breaks(
            cands in candidates(), stages in stage_specs(), tbs in tie_breaks(),
        ) {
            let rows = rank(&cands, &stages, &tbs);
            prop_assert_eq!(rows.len(), cands.len());
            prop_assert_eq!(rows[0].rank, 1);
            let by_id: BTreeMap<i64, &Candidate> = cands.iter().map(|c| (c.entrant, c)).collect();
            for (pos, w) in rows.windows(2).enumerate() {
                let (a, b) = (by_id[&w[0].entrant], by_id[&w[1].entrant]);
                prop_assert!(w[0].total >= w[1].total);
                let decided = if w[0].total > w[1].total {
                    true
                } else {
                    match tbs.iter().map(|tb| wins(tb, a, b)).find(|o| o.is_ne()) {
                        Some(o) => { prop_assert_eq!(o, Ordering::Less); true }
                        None => false,
                    }
                };
                if decided {
                    prop_assert_eq!(w[1].rank, pos + 2);
                } else {
                    prop_assert_eq!(w[1].rank, w[0].rank);
                    prop_assert!(w[0].entrant < w[1].entrant);
                }
            }
        }

        #[test]
        fn every_aggregate_lies_between_the_lowest_and_highest_total(
            totals in prop::collection::vec(-1_000_000i64..1_000_000, 1..12),
        ) {
            let (lo, hi) = (*totals.iter().min().unwrap(), *totals.iter().max().unwrap());
            for rule in Aggregation::ALL {
                let v = aggregate(rule, &totals).unwrap();
                prop_assert!(lo <= v && v <= hi, "{:?} gave {} outside {}..={}", rule, v, lo, hi);
            }
        }

        #[test]
        fn a_trimmed_mean_of_five_or_more_is_the_mean_without_one_max_and_one_min(
            totals in prop::collection::vec(0i64..10_000, 5..12),
        ) {
            let mut rest = totals.clone();
            let max_at = rest.iter().position(|&t| t == *totals.iter().max().unwrap()).unwrap();
            rest.remove(max_at);
            let min_at = rest.iter().position(|&t| t == *totals.iter().min().unwrap()).unwrap();
            rest.remove(min_at);
            prop_assert_eq!(aggregate(Aggregation::TrimmedMean, &totals), aggregate(Aggregation::Mean, &rest));
        }

        #[test]
        fn assignment_respects_the_conflict_rule_and_gives_k_distinct_examiners(
            examiner_specs in prop::collection::vec((0usize..7, prop::option::of(0i64..3)), 1..8),
            submission_specs in prop::collection::vec((90i64..110, 0usize..7, prop::option::of(0i64..3)), 0..15),
            k in 0usize..=3, seed in any::<u64>(),
        ) {
            let examiners: Vec<Party> = examiner_specs.iter().enumerate()
                .map(|(i, &(u, t))| party(100 + i as i64, TREE[u], t)).collect();
            let subs: Vec<(i64, Party)> = submission_specs.iter().enumerate()
                .map(|(i, &(user, u, t))| (1000 + i as i64, party(user, TREE[u], t))).collect();
            let eligible = |c: &Party| examiners.iter().filter(|e| may_mark(e, c)).count();
            match assign(&subs, &examiners, k, seed) {
                Ok(out) => {
                    prop_assert_eq!(out.len(), subs.len());
                    for ((id, ids), (sub_id, c)) in out.iter().zip(&subs) {
                        prop_assert_eq!(id, sub_id);
                        prop_assert_eq!(ids.len(), k);
                        prop_assert!(ids.windows(2).all(|w| w[0] < w[1]));
                        for examiner_id in ids {
                            let e = examiners.iter().find(|e| e.user_id == *examiner_id).unwrap();
                            prop_assert!(may_mark(e, c));
                        }
                    }
                }
                Err(u) => {
                    let (first, c) = subs.iter().find(|(_, c)| eligible(c) < k).unwrap();
                    prop_assert_eq!(u, unassignable(*first, eligible(c)));
                }
            }
        }

        #[test]
        fn when_anyone_may_mark_anything_loads_differ_by_at_most_one(
            n_examiners in 1usize..8, n_subs in 0usize..30, k_seed in any::<usize>(), seed in any::<u64>(),
        ) {
            let k = 1 + k_seed % n_examiners;
            let examiners: Vec<Party> =
                (100..100 + n_examiners as i64).map(|i| party(i, &format!("/2/{i}/"), None)).collect();
            let subs: Vec<(i64, Party)> =
                (0..n_subs as i64).map(|j| (j, party(j, &format!("/3/{j}/"), None))).collect();
            let out = assign(&subs, &examiners, k, seed).unwrap();
            let mut load: BTreeMap<i64, usize> = examiners.iter().map(|e| (e.user_id, 0)).collect();
            for (_, ids) in &out {
                for id in ids { *load.get_mut(id).unwrap() += 1; }
            }
            let (lo, hi) = (load.values().min().unwrap(), load.values().max().unwrap());
            prop_assert!(hi - lo <= 1, "loads {:?}", load);
        }

        #[test]
        fn champions_fill_the_cut_off_and_any_extra_are_tied_with_the_last_inside_it(
            cands in candidates(), stages in stage_specs(), tbs in tie_breaks(),
            by_percent in any::<bool>(), n in 0usize..35, pct in 0u32..=100,
            bands in (0u32..=50, 0u32..=50, 0u32..=50),
        ) {
            let ranked = rank(&cands, &stages, &tbs);
            let champions = if by_percent { Champions::TopPercent(pct) } else { Champions::TopN(n) };
            let cut_off = if by_percent { (pct as usize * ranked.len()).div_ceil(100) } else { n };
            let got = awards(&ranked, &rule(champions, bands.0, bands.1, bands.2));
            prop_assert_eq!(got.len(), ranked.len());
            let positive = ranked.iter().filter(|r| r.total > 0).count();
            let named = got.iter().filter(|a| a.1).count();
            prop_assert!(named >= cut_off.min(positive));
            for (pos, (r, a)) in ranked.iter().zip(&got).enumerate() {
                prop_assert_eq!(r.entrant, a.0);
                if a.1 && pos >= cut_off {
                    prop_assert_eq!(r.rank, ranked[cut_off - 1].rank);
                }
                if r.total <= 0 {
                    prop_assert_eq!((a.1, a.2), (false, None));
                }
            }
            // A better place never earns a lesser prize.
            let level = |p: Option<Award>| match p {
                Some(Award::First) => 0, Some(Award::Second) => 1, Some(Award::Third) => 2, None => 3,
            };
            prop_assert!(got.windows(2).all(|w| level(w[0].2) <= level(w[1].2)));
        }
    }
}
