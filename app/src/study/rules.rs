//! The rules of study credit, as pure functions: how much reading time a heartbeat earns, when a lesson is done,
//! and how many 学时 (in hundredths) a lesson, a course test or an event is worth. Admins configure the numbers;
//! these functions are what every count goes through.

use serde::{Deserialize, Serialize};

/// 学时 in hundredths: 100 = 1 学时.
pub type Hundredths = i64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRules {
    /// A lesson of at least this many minutes earns `long_lesson`.
    pub long_minutes: u32,
    pub long_lesson: Hundredths,
    /// A lesson of at least this many minutes (and under `long_minutes`) earns `medium_lesson`.
    pub medium_minutes: u32,
    pub medium_lesson: Hundredths,
    /// Shorter lessons earn `short_lesson`.
    pub short_lesson: Hundredths,
    /// Passing a course's final test.
    pub course_test: Hundredths,
    /// The yearly target per person.
    pub yearly_target: Hundredths,
    /// The share of a knowledge check to answer correctly to pass, in percent.
    pub pass_percent: u32,
}

impl Default for HourRules {
    /// The defaults of the campaign: 30 minutes or more = 1 学时, 15–30 = 0.5, under 15 = 0.25, a course test
    /// 0.5, and 50 学时 a year.
    fn default() -> Self {
        HourRules {
            long_minutes: 30,
            long_lesson: 100,
            medium_minutes: 15,
            medium_lesson: 50,
            short_lesson: 25,
            course_test: 50,
            yearly_target: 5000,
            pass_percent: 60,
        }
    }
}

impl HourRules {
    /// What a completed lesson of `minutes` is worth.
    pub fn lesson(&self, minutes: u32) -> Hundredths {
        if minutes >= self.long_minutes {
            self.long_lesson
        } else if minutes >= self.medium_minutes {
            self.medium_lesson
        } else {
            self.short_lesson
        }
    }

    /// Whether the rules make sense: thresholds in order, credits that do not shrink as lessons grow, a target.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.medium_minutes == 0 || self.medium_minutes >= self.long_minutes {
            return Err("study.err_rule_minutes");
        }
        if !(self.short_lesson <= self.medium_lesson && self.medium_lesson <= self.long_lesson)
            || self.short_lesson < 0
            || self.long_lesson > 1000
        {
            return Err("study.err_rule_hours");
        }
        if self.course_test < 0 || self.course_test > 1000 {
            return Err("study.err_rule_hours");
        }
        if self.yearly_target <= 0 || self.yearly_target > 100_000 {
            return Err("study.err_rule_target");
        }
        if !(1..=100).contains(&self.pass_percent) {
            return Err("study.err_rule_pass");
        }
        Ok(())
    }
}

/// How reading time is counted from the page's heartbeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Seconds between heartbeats sent by a visible, active page.
    pub interval: i64,
}

impl Heartbeat {
    /// The most one heartbeat can earn: a little more than the interval, for network jitter.
    pub fn cap(&self) -> i64 {
        self.interval + self.interval / 2
    }

    /// Seconds earned by a heartbeat arriving at `now` after the previous one at `last`. The first heartbeat of a
    /// sitting earns nothing (it starts the clock); a gap longer than the cap means the page was hidden, idle or
    /// closed in between, and earns only the cap at most — nothing, if the gap is long enough to be a new sitting.
    pub fn earned(&self, last: Option<i64>, now: i64) -> i64 {
        match last {
            Some(last) if now > last => {
                let gap = now - last;
                if gap > 4 * self.interval {
                    0
                } else {
                    gap.min(self.cap())
                }
            }
            _ => 0,
        }
    }
}

/// The most reading time counted for one lesson: twice its stated length, so leaving a page open earns no more.
pub fn reading_cap(minutes: u32) -> i64 {
    i64::from(minutes.max(1)) * 60 * 2
}

/// A knowledge check passes when at least `pass_percent` of its questions are answered right.
pub fn passes(right: usize, total: usize, pass_percent: u32) -> bool {
    total > 0 && right * 100 >= total * pass_percent as usize
}

/// A lesson is complete once its knowledge check is passed; a lesson without a check, once half its stated time
/// has been read.
pub fn lesson_complete(has_check: bool, check_passed: bool, seconds: i64, minutes: u32) -> bool {
    if has_check {
        check_passed
    } else {
        seconds * 2 >= i64::from(minutes) * 60
    }
}

/// Progress in percent, never above 100.
pub fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (done.max(0) * 100 / total).min(100)
    }
}

/// 学时 as people write them: 1, 0.5, 0.25, 12.75.
pub fn format_hours(h: Hundredths) -> String {
    let whole = h / 100;
    let frac = (h % 100).abs();
    if frac == 0 {
        whole.to_string()
    } else if frac % 10 == 0 {
        format!("{whole}.{}", frac / 10)
    } else {
        format!("{whole}.{frac:02}")
    }
}

/// Parses "0.5", "1", "12.75" into hundredths.
pub fn parse_hours(s: &str) -> Option<Hundredths> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    (whole >= 0).then_some(whole * 100 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_rules_are_the_campaigns() {
        let r = HourRules::default();
        assert_eq!(r.lesson(45), 100);
        assert_eq!(r.lesson(30), 100);
        assert_eq!(r.lesson(29), 50);
        assert_eq!(r.lesson(15), 50);
        assert_eq!(r.lesson(14), 25);
        assert_eq!(r.course_test, 50);
        assert_eq!(r.yearly_target, 5000);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn hours_are_written_and_read_as_people_do() {
        assert_eq!(format_hours(100), "1");
        assert_eq!(format_hours(50), "0.5");
        assert_eq!(format_hours(25), "0.25");
        assert_eq!(format_hours(1275), "12.75");
        assert_eq!(parse_hours("0.5"), Some(50));
        assert_eq!(parse_hours("12.75"), Some(1275));
        assert_eq!(parse_hours("3"), Some(300));
        assert_eq!(parse_hours(".5"), Some(50));
        assert_eq!(parse_hours("1.234"), None);
        assert_eq!(parse_hours("-1"), None);
        assert_eq!(parse_hours("abc"), None);
        assert_eq!(parse_hours(""), None);
    }

    #[test]
    fn a_sitting_starts_with_nothing_and_a_long_gap_earns_nothing() {
        let h = Heartbeat { interval: 20 };
        assert_eq!(h.earned(None, 1000), 0);
        assert_eq!(h.earned(Some(1000), 1020), 20);
        assert_eq!(h.earned(Some(1000), 1029), 29);
        assert_eq!(h.earned(Some(1000), 1050), 30, "capped");
        assert_eq!(
            h.earned(Some(1000), 1081),
            0,
            "a hidden or idle stretch is a new sitting"
        );
        assert_eq!(h.earned(Some(1000), 990), 0, "time never runs backwards");
    }

    proptest! {
        #[test]
        fn heartbeats_never_earn_more_than_wall_time_nor_more_than_the_cap_each(
            interval in 5i64..120,
            gaps in proptest::collection::vec(0i64..600, 1..200),
        ) {
            let h = Heartbeat { interval };
            let mut now = 1_000_000;
            let mut last = None;
            let mut earned = 0;
            for gap in &gaps {
                now += gap;
                let e = h.earned(last, now);
                prop_assert!((0..=h.cap()).contains(&e));
                earned += e;
                last = Some(now);
            }
            prop_assert!(earned <= now - 1_000_000);
        }

        #[test]
        fn a_page_beating_on_time_earns_its_wall_time(interval in 5i64..120, beats in 2usize..200) {
            let h = Heartbeat { interval };
            let mut last = None;
            let mut earned = 0;
            for i in 0..beats {
                let now = 1_000 + i as i64 * interval;
                earned += h.earned(last, now);
                last = Some(now);
            }
            prop_assert_eq!(earned, (beats as i64 - 1) * interval);
        }

        #[test]
        fn longer_lessons_never_earn_less(rules_long in 2u32..120, a in 0u32..300, b in 0u32..300) {
            let r = HourRules { long_minutes: rules_long, medium_minutes: rules_long / 2 + 1, ..HourRules::default() };
            prop_assume!(r.validate().is_ok());
            let (short, long) = (a.min(b), a.max(b));
            prop_assert!(r.lesson(short) <= r.lesson(long));
        }

        #[test]
        fn passing_is_monotone_in_right_answers(total in 1usize..50, right in 0usize..50, pass in 1u32..=100) {
            let right = right.min(total);
            if passes(right, total, pass) && right < total {
                prop_assert!(passes(right + 1, total, pass));
            }
            prop_assert!(passes(total, total, pass));
            prop_assert!(!passes(0, total, pass));
        }

        #[test]
        fn hours_round_trip(h in 0i64..1_000_000) {
            prop_assert_eq!(parse_hours(&format_hours(h)), Some(h));
        }

        #[test]
        fn percent_stays_between_0_and_100(done in -10i64..1000, total in -5i64..1000) {
            let p = percent(done, total);
            prop_assert!((0..=100).contains(&p));
        }
    }
}
