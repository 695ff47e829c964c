//! A union of serialized HLL sketches that unites HLL_8 sketches register by register, with
//! the result DataSketches' own `HllUnion` gives for the same sketches, bit for bit.
//!
//! DataSketches' union re-reads all 2^lg_k registers after every sketch it takes in, to
//! recompute the estimator's sums (`kxq0`, `kxq1`) and the count of empty registers: a
//! division per register per sketch. Monthly users from 90 days × 50 segments of daily sketches
//! spent a quarter of the query there. These sums depend only on the final registers, so they
//! are computed once, when the union is read. Sketches the fast path does not take (HLL_4 and
//! HLL_6, list and set modes, another `lg_k`) go to DataSketches' union, which takes over the
//! registers united so far.

use datafusion::error::Result;
use datasketches::hll::{HllSketch, HllType, HllUnion};

use crate::families::sketches::read_hll;

/// DataSketches' HLL preamble in HLL mode: 10 four-byte words.
const HLL_PREAMBLE_BYTES: usize = 40;
/// Its first byte, in HLL mode (list and set modes have 2 and 3).
pub(crate) const HLL_PREAMBLE_INTS: u8 = 10;
const SERIAL_VERSION: u8 = 1;
const HLL_FAMILY: u8 = 7;
/// The byte of the flags, and the flag of a sketch built by merging ("out of order"), whose
/// estimate is the composite one.
pub(crate) const FLAGS_BYTE: usize = 5;
pub(crate) const OUT_OF_ORDER_FLAG: u8 = 0x10;
/// The HIP estimate's accumulator (a little-endian f64), which an out-of-order sketch does not
/// use.
pub(crate) const HIP_ACCUMULATOR: std::ops::Range<usize> = 8..16;
/// The mode byte: the current mode in its low 2 bits (2: HLL), the register width in the next
/// two (2: HLL_8).
const HLL_MODE: u8 = 2;
const HLL_8: u8 = 2;

/// `1 / 2^r` for each register value `r`, as DataSketches computes it (`1.0 / (1 << r)`, the
/// shift wrapping past 63 as a release build's does): looked up, not divided, per register.
static INVERSE_POWERS_OF_TWO: [f64; 256] = {
    let mut inverses = [0.0; 256];
    let mut r = 0;
    while r < 256 {
        inverses[r] = 1.0 / (1_u64.wrapping_shl(r as u32)) as f64;
        r += 1;
    }
    inverses
};

/// The estimate a sketch carries into a union that holds only it: DataSketches keeps a lone
/// sketch's HIP estimate and switches to the composite estimate once two are united.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Estimate {
    Hip(f64),
    Composite,
}

#[derive(Debug, Clone)]
enum United {
    Nothing,
    /// HLL_8 sketches of one `lg_k`: their registers' maximum.
    Registers {
        lg_k: u8,
        registers: Vec<u8>,
        /// The estimate of the only sketch so far; `None` once two are united.
        alone: Option<Estimate>,
    },
    /// Anything else: DataSketches' union.
    Union(Box<HllUnion>),
}

/// A union of HLL sketches of at most `2^lg_max_k` registers, as `HllUnion::new(lg_max_k)`.
#[derive(Debug, Clone)]
pub(crate) struct HllRegisterUnion {
    lg_max_k: u8,
    united: United,
}

/// The parts of a serialized HLL_8 sketch in HLL mode that the union reads.
struct Hll8<'a> {
    lg_k: u8,
    estimate: Estimate,
    /// Whether DataSketches counts it empty (every register zero, as its header says).
    empty: bool,
    registers: &'a [u8],
}

impl<'a> Hll8<'a> {
    /// The sketch, if `bytes` are an HLL_8 sketch in HLL mode that DataSketches reads: the
    /// same checks as `HllSketch::deserialize`, so that bytes it refuses never take this path.
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let header = bytes.get(..HLL_PREAMBLE_BYTES)?;
        let lg_k = header[3];
        let mode = header[7];
        if header[0] != HLL_PREAMBLE_INTS
            || header[1] != SERIAL_VERSION
            || header[2] != HLL_FAMILY
            || !(4..=21).contains(&lg_k)
            || mode & 0x3 != HLL_MODE
            || (mode >> 2) & 0x3 != HLL_8
        {
            return None;
        }
        let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
        let registers_count = 1usize << lg_k;
        let zeros = word(32) as usize;
        if zeros > registers_count || word(36) != 0 {
            return None;
        }
        let registers = bytes.get(HLL_PREAMBLE_BYTES..HLL_PREAMBLE_BYTES + registers_count)?;
        let estimate = if header[FLAGS_BYTE] & OUT_OF_ORDER_FLAG != 0 {
            Estimate::Composite
        } else {
            Estimate::Hip(f64::from_le_bytes(
                header[HIP_ACCUMULATOR].try_into().expect("8 bytes"),
            ))
        };
        Some(Self {
            lg_k,
            estimate,
            empty: zeros == registers_count,
            registers,
        })
    }
}

impl HllRegisterUnion {
    pub(crate) fn new(lg_max_k: u8) -> Self {
        Self {
            lg_max_k,
            united: United::Nothing,
        }
    }

    /// Unites a serialized sketch; `function` names the caller in errors.
    pub(crate) fn update(&mut self, function: &str, bytes: &[u8]) -> Result<()> {
        if let Some(sketch) = Hll8::parse(bytes) {
            if sketch.empty {
                return Ok(()); // DataSketches' union skips an empty sketch
            }
            // A sketch whose header says it has values but whose registers are all zero
            // would leave DataSketches' union empty; it takes such bytes itself.
            let any_value = sketch.registers.iter().any(|&r| r != 0);
            match &mut self.united {
                United::Nothing if any_value && sketch.lg_k <= self.lg_max_k => {
                    self.united = United::Registers {
                        lg_k: sketch.lg_k,
                        registers: sketch.registers.to_vec(),
                        alone: Some(sketch.estimate),
                    };
                    return Ok(());
                }
                United::Registers {
                    lg_k,
                    registers,
                    alone,
                } if any_value && *lg_k == sketch.lg_k => {
                    for (united, &register) in registers.iter_mut().zip(sketch.registers) {
                        *united = (*united).max(register);
                    }
                    *alone = None;
                    return Ok(());
                }
                _ => {}
            }
        }
        let sketch = read_hll(function, bytes)?;
        self.union_mut().update(&sketch);
        Ok(())
    }

    /// DataSketches' union, taking over the registers united so far.
    fn union_mut(&mut self) -> &mut HllUnion {
        if !matches!(self.united, United::Union(_)) {
            let union = self.to_union();
            self.united = United::Union(Box::new(union));
        }
        match &mut self.united {
            United::Union(union) => union,
            _ => unreachable!("just made a union"),
        }
    }

    /// DataSketches' union of the same sketches.
    pub(crate) fn to_union(&self) -> HllUnion {
        let mut union = HllUnion::new(self.lg_max_k).expect("a checked lg_k");
        match &self.united {
            United::Nothing => {}
            // A union takes its first sketch's registers and estimate as they are, so the
            // registers' sketch restores the union exactly.
            United::Registers { .. } => union.update(&self.registers_sketch()),
            United::Union(united) => return united.as_ref().clone(),
        }
        union
    }

    /// The united sketch, as `HllUnion::to_sketch(hll_type)`.
    pub(crate) fn to_sketch(&self, hll_type: HllType) -> HllSketch {
        match &self.united {
            United::Registers { .. } if hll_type == HllType::Hll8 => self.registers_sketch(),
            _ => self.to_union().to_sketch(hll_type),
        }
    }

    /// The HLL_8 sketch of the united registers, with what DataSketches' union derives from
    /// them: the empty registers, the estimator's sums (added in register order, as it adds
    /// them) and, past one sketch, the composite estimate.
    fn registers_sketch(&self) -> HllSketch {
        let United::Registers {
            lg_k,
            registers,
            alone,
        } = &self.united
        else {
            unreachable!("only called on registers")
        };
        let (mut kxq0, mut kxq1, mut zeros) = (0.0_f64, 0.0_f64, 0_u32);
        for &register in registers {
            let inverse = INVERSE_POWERS_OF_TWO[usize::from(register)];
            if register == 0 {
                zeros += 1;
                kxq0 += 1.0;
            } else if register < 32 {
                kxq0 += inverse;
            } else {
                kxq1 += inverse;
            }
        }
        let (flags, hip) = match alone {
            Some(Estimate::Hip(hip)) => (0, *hip),
            _ => (OUT_OF_ORDER_FLAG, 0.0),
        };
        let mut bytes = Vec::with_capacity(HLL_PREAMBLE_BYTES + registers.len());
        bytes.extend_from_slice(&[
            HLL_PREAMBLE_INTS,
            SERIAL_VERSION,
            HLL_FAMILY,
            *lg_k,
            0,
            flags,
            0,
            HLL_MODE | (HLL_8 << 2),
        ]);
        bytes.extend_from_slice(&hip.to_le_bytes());
        bytes.extend_from_slice(&kxq0.to_le_bytes());
        bytes.extend_from_slice(&kxq1.to_le_bytes());
        bytes.extend_from_slice(&zeros.to_le_bytes());
        bytes.extend_from_slice(&0_u32.to_le_bytes());
        bytes.extend_from_slice(registers);
        HllSketch::deserialize(&bytes).expect("an HLL_8 sketch written as DataSketches writes it")
    }

    /// Bytes held, for `size()`.
    pub(crate) fn estimated_size(&self) -> usize {
        size_of::<Self>()
            + match &self.united {
                United::Nothing => 0,
                United::Registers { registers, .. } => registers.capacity(),
                United::Union(union) => size_of::<HllUnion>() + union.estimated_size(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: reproducible numbers without a dependency.
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A number in `range`.
        fn within(&mut self, range: std::ops::Range<u64>) -> u64 {
            range.start + self.next() % (range.end - range.start)
        }

        /// True with probability `percent` %.
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    /// A sketch of `values` random users (some shared between sketches through a small id
    /// space), in the given form, serialized as DataSketches writes it (merged or not).
    fn random_sketch(rng: &mut Numbers, lg_k: u8, hll_type: HllType, values: u64) -> Vec<u8> {
        let mut sketch = HllSketch::new(lg_k, hll_type).unwrap();
        let space = rng.within(1..5) * 100_000;
        for _ in 0..values {
            sketch.update(rng.within(0..space));
        }
        let mut bytes = sketch.serialize();
        if rng.chance(50) {
            // As hll_sketch writes its results: marked as merged (composite estimate).
            crate::families::sketches::mark_as_merged(&mut bytes);
        }
        bytes
    }

    fn assert_same(ours: &HllRegisterUnion, theirs: &HllUnion, case: &str) {
        for hll_type in [HllType::Hll4, HllType::Hll6, HllType::Hll8] {
            let (a, b) = (ours.to_sketch(hll_type), theirs.to_sketch(hll_type));
            assert_eq!(a.serialize(), b.serialize(), "{case}, {hll_type:?}");
            assert_eq!(a.estimate().to_bits(), b.estimate().to_bits(), "{case}");
            assert_eq!(
                a.composite_estimate().to_bits(),
                b.composite_estimate().to_bits(),
                "{case}"
            );
        }
        assert_eq!(
            ours.to_union().estimate().to_bits(),
            theirs.estimate().to_bits(),
            "{case}"
        );
    }

    /// Random runs of sketches of every form (mostly HLL_8 in HLL mode, the fast path; HLL_4,
    /// HLL_6, list and set modes, other lg_k, empty sketches among them) give the same
    /// sketch, byte for byte, as DataSketches' union, after every sketch taken in.
    #[test]
    fn unites_as_datasketches_does() {
        let mut rng = Numbers(45);
        for run in 0..60 {
            let lg_max_k = [8, 10, 12, 21][run % 4];
            let mut ours = HllRegisterUnion::new(lg_max_k);
            let mut theirs = HllUnion::new(lg_max_k).unwrap();
            for step in 0..rng.within(1..8) {
                let lg_k = if rng.chance(80) {
                    10
                } else {
                    rng.within(8..13) as u8
                };
                let hll_type = if rng.chance(80) {
                    HllType::Hll8
                } else if rng.chance(50) {
                    HllType::Hll4
                } else {
                    HllType::Hll6
                };
                // 0 (empty), a few (list or set mode) or many (HLL mode) values.
                let values = match rng.within(0..10) {
                    0 => 0,
                    1 => rng.within(1..200),
                    _ => rng.within(1_000..20_000),
                };
                let bytes = random_sketch(&mut rng, lg_k, hll_type, values);
                ours.update("test", &bytes).unwrap();
                theirs.update(&HllSketch::deserialize(&bytes).unwrap());
                assert_same(&ours, &theirs, &format!("run {run}, step {step}"));
            }
        }
    }

    /// A lone sketch built in one piece keeps its HIP estimate, as in DataSketches' union; a
    /// second one switches to the composite estimate.
    #[test]
    fn a_lone_sketch_keeps_its_estimate() {
        let mut rng = Numbers(7);
        let mut sketch = HllSketch::new(12, HllType::Hll8).unwrap();
        for _ in 0..50_000 {
            sketch.update(rng.next());
        }
        let mut ours = HllRegisterUnion::new(12);
        ours.update("test", &sketch.serialize()).unwrap();
        assert!(matches!(ours.united, United::Registers { .. }));
        assert_eq!(ours.to_sketch(HllType::Hll8).estimate(), sketch.estimate());
        ours.update("test", &sketch.serialize()).unwrap();
        assert!(matches!(ours.united, United::Registers { alone: None, .. }));
        assert_eq!(
            ours.to_sketch(HllType::Hll8).estimate(),
            sketch.composite_estimate()
        );
    }

    #[test]
    fn bytes_that_are_not_a_sketch_are_refused() {
        let mut ours = HllRegisterUnion::new(12);
        let mut bytes = HllSketch::new(12, HllType::Hll8).unwrap().serialize();
        bytes.truncate(3);
        let error = ours.update("hll_union", &bytes).unwrap_err().to_string();
        assert!(
            error.contains("hll_union: cannot read an HLL sketch"),
            "{error}"
        );
        // An HLL_8 header whose registers are cut short.
        let mut sketch = HllSketch::new(12, HllType::Hll8).unwrap();
        for value in 0..100_000_u64 {
            sketch.update(value);
        }
        let mut bytes = sketch.serialize();
        bytes.truncate(1000);
        assert!(ours.update("hll_union", &bytes).is_err());
    }
}
