//! Bit windows: a set of integers within 64 consecutive ones from a start, a bit each (bit
//! `i` is `start + i`). A user's active days (stickiness) or active periods (lifecycle) are
//! nearly always close together, so one 64-bit word holds what a list of numbers would.

/// How many integers a window spans.
pub(crate) const WIDTH: i64 = u64::BITS as i64;

/// The start of the window opened for a value seen first: 32 below it and 31 above, so that a
/// month or a week of values around it fits whichever day comes first.
#[inline]
pub(crate) fn opened_at(value: i64) -> i64 {
    value.saturating_sub(WIDTH / 2)
}

/// The bit of `value` in the window from `start`, if the window holds it.
#[inline]
pub(crate) fn bit_of(start: i64, value: i64) -> Option<u64> {
    match value.checked_sub(start) {
        Some(offset @ 0..WIDTH) => Some(1 << offset),
        _ => None,
    }
}

/// The values of the set bits, in increasing order.
#[inline]
pub(crate) fn members(start: i64, mut bits: u64) -> impl Iterator<Item = i64> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let offset = bits.trailing_zeros();
            bits &= bits - 1;
            start.saturating_add(i64::from(offset))
        })
    })
}

/// Moves the bits of a window into a window starting `shift` earlier (or later, when
/// negative): the moved bits, and the original bits of the values the other window cannot
/// hold.
#[inline]
pub(crate) fn realign(bits: u64, shift: i64) -> (u64, u64) {
    let within = |shift: i64| (1..WIDTH).contains(&shift);
    if shift == 0 {
        (bits, 0)
    } else if within(shift) {
        (bits << shift, bits & !(u64::MAX >> shift))
    } else if within(-shift) {
        (bits >> -shift, bits & ((1 << -shift) - 1))
    } else {
        (0, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_the_64_values_from_its_start() {
        let start = opened_at(1_000);
        assert_eq!(start, 968);
        assert_eq!(bit_of(start, 1_000), Some(1 << 32));
        assert_eq!(bit_of(start, start), Some(1));
        assert_eq!(bit_of(start, start + 63), Some(1 << 63));
        assert_eq!(bit_of(start, start + 64), None);
        assert_eq!(bit_of(start, start - 1), None);
        assert_eq!(bit_of(i64::MIN, i64::MAX), None);
        assert_eq!(opened_at(i64::MIN), i64::MIN);
        let bits = (1 << 0) | (1 << 5) | (1 << 63);
        let values: Vec<i64> = members(10, bits).collect();
        assert_eq!(values, [10, 15, 73]);
        assert_eq!(members(i64::MAX, 1 << 3).collect::<Vec<_>>(), [i64::MAX]);
    }

    /// The values of a window, sorted.
    fn values(start: i64, bits: u64) -> Vec<i64> {
        members(start, bits).collect()
    }

    #[test]
    fn realign_at_the_edges_of_the_window() {
        let all = u64::MAX;
        assert_eq!(realign(all, 0), (all, 0));
        // 63 earlier: only the first value still fits, as the window's last.
        assert_eq!(realign(all, 63), (1 << 63, all & !1));
        assert_eq!(realign(all, -63), (1, all & !(1 << 63)));
        // 64 or more apart: nothing fits.
        assert_eq!(realign(all, 64), (0, all));
        assert_eq!(realign(all, -64), (0, all));
        assert_eq!(realign(1, i64::from(i32::MAX)), (0, 1));
        assert_eq!(realign(1 << 63, -i64::from(i32::MAX)), (0, 1 << 63));
    }

    #[test]
    fn realign_keeps_every_value_once() {
        let patterns = [
            1,
            1 << 63,
            u64::MAX,
            0x8000_0001_0000_0001,
            0x5555_5555_5555_5555,
            0xF0F0_0000_0000_000F,
        ];
        for bits in patterns {
            for shift in -130..=130i64 {
                let start = 1_000;
                let (inside, outside) = realign(bits, shift);
                let target_start = start - shift;
                let mut moved = values(target_start, inside);
                moved.extend(values(start, outside));
                moved.sort_unstable();
                assert_eq!(moved, values(start, bits), "bits {bits:#x} shifted {shift}");
                assert_eq!(
                    inside.count_ones() + outside.count_ones(),
                    bits.count_ones(),
                    "no value twice"
                );
            }
        }
    }
}
