//! Civil dates for whole arrays of days: a date as the proleptic Gregorian calendar counts it
//! from 1 March of year 0, so that the leap day ends the year (Howard Hinnant's
//! `civil_from_days`). For days from 0000-03-01 on every quantity is a small non-negative
//! integer: 32-bit arithmetic, divisions by constants, no branch but the quarter's.

/// The days [`CivilDate::of`] takes: from 0000-03-01 to about year 11 700 000.
pub(crate) const CIVIL_DAYS: std::ops::RangeInclusive<i64> =
    -(DAYS_TO_EPOCH as i64)..=(i32::MAX as i64 - DAYS_TO_EPOCH as i64);

/// A day's place in its March-based year and 400-year era.
pub(crate) struct CivilDate {
    /// The day's number since 1970-01-01.
    day: i32,
    /// Years since the start of the 400-year era (0–399) and the era's number (4 or 5 for
    /// the years 1600 to 2399).
    year_of_era: u32,
    era: u32,
    /// The day of the March-based year (0–365) and its month (0 = March … 11 = February).
    day_of_year: u32,
    month: u32,
}

/// Days from 0000-03-01 to 1970-01-01.
const DAYS_TO_EPOCH: u32 = 719_468;
const DAYS_PER_ERA: u32 = 146_097;

impl CivilDate {
    /// The date of `day` (days since 1970-01-01, within [`CIVIL_DAYS`]).
    #[inline(always)]
    pub(crate) fn of(day: i32) -> Self {
        debug_assert!(CIVIL_DAYS.contains(&i64::from(day)));
        let days = (day + DAYS_TO_EPOCH as i32) as u32;
        let era = days / DAYS_PER_ERA;
        let day_of_era = days % DAYS_PER_ERA;
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month = (5 * day_of_year + 2) / 153;
        Self {
            day,
            year_of_era,
            era,
            day_of_year,
            month,
        }
    }

    /// The first day of the March-based year's `month` (0–11), from the year's start.
    #[inline(always)]
    fn month_offset(month: u32) -> u32 {
        (153 * month + 2) / 5
    }

    /// Days since the first of the month.
    #[inline(always)]
    pub(crate) fn day_of_month0(&self) -> u32 {
        self.day_of_year - Self::month_offset(self.month)
    }

    /// The day number of the first day of `month` (0 = March … 11 = February of the next
    /// calendar year) of this date's March-based year.
    #[inline(always)]
    fn day_of(&self, month: u32) -> i32 {
        self.day - self.day_of_year as i32 + Self::month_offset(month) as i32
    }

    /// The first day of the calendar quarter.
    #[inline(always)]
    pub(crate) fn quarter_start(&self) -> i32 {
        // Calendar quarters start in January, April (1 here), July (4) and October (7).
        match self.month {
            0 => self.year_start(),
            1..=3 => self.day_of(1),
            4..=6 => self.day_of(4),
            7..=9 => self.day_of(7),
            _ => self.day_of(10),
        }
    }

    /// The first day of the calendar year. January and February (10, 11) are in the calendar
    /// year after the one the March-based year starts in: for a date from March to December,
    /// 1 January is a calendar year before the `day_of(10)` of its March-based year.
    #[inline(always)]
    pub(crate) fn year_start(&self) -> i32 {
        let next_january = self.day_of(10);
        match self.month {
            10 | 11 => next_january,
            _ => next_january - days_in_year(self.era * 400 + self.year_of_era),
        }
    }
}

/// The days of a calendar year of the proleptic Gregorian calendar.
#[inline(always)]
fn days_in_year(year: u32) -> i32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    365 + i32::from(leap)
}
