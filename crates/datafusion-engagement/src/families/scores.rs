//! Survey scores: the scales nps, csat and ces read and their validation.

use std::cell::Cell;

use datafusion::arrow::array::{ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use datafusion::common::{DataFusionError, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::error::Result;

use crate::common::args::{coerce_numeric, integer_constant};
use crate::common::rows::SelectedRows;

/// The valid whole-number answers of a survey question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoreScale {
    pub min: f64,
    pub max: f64,
}

/// 2^52: adding and taking it away rounds a double from 0 to 2^52 to a whole number, and
/// OR-ing an integer below 2^52 into its mantissa makes that integer a double.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// The 0–10 "how likely are you to recommend us" question of the Net Promoter Score.
pub(crate) const NPS_SCALE: ScoreScale = ScoreScale {
    min: 0.0,
    max: 10.0,
};
/// NPS answers from this score up are promoters.
pub(crate) const NPS_PROMOTER_FROM: f64 = 9.0;
/// NPS answers up to this score are detractors.
pub(crate) const NPS_DETRACTOR_UP_TO: f64 = 6.0;

impl ScoreScale {
    /// True for a whole number on the scale. NaN fails every comparison. Adding and taking
    /// away 2^52 rounds a number from 0 to 2^52 to a whole one (scales start at 0 or more and
    /// end far below 2^52), with neither a libm call (`fract()`) nor a conversion to an
    /// integer, which SSE2 cannot do for a vector of doubles. No short-circuit: the batch check
    /// ([`first_invalid_after`]) is vectorized.
    #[inline(always)]
    fn is_valid(&self, score: f64) -> bool {
        (score >= self.min) & (score <= self.max) & ((score + TWO_POW_52) - TWO_POW_52 == score)
    }

    /// The error for an invalid score, naming the function, the value and the valid range.
    #[cold]
    fn invalid(&self, function: &str, score: f64) -> DataFusionError {
        exec_datafusion_err!(
            "{function}: score {score} is not valid: expected a whole number from {} to {}",
            self.min,
            self.max
        )
    }

    /// Checks one score.
    pub(crate) fn check(&self, function: &str, score: f64) -> Result<f64> {
        if self.is_valid(score) {
            Ok(score)
        } else {
            Err(self.invalid(function, score))
        }
    }
}

/// Calls `f(row, score)` for every selected row of the (Float64) score column; fails, naming
/// the first score outside `scale`, if there is one.
#[inline]
pub(crate) fn for_each_score(
    function: &str,
    scale: &ScoreScale,
    scores: &ArrayRef,
    rows: &SelectedRows,
    f: impl FnMut(usize, f64),
) -> Result<()> {
    let first_invalid = match scores.data_type() {
        // Whole numbers by type: only the range is checked.
        DataType::Int32 => {
            let (min, max) = (scale.min as i32, scale.max as i32);
            let scores = scores.as_primitive::<Int32Type>().values();
            first_invalid_after(scores, rows, |s| (s >= min) & (s <= max), f64::from, f)
        }
        DataType::Int64 => {
            let (min, max) = (scale.min as i64, scale.max as i64);
            let scores = scores.as_primitive::<Int64Type>().values();
            first_invalid_after(scores, rows, |s| (s >= min) & (s <= max), |s| s as f64, f)
        }
        // DECIMAL shares the Float64 loop (one more loop calling `f` would keep it out of
        // line for every type).
        data_type => {
            let mut buffer = SCORE_BUFFER.take();
            let (doubles, mut checked) = match data_type {
                DataType::Decimal128(_, decimal_scale) => {
                    let decimals = scores.as_primitive();
                    (
                        None,
                        decimal_scores(decimals, *decimal_scale, scale, &mut buffer),
                    )
                }
                _ => {
                    let doubles = scores.as_primitive::<Float64Type>().values().as_ref();
                    (Some(doubles), all_valid_doubles(doubles, scale))
                }
            };
            let scores = doubles.unwrap_or(&buffer);
            if let (false, SelectedRows::Some(selected)) = (checked, rows) {
                // What lies under a NULL (0 from Parquet, off a 1-to-n scale) failed the check
                // and sent the batch row by row (ces on DOUBLE scores with 10 % NULLs: 1.15 ×
                // `avg`): checked again, the rows read alone.
                checked = selected_valid_doubles(scores, selected, scale);
            }
            let is_valid = |s| checked || scale.is_valid(s);
            let first_invalid = first_invalid_after(scores, rows, is_valid, |s| s, f);
            SCORE_BUFFER.set(buffer);
            first_invalid
        }
    };
    match first_invalid {
        Some(score) => Err(scale.invalid(function, score)),
        None => Ok(()),
    }
}

/// True if every DOUBLE score is valid on `scale`: the check of [`first_invalid_after`], in a
/// loop of its own so that it can use AVX2 where the CPU has it. The portable build has SSE2's
/// two doubles per instruction, and the check took a quarter of nps's per-row time on DOUBLE
/// scores (nps cost 1.11 × `avg`; with integer scores, checked four at a time, 1.00 ×).
fn all_valid_doubles(scores: &[f64], scale: &ScoreScale) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { all_valid_doubles_avx2(scores, scale) };
    }
    all_valid_doubles_portable(scores, scale)
}

/// [`ScoreScale::is_valid`] for every score, in bits OR-ed together (see [`invalid_bits`]).
/// Folding the flags themselves packed each vector of them into integers first, twice the
/// work, and a running least and greatest score is not vectorized (NaN makes the order of a
/// floating point minimum matter). −0 fails here (its sign), and is then checked row by row.
#[inline(always)]
fn all_valid_doubles_portable(scores: &[f64], scale: &ScoreScale) -> bool {
    let (min, max) = (scale.min, scale.max);
    let invalid = scores
        .iter()
        .fold(0, |invalid, &score| invalid | invalid_bits(score, min, max));
    invalid == 0
}

/// Zero for a valid score from `min` to `max`: [`outside_bits`] and every bit of the
/// difference from the nearest whole number (nonzero for a fraction, NaN or an infinity).
#[inline(always)]
fn invalid_bits(score: f64, min: f64, max: f64) -> u64 {
    let whole = (score + TWO_POW_52) - TWO_POW_52;
    outside_bits(score, min, max) | (whole - score).to_bits()
}

/// The sign bits of `score − min` and `max − score`: set for a score below or above the scale.
#[inline(always)]
fn outside_bits(score: f64, min: f64, max: f64) -> u64 {
    const SIGN: u64 = 1 << 63;
    ((score - min).to_bits() | (max - score).to_bits()) & SIGN
}

/// [`all_valid_doubles`] for the selected rows alone: each row's [`invalid_bits`] count where
/// its bit of `selected` is set, 64 rows to a word of the bitmap (a loop of fixed length that
/// AVX2 vectorizes with its per-lane shifts).
fn selected_valid_doubles(scores: &[f64], selected: &BooleanBuffer, scale: &ScoreScale) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { selected_valid_doubles_avx2(scores, selected, scale) };
    }
    selected_valid_doubles_portable(scores, selected, scale)
}

#[inline(always)]
fn selected_valid_doubles_portable(
    scores: &[f64],
    selected: &BooleanBuffer,
    scale: &ScoreScale,
) -> bool {
    let (min, max) = (scale.min, scale.max);
    let masked = |word: u64, scores: &[f64]| {
        scores.iter().enumerate().fold(0, |invalid, (bit, &score)| {
            let read = 0_u64.wrapping_sub((word >> bit) & 1);
            invalid | (invalid_bits(score, min, max) & read)
        })
    };
    let words = selected.bit_chunks();
    let mut invalid = 0;
    for (word, scores) in words.iter().zip(scores.chunks_exact(64)) {
        invalid |= masked(word, scores);
    }
    invalid |= masked(words.remainder_bits(), &scores[words.chunk_len() * 64..]);
    invalid == 0
}

/// [`selected_valid_doubles_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn selected_valid_doubles_avx2(
    scores: &[f64],
    selected: &BooleanBuffer,
    scale: &ScoreScale,
) -> bool {
    selected_valid_doubles_portable(scores, selected, scale)
}

/// [`all_valid_doubles_portable`] compiled for AVX2: four doubles per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_valid_doubles_avx2(scores: &[f64], scale: &ScoreScale) -> bool {
    all_valid_doubles_portable(scores, scale)
}

thread_local! {
    /// The buffer DECIMAL scores are converted into, kept for the thread's next batch (one
    /// batch of doubles, 64 KiB at the default batch size): a new vector per batch is zeroed
    /// and, freed and allocated again, often faults its pages in anew (BENCHMARKS.md has the
    /// profile). Taken out while in use, so a call within a call gets a vector of its own.
    static SCORE_BUFFER: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// Writes the values of a DECIMAL score column into `scores` as DOUBLE, a whole number exactly
/// when the decimal is one; returns whether they are known to be valid scores on `scale`
/// (`false` means unchecked).
/// Up to 9 decimal places, a value that fits 64 bits (every valid score) is converted
/// through i64, one instruction, where arrow's cast converts each i128 in a library call
/// (DECIMAL scores took 1.8 × the time of `avg`); the value and the power of ten are then exact
/// doubles, so the quotient of a whole number is exact. Other values divide in i128.
fn decimal_scores(
    decimals: &Decimal128Array,
    decimal_scale: i8,
    scale: &ScoreScale,
    scores: &mut Vec<f64>,
) -> bool {
    let values = decimals.values();
    match u32::try_from(decimal_scale) {
        Ok(places @ 0..=9) => {
            if small_decimal_scores(decimals, places, scale, scores) {
                return true;
            }
            let power_of_ten = 10_f64.powi(places as i32);
            scores.clear();
            scores.extend(values.iter().map(|&value| match i64::try_from(value) {
                Ok(value) => value as f64 / power_of_ten,
                Err(_) => wide_decimal_to_f64(value, places),
            }));
        }
        Ok(places) => {
            scores.clear();
            scores.extend(
                values
                    .iter()
                    .map(|&value| wide_decimal_to_f64(value, places)),
            );
        }
        // A negative scale multiplies: whole either way.
        Err(_) => {
            let power_of_ten = 10_f64.powi(-i32::from(decimal_scale));
            scores.clear();
            scores.extend(values.iter().map(|&value| value as f64 * power_of_ten));
        }
    }
    false
}

/// [`decimal_scores`] when every value is from 0 to 2^51 − 1 units of 10^-places and stands for
/// a whole number on `scale` (as every valid score does): true then, false (`scores` left to
/// be rewritten) otherwise. No division and no branch per value: the loop works on the 64-bit
/// halves of the values with operations SSE2 has for vectors (BENCHMARKS.md has the profile).
/// Checking the scale here spares the caller a second pass over the scores.
fn small_decimal_scores(
    decimals: &Decimal128Array,
    places: u32,
    scale: &ScoreScale,
    scores: &mut Vec<f64>,
) -> bool {
    if cfg!(target_endian = "big") {
        return false;
    }
    // Each value as its low and high 64-bit words (in this order on a little-endian machine).
    let words = decimals.values().inner().typed_data::<u64>();
    // Every element is written below, so only what the buffer lacks is zeroed (collected
    // from an iterator instead, the loop was not vectorized and took twice the time).
    scores.resize(decimals.len(), 0.0);
    let units = DecimalUnits::new(places, scale);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { units.convert_avx2(words, scores) };
    }
    units.convert(words, scores)
}

/// How [`small_decimal_scores`] reads DECIMAL units of 10^-places as scores on a scale.
struct DecimalUnits {
    power_of_ten: f64,
    inverse: f64,
    min: f64,
    max: f64,
}

impl DecimalUnits {
    fn new(places: u32, scale: &ScoreScale) -> Self {
        let power_of_ten = 10_f64.powi(places as i32);
        Self {
            power_of_ten,
            inverse: 1.0 / power_of_ten,
            min: scale.min,
            max: scale.max,
        }
    }

    /// Converts each value (two words) into `scores`; true if every one is a valid score.
    /// What fails is gathered in bits OR-ed together, as in [`all_valid_doubles_portable`].
    #[inline(always)]
    fn convert(&self, words: &[u64], scores: &mut [f64]) -> bool {
        let mut failed = 0_u64;
        for (score, words) in scores.iter_mut().zip(words.chunks_exact(2)) {
            let (low, high) = (words[0], words[1]);
            // Nonzero unless the value is from 0 to 2^51 − 1.
            failed |= high | (low >> 51);
            // Below 2^52, the low word is the mantissa of 2^52 + low: taking 2^52 away gives
            // it as an exact double.
            let units = f64::from_bits(low | TWO_POW_52.to_bits()) - TWO_POW_52;
            // units × 10^-places is off by a rounding at most; its nearest whole number is the
            // score exactly when that times 10^places (exact: both are whole and below 2^53)
            // gives back the units.
            *score = (units * self.inverse + TWO_POW_52) - TWO_POW_52;
            failed |= outside_bits(*score, self.min, self.max)
                | (*score * self.power_of_ten - units).to_bits();
        }
        failed == 0
    }

    /// [`Self::convert`] compiled for AVX2: four values per instruction.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn convert_avx2(&self, words: &[u64], scores: &mut [f64]) -> bool {
        self.convert(words, scores)
    }
}

/// `value / 10^places` as DOUBLE: a whole quotient exactly, and a fraction never as a whole
/// number, however small it is (it is then the next double up, reported as not valid).
/// Out of line so that the compiler does not merge it with the fast conversion above.
#[cold]
#[inline(never)]
fn wide_decimal_to_f64(value: i128, places: u32) -> f64 {
    let Some(power) = 10_i128.checked_pow(places) else {
        return value as f64 / 10_f64.powi(places as i32);
    };
    let quotient = value as f64 / power as f64;
    match value % power {
        0 => (value / power) as f64,
        _ if quotient.fract() == 0.0 => quotient.next_up(),
        _ => quotient,
    }
}

/// Calls `f(row, score)` for every selected valid score and returns the first invalid one.
/// The hot loop carries no Result: the first invalid score is kept and reported after it.
///
/// The whole batch is checked first, in a pass without branches that the compiler vectorizes;
/// when every value is valid (the usual case), the loop that calls `f` checks nothing. Values
/// under NULLs or filtered out take part in that pass, so one invalid there falls back to
/// checking row by row (the same loop: a second call site of `f` would keep it out of line).
#[inline(always)]
fn first_invalid_after<T: Copy>(
    scores: &[T],
    rows: &SelectedRows,
    is_valid: impl Fn(T) -> bool,
    as_f64: impl Fn(T) -> f64,
    mut f: impl FnMut(usize, f64),
) -> Option<f64> {
    let all_valid = scores
        .iter()
        .fold(true, |all, &score| all & is_valid(score));
    let mut first_invalid = None;
    rows.for_each_value(scores, |row, score| {
        if all_valid || is_valid(score) {
            f(row, as_f64(score))
        } else if first_invalid.is_none() {
            first_invalid = Some(as_f64(score))
        }
    });
    first_invalid
}

/// The type a score column is read as: 32- and 64-bit integers as they are (they hold whole
/// numbers, so only the range is checked), narrower integers as Int32, DECIMAL128 as it is
/// (converted by [`for_each_score`], faster than a cast), other numbers as Float64.
pub(crate) fn coerce_score(function: &str, data_type: &DataType) -> Result<DataType> {
    let value_type = match data_type {
        DataType::Dictionary(_, value_type) => value_type.as_ref(),
        other => other,
    };
    Ok(match value_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            DataType::Int32
        }
        DataType::Int64 | DataType::UInt32 => DataType::Int64,
        DataType::Decimal128(precision, scale) => DataType::Decimal128(*precision, *scale),
        _ => coerce_numeric(function, "score", data_type)?,
    })
}

/// The types scores are read as (see [`coerce_score`]).
pub(crate) fn score_types() -> Vec<DataType> {
    vec![DataType::Float64, DataType::Int32, DataType::Int64]
}

/// The top of the csat scale when the call gives no `max_score`.
pub(crate) const CSAT_DEFAULT_MAX_SCORE: i64 = 5;
/// The top of the ces scale when the call gives no `max_score`.
pub(crate) const CES_DEFAULT_MAX_SCORE: i64 = 7;

/// Reads the optional constant `max_score` argument: at least 2, so a scale has a top-2 box.
pub(crate) fn max_score(
    function: &str,
    constant: Option<&ScalarValue>,
    default: i64,
) -> Result<f64> {
    let Some(value) = constant else {
        return Ok(default as f64);
    };
    let max = integer_constant(function, "max_score", value)?;
    if !(2..=1_000_000).contains(&max) {
        return plan_err!(
            "{function}: max_score must be a whole number from 2 to 1000000, got {value}"
        );
    }
    Ok(max as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scores and whether they were checked against `scale` while converted.
    fn converted_on(values: Vec<i128>, places: i8, scale: &ScoreScale) -> (Vec<f64>, bool) {
        let decimals = Decimal128Array::from(values)
            .with_precision_and_scale(38, places)
            .unwrap();
        // A buffer longer than the batch and holding other values, as a reused one does.
        let mut scores = vec![f64::NAN; decimals.len() + 3];
        let checked = decimal_scores(&decimals, places, scale, &mut scores);
        (scores, checked)
    }

    fn converted(values: Vec<i128>, places: i8) -> Vec<f64> {
        let wide = ScoreScale {
            min: 0.0,
            max: 1e15,
        };
        converted_on(values, places, &wide).0
    }

    #[test]
    fn decimal_scores_are_whole_exactly_when_the_decimal_is() {
        for scale in [0_i8, 1, 2, 9, 10, 15, 20, 30, 37] {
            let power = 10_i128.pow(scale as u32);
            for k in 0..=10_i128 {
                let Some(whole) = k.checked_mul(power) else {
                    continue;
                };
                assert_eq!(
                    converted(vec![whole], scale),
                    [k as f64],
                    "{k} at scale {scale}"
                );
                if scale > 0 {
                    let [fraction] = converted(vec![whole + 1], scale)[..] else {
                        unreachable!()
                    };
                    assert_ne!(fraction.fract(), 0.0, "{k} + 10^-{scale} read as whole");
                }
            }
        }
        assert_eq!(converted(vec![-7, 3], -2), [-700.0, 300.0]);
        // Whole, small and not negative: converted without a division; one value that is not
        // (a fraction, a negative, 2^51 units or more) sends the batch the exact way.
        assert_eq!(converted(vec![0, 30, 100], 1), [0.0, 3.0, 10.0]);
        assert_eq!(converted(vec![30, 5], 1), [3.0, 0.5]);
        assert_eq!(converted(vec![30, -10], 1), [3.0, -1.0]);
        assert_eq!(
            converted(vec![30, 10 << 51], 1),
            [3.0, (1_u64 << 51) as f64]
        );
        assert_eq!(converted(vec![999_999 * 1_000_000_000], 9), [999_999.0]);
        assert_eq!(converted(vec![i128::MAX], 0), [i128::MAX as f64]);
    }

    #[test]
    fn a_batch_of_doubles_is_valid_exactly_when_every_score_is() {
        let scales = [NPS_SCALE, ScoreScale { min: 1.0, max: 7.0 }];
        let odd = [
            0.0,
            1.0,
            6.0,
            7.0,
            10.0,
            0.5,
            9.999_999_999,
            -1.0,
            11.0,
            1e300,
            -1e300,
            5e-324,
            TWO_POW_52,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for scale in &scales {
            for &value in &odd {
                // Alone, and among valid scores at every position of a vector.
                for position in 0..9 {
                    let mut batch = vec![scale.max; 9];
                    batch[position] = value;
                    let expected = batch.iter().all(|&s| scale.is_valid(s));
                    assert_eq!(
                        all_valid_doubles(&batch, scale),
                        expected,
                        "{value} {scale:?}"
                    );
                    assert_eq!(all_valid_doubles_portable(&batch, scale), expected);
                }
            }
        }
        assert!(all_valid_doubles(&[], &NPS_SCALE));
        // −0 is a valid score that the batch check leaves to the check row by row.
        assert!(NPS_SCALE.is_valid(-0.0) && !all_valid_doubles(&[-0.0], &NPS_SCALE));
    }

    #[test]
    fn only_the_selected_scores_are_checked() {
        let scale = ScoreScale { min: 1.0, max: 7.0 };
        // 200 rows: three 64-bit words and a remainder; read from an offset, as a slice is.
        let selection: Vec<bool> = (0..203).map(|i| i % 3 != 0).collect();
        let selected = BooleanBuffer::from(selection.clone()).slice(3, 200);
        let read = |row: usize| selection[row + 3];
        let mut scores: Vec<f64> = (0..200)
            .map(|row| if read(row) { 4.0 } else { 0.0 })
            .collect();
        let check = |scores: &[f64]| {
            let portable = selected_valid_doubles_portable(scores, &selected, &scale);
            assert_eq!(selected_valid_doubles(scores, &selected, &scale), portable);
            portable
        };
        assert!(check(&scores), "0 and NaN are only under rows not read");
        scores[0] = f64::NAN;
        assert!(check(&scores));
        for row in [1, 62, 64, 130, 199] {
            assert!(read(row));
            for bad in [0.0, 8.0, 2.5, f64::NAN, f64::INFINITY] {
                let mut with_bad = scores.clone();
                with_bad[row] = bad;
                assert!(!check(&with_bad), "{bad} at row {row}");
            }
        }
    }

    #[test]
    fn decimal_scores_are_checked_only_when_all_are_valid() {
        let check = |values: Vec<i128>| converted_on(values, 1, &NPS_SCALE);
        assert_eq!(check(vec![0, 30, 100]), (vec![0.0, 3.0, 10.0], true));
        // A fraction, a negative, a score above the scale: converted, left to be checked.
        assert_eq!(check(vec![30, 5]), (vec![3.0, 0.5], false));
        assert_eq!(check(vec![30, -10]), (vec![3.0, -1.0], false));
        assert_eq!(check(vec![30, 110]), (vec![3.0, 11.0], false));
        let csat = ScoreScale { min: 1.0, max: 5.0 };
        assert_eq!(converted_on(vec![10, 50], 1, &csat), (vec![1.0, 5.0], true));
        assert_eq!(converted_on(vec![0, 50], 1, &csat), (vec![0.0, 5.0], false));
        // More than 9 places are never checked while converted.
        assert_eq!(converted_on(vec![0], 10, &NPS_SCALE), (vec![0.0], false));
    }
}
