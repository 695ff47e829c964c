//! The one calendar of the pack, used by every metric, `date_trunc` and the `engage` shell:
//! calendar days (days since 1970-01-01) of timestamps in their own time zone, civil dates,
//! constant INTERVALs added to zoned times as DataFusion adds them, and the units reports
//! group by — day, week (from Monday), month, quarter and year.

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::ArrayRef;
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;

pub(crate) mod civil;
pub(crate) mod intervals;
pub(crate) mod zoned_days;

use civil::CivilDate;

/// 1970-01-01, day 0, was a Thursday: the Monday of its week is 3 days earlier.
const DAYS_BEFORE_FIRST_MONDAY: i64 = 3;

/// The date of a day (days since 1970-01-01); `None` beyond chrono's range (±262 000 years).
pub fn date_of_day(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day.checked_add(EPOCH_DAYS_FROM_CE)?).ok()?)
}

/// The day (days since 1970-01-01) of a date.
pub fn day_of_date(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// A calendar unit: the periods reports group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    /// A calendar day.
    Day,
    /// A week from Monday, as `date_trunc('week', …)`.
    Week,
    /// A calendar month.
    Month,
    /// January–March, April–June, July–September, October–December.
    Quarter,
    /// A calendar year.
    Year,
}

impl CalendarUnit {
    /// Every unit, shortest first.
    pub const ALL: [Self; 5] = [
        Self::Day,
        Self::Week,
        Self::Month,
        Self::Quarter,
        Self::Year,
    ];

    /// The unit's name in SQL: `'day'`, `'week'`, `'month'`, `'quarter'`, `'year'`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    /// The unit called `name` in any letter case, as `date_trunc` reads its precision.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|unit| unit.name().eq_ignore_ascii_case(name))
    }

    /// The unit a constant argument names, among `allowed`: a string (blanks around it
    /// ignored, any letter case). The error names the function, the argument, the value and
    /// the units allowed.
    pub(crate) fn of_argument(
        function: &str,
        argument: &str,
        value: &ScalarValue,
        allowed: &[Self],
    ) -> Result<Self> {
        let expected = || {
            let names: Vec<String> = allowed.iter().map(|u| format!("'{}'", u.name())).collect();
            match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => "a calendar unit".to_string(),
            }
        };
        let text = match value {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)) => s,
            ScalarValue::Dictionary(_, inner) => {
                return Self::of_argument(function, argument, inner, allowed);
            }
            other if other.is_null() => {
                return plan_err!("{function}: {argument} must not be NULL");
            }
            other => {
                return plan_err!("{function}: {argument} must be {}, got {other}", expected());
            }
        };
        match Self::named(text.trim()) {
            Some(unit) if allowed.contains(&unit) => Ok(unit),
            _ => plan_err!(
                "{function}: {argument} must be {}, got '{text}'",
                expected()
            ),
        }
    }

    /// The first day of the period holding `day` (both days since 1970-01-01; `day` within
    /// [`civil::CIVIL_DAYS`]), in whole-array arithmetic.
    #[inline(always)]
    pub(crate) fn start_of(self, day: i32) -> i32 {
        match self {
            Self::Day => day,
            Self::Week => day - (day + DAYS_BEFORE_FIRST_MONDAY as i32).rem_euclid(7),
            Self::Month => day - CivilDate::of(day).day_of_month0() as i32,
            Self::Quarter => CivilDate::of(day).quarter_start(),
            Self::Year => CivilDate::of(day).year_start(),
        }
    }

    /// The first day of period number `period` (see [`PeriodNumbers`]); `None` beyond the
    /// calendar's range.
    pub(crate) fn first_day(self, period: i64) -> Option<i64> {
        let first_of_month = |month: i64| {
            let year = i32::try_from(1970 + month.div_euclid(12)).ok()?;
            NaiveDate::from_ymd_opt(year, month.rem_euclid(12) as u32 + 1, 1).map(day_of_date)
        };
        match self {
            Self::Day => Some(period),
            Self::Week => Some(period.checked_mul(7)? - DAYS_BEFORE_FIRST_MONDAY),
            Self::Month => first_of_month(period),
            Self::Quarter => first_of_month(period.checked_mul(3)?),
            Self::Year => first_of_month(period.checked_mul(12)?),
        }
    }
}

impl CalendarUnit {
    /// The days of the whole periods from the one holding `first_day` to the one holding
    /// `last_day` (days since 1970-01-01, `first_day <= last_day`): a month, `'month'`, of
    /// one active day counts all its days. Beyond the calendar's range, the days between.
    pub(crate) fn days_of_periods(self, first_day: i32, last_day: i32) -> i64 {
        let mut numbers = PeriodNumbers::new(self);
        let first = self.first_day(numbers.of_day(first_day));
        let after_last = numbers
            .of_day(last_day)
            .checked_add(1)
            .and_then(|next| self.first_day(next));
        match first.zip(after_last) {
            Some((first, after_last)) => after_last - first,
            None => i64::from(last_day) - i64::from(first_day) + 1,
        }
    }

    /// How many periods run from the one holding `first_day` to the one holding `last_day`,
    /// both counted.
    pub(crate) fn periods_spanned(self, first_day: i32, last_day: i32) -> i64 {
        let mut numbers = PeriodNumbers::new(self);
        numbers.of_day(last_day) - numbers.of_day(first_day) + 1
    }

    /// The number of the period holding each event time (NULL times get a number too; the
    /// caller skips them), in the times' own zone.
    pub(crate) fn period_numbers(self, function: &str, times: &ArrayRef) -> Result<Vec<i64>> {
        let mut numbers = PeriodNumbers::new(self);
        Ok(zoned_days::days_since_epoch(function, times)?
            .into_iter()
            .map(|day| numbers.of_day(day))
            .collect())
    }

    /// A period's length in years: a year, a quarter is ¼, a month 1⁄12; a week 7 and a day 1
    /// of the 365.25 days of an average year.
    pub(crate) fn years(self) -> f64 {
        match self {
            Self::Day => 1.0 / DAYS_PER_YEAR,
            Self::Week => 7.0 / DAYS_PER_YEAR,
            Self::Month => 1.0 / 12.0,
            Self::Quarter => 0.25,
            Self::Year => 1.0,
        }
    }
}

/// Days in an average year, leap years included.
pub(crate) const DAYS_PER_YEAR: f64 = 365.25;

/// Numbers the periods of a unit from the one holding 1970-01-01 (period 0), so that
/// consecutive periods have consecutive numbers. Keeps the last day's month: rows of an
/// event log come a day at a time.
#[derive(Debug, Clone)]
pub(crate) struct PeriodNumbers {
    unit: CalendarUnit,
    /// The last day asked for and its month's number.
    month_of: (i32, i64),
}

impl PeriodNumbers {
    pub(crate) fn new(unit: CalendarUnit) -> Self {
        Self {
            unit,
            month_of: (i32::MIN, 0),
        }
    }

    /// The number of the period holding `day` (days since 1970-01-01). Days beyond chrono's
    /// range (±262 000 years) get numbers far beyond any real period's.
    pub(crate) fn of_day(&mut self, day: i32) -> i64 {
        let day64 = i64::from(day);
        match self.unit {
            CalendarUnit::Day => day64,
            CalendarUnit::Week => (day64 + DAYS_BEFORE_FIRST_MONDAY).div_euclid(7),
            CalendarUnit::Month => self.month(day),
            CalendarUnit::Quarter => self.month(day).div_euclid(3),
            CalendarUnit::Year => self.month(day).div_euclid(12),
        }
    }

    /// Months since January 1970.
    fn month(&mut self, day: i32) -> i64 {
        if self.month_of.0 != day {
            let day64 = i64::from(day);
            let month = date_of_day(day64).map_or(day64.signum() * (i64::MAX / 4), |date| {
                (i64::from(date.year()) - 1970) * 12 + i64::from(date.month0())
            });
            self.month_of = (day, month);
        }
        self.month_of.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_of_days_and_their_first_days() {
        // 2026-11-23 was a Monday: day 20 780.
        let monday = 20_780;
        let mut weeks = PeriodNumbers::new(CalendarUnit::Week);
        let week = weeks.of_day(monday);
        assert_eq!(weeks.of_day(monday + 6), week);
        assert_eq!(weeks.of_day(monday - 1), week - 1);
        assert_eq!(CalendarUnit::Week.first_day(week), Some(i64::from(monday)));
        let mut months = PeriodNumbers::new(CalendarUnit::Month);
        let month = months.of_day(monday);
        assert_eq!(month, (2026 - 1970) * 12 + 10);
        assert_eq!(
            CalendarUnit::Month.first_day(month),
            Some(i64::from(monday) - 22)
        );
        // Quarters and years: 2026-11-23 is in Q4 2026, which starts on 1 October.
        let quarter = PeriodNumbers::new(CalendarUnit::Quarter).of_day(monday);
        assert_eq!(quarter, (2026 - 1970) * 4 + 3);
        let october = day_of_date(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(CalendarUnit::Quarter.first_day(quarter), Some(october));
        let year = PeriodNumbers::new(CalendarUnit::Year).of_day(monday);
        assert_eq!(year, 2026 - 1970);
        let january = day_of_date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(CalendarUnit::Year.first_day(year), Some(january));
        // Before 1970 too.
        assert_eq!(months.of_day(-1), -1);
        assert_eq!(CalendarUnit::Month.first_day(-1), Some(-31));
        assert_eq!(CalendarUnit::Week.first_day(0), Some(-3));
        assert_eq!(PeriodNumbers::new(CalendarUnit::Quarter).of_day(-1), -1);
        assert_eq!(CalendarUnit::Year.first_day(-1), Some(-365));
    }

    #[test]
    fn the_start_of_a_period_is_the_first_day_of_its_number() {
        for unit in CalendarUnit::ALL {
            let mut numbers = PeriodNumbers::new(unit);
            for day in (-719_000..800_000).step_by(997).chain(-400..400) {
                let first = unit.first_day(numbers.of_day(day));
                assert_eq!(
                    first,
                    Some(i64::from(unit.start_of(day))),
                    "{unit:?} of {day}"
                );
            }
        }
    }

    #[test]
    fn whole_periods_count_every_day_and_every_period_they_hold() {
        let day = |y, m, d| day_of_date(NaiveDate::from_ymd_opt(y, m, d).unwrap()) as i32;
        // July 1 and 2 in months: all 31 days of July; June 3 to 24: June's 30.
        let month = CalendarUnit::Month;
        assert_eq!(month.days_of_periods(day(2026, 7, 1), day(2026, 7, 2)), 31);
        assert_eq!(month.days_of_periods(day(2026, 6, 3), day(2026, 6, 24)), 30);
        // Across a leap February, and whole years.
        assert_eq!(month.days_of_periods(day(2024, 1, 31), day(2024, 2, 1)), 60);
        assert_eq!(
            CalendarUnit::Year.days_of_periods(day(2024, 5, 1), day(2025, 1, 1)),
            366 + 365
        );
        // A week from Monday: 2026-11-25 (Wednesday) is in the week of the 23rd.
        let week = CalendarUnit::Week;
        assert_eq!(
            week.days_of_periods(day(2026, 11, 25), day(2026, 11, 25)),
            7
        );
        assert_eq!(
            week.days_of_periods(day(2026, 11, 29), day(2026, 11, 30)),
            14
        );
        assert_eq!(
            CalendarUnit::Day.days_of_periods(day(2026, 7, 1), day(2026, 7, 3)),
            3
        );
        // Monthly orders from January to December are one year; three years of them, three.
        let year = CalendarUnit::Year;
        assert_eq!(year.periods_spanned(day(2026, 1, 1), day(2026, 12, 1)), 1);
        assert_eq!(year.periods_spanned(day(2024, 1, 1), day(2026, 12, 1)), 3);
        assert_eq!(month.periods_spanned(day(2026, 1, 1), day(2026, 12, 1)), 12);
        assert_eq!(
            CalendarUnit::Quarter.periods_spanned(day(2026, 3, 31), day(2026, 4, 1)),
            2
        );
        // Beyond the calendar's range: the days between.
        assert_eq!(month.days_of_periods(i32::MAX - 1, i32::MAX), 2);
    }

    #[test]
    fn dates_and_days_convert_both_ways() {
        let date = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(date_of_day(day_of_date(date)), Some(date));
        assert_eq!(day_of_date(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()), 0);
        assert_eq!(date_of_day(i64::MAX), None);
    }

    #[test]
    fn units_are_read_by_name_and_refused_with_the_value() {
        assert_eq!(CalendarUnit::named("WEEK"), Some(CalendarUnit::Week));
        assert_eq!(CalendarUnit::named(" week"), None);
        let allowed = [CalendarUnit::Day, CalendarUnit::Week, CalendarUnit::Month];
        let unit = CalendarUnit::of_argument("f", "period", &ScalarValue::from(" Week "), &allowed);
        assert_eq!(unit.unwrap(), CalendarUnit::Week);
        let error =
            CalendarUnit::of_argument("f", "period", &ScalarValue::from("fortnight"), &allowed)
                .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("f: period must be 'day', 'week' or 'month', got 'fortnight'"),
            "{error}"
        );
        let error = CalendarUnit::of_argument("f", "period", &ScalarValue::from("year"), &allowed)
            .unwrap_err();
        assert!(error.to_string().contains("got 'year'"), "{error}");
        let error = CalendarUnit::of_argument("f", "period", &ScalarValue::Utf8(None), &allowed)
            .unwrap_err();
        assert!(
            error.to_string().contains("f: period must not be NULL"),
            "{error}"
        );
    }
}
