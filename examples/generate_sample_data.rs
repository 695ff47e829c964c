//! Writes the deterministic sample data in `examples/data/`:
//!
//! * `responses.parquet`: survey answers (NPS 0–10, CSAT 1–5, CES 1–7, some NULL) by segment
//!   and channel over July–September 2026;
//! * `customers.csv`: customers by plan with their activity at the start and end of the quarter;
//! * `events.parquet`: product events by user over the same three months.
//!
//! Run from the repository root: `cargo run -p engagement-examples --bin generate-sample-data`.
//! An optional argument names another output folder. The same code always writes the same
//! bytes: a fixed-seed generator, no clock, no thread-dependent order.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::error::Result;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

/// 2026-07-01 as days since 1970-01-01.
const FIRST_DAY: i32 = 20_635;
/// July, August and September.
const DAYS: i32 = 92;
const SEGMENTS: [&str; 4] = ["enterprise", "mid_market", "smb", "startup"];
const CHANNELS: [&str; 4] = ["email", "in_app", "web", "phone"];
const PLANS: [&str; 4] = ["free", "starter", "pro", "enterprise"];
const EVENTS: [(&str, u32); 7] = [
    ("login", 40),
    ("view_dashboard", 25),
    ("create_report", 12),
    ("export", 8),
    ("invite_colleague", 4),
    ("integration_setup", 3),
    ("support_ticket", 8),
];

/// SplitMix64: tiny, fast and the same on every platform.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A score from `low` to `high`, pulled towards the top by `mood` in [0, 1].
    fn score(&mut self, low: i32, high: i32, mood: f64) -> i32 {
        let u = self.unit().powf(1.0 - 0.8 * mood);
        (low as f64 + u * (high - low + 1) as f64)
            .floor()
            .min(high as f64) as i32
    }

    fn pick_weighted<'a>(&mut self, items: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total as u64) as u32;
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }
}

/// How content each segment's customers are: higher is happier and more active.
fn segment_mood(segment: usize) -> f64 {
    [0.75, 0.6, 0.45, 0.55][segment]
}

fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by("engagement-examples sample data generator".to_string())
        .build();
    let mut writer = ArrowWriter::try_new(File::create(path)?, batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

fn responses(random: &mut Random) -> Result<RecordBatch> {
    let rows = 12_000;
    let (mut ids, mut segments, mut channels, mut dates) = (vec![], vec![], vec![], vec![]);
    let (mut nps, mut csat, mut ces) = (vec![], vec![], vec![]);
    for id in 0..rows {
        let segment = random.below(4) as usize;
        let mood = segment_mood(segment);
        ids.push(100_000 + id as i64);
        segments.push(SEGMENTS[segment]);
        channels.push(CHANNELS[random.below(4) as usize]);
        dates.push(FIRST_DAY + random.below(DAYS as u64) as i32);
        nps.push((!random.chance(0.08)).then(|| random.score(0, 10, mood)));
        csat.push((!random.chance(0.15)).then(|| random.score(1, 5, mood)));
        // Effort: a happy customer found it easy, so a low score.
        ces.push((!random.chance(0.25)).then(|| 8 - random.score(1, 7, mood)));
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("respondent_id", Arc::new(Int64Array::from(ids))),
        ("segment", Arc::new(StringArray::from(segments))),
        ("channel", Arc::new(StringArray::from(channels))),
        ("response_date", Arc::new(Date32Array::from(dates))),
        ("nps_score", Arc::new(Int32Array::from(nps))),
        ("csat_score", Arc::new(Int32Array::from(csat))),
        ("ces_score", Arc::new(Int32Array::from(ces))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

fn customers(random: &mut Random) -> Result<RecordBatch> {
    let rows = 4_000;
    let (mut ids, mut plans, mut segments, mut signups) = (vec![], vec![], vec![], vec![]);
    let (mut at_start, mut at_end) = (vec![], vec![]);
    for id in 0..rows {
        let plan = random.pick_weighted(&[
            (PLANS[0], 40),
            (PLANS[1], 30),
            (PLANS[2], 20),
            (PLANS[3], 10),
        ]);
        let plan_index = PLANS.iter().position(|p| *p == plan).unwrap();
        let segment = random.below(4) as usize;
        ids.push(1 + id as i64);
        plans.push(plan);
        segments.push(SEGMENTS[segment]);
        // Customers signed up over the two years before the quarter ended.
        let signup = FIRST_DAY + DAYS - 1 - random.below(730) as i32;
        signups.push(signup);
        let active_at_start = signup < FIRST_DAY && random.chance(0.9);
        // Paying plans churn less; an unknown end state (NULL) for a few records.
        let churn = [0.22, 0.12, 0.07, 0.04][plan_index] * (1.4 - segment_mood(segment));
        let active_at_end = if signup >= FIRST_DAY {
            true
        } else if active_at_start {
            !random.chance(churn)
        } else {
            random.chance(0.1)
        };
        at_start.push(Some(active_at_start));
        at_end.push((!random.chance(0.01)).then_some(active_at_end));
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("customer_id", Arc::new(Int64Array::from(ids))),
        ("plan", Arc::new(StringArray::from(plans))),
        ("segment", Arc::new(StringArray::from(segments))),
        ("signup_date", Arc::new(Date32Array::from(signups))),
        ("active_at_start", Arc::new(BooleanArray::from(at_start))),
        ("active_at_end", Arc::new(BooleanArray::from(at_end))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

fn events(random: &mut Random) -> Result<RecordBatch> {
    let users = 1_500;
    let (mut user_ids, mut times, mut names, mut segments) = (vec![], vec![], vec![], vec![]);
    for user in 0..users {
        let segment = random.below(4) as usize;
        // Each user has their own habit: from a few days a quarter to almost daily.
        let activity = segment_mood(segment) * random.unit().powf(1.5);
        let joined = random.below(DAYS as u64 / 2) as i32 * random.below(2) as i32;
        for day in joined..DAYS {
            if !random.chance(activity) {
                continue;
            }
            for _ in 0..1 + random.below(5) {
                let second = 8 * 3600 + random.below(12 * 3600) as i64;
                let micros = ((FIRST_DAY + day) as i64 * 86_400 + second) * 1_000_000;
                user_ids.push(5_000 + user as i64);
                times.push(micros);
                names.push(random.pick_weighted(&EVENTS));
                segments.push(SEGMENTS[segment]);
            }
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("user_id", Arc::new(Int64Array::from(user_ids))),
        (
            "event_time",
            Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC")),
        ),
        ("event_name", Arc::new(StringArray::from(names))),
        ("segment", Arc::new(StringArray::from(segments))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Writes the three sample files into `folder`.
pub fn generate(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut random = Random(0x5EED_2026);
    write_parquet(&folder.join("responses.parquet"), &responses(&mut random)?)?;
    let customers = customers(&mut random)?;
    let mut csv = WriterBuilder::new()
        .with_header(true)
        .build(File::create(folder.join("customers.csv"))?);
    csv.write(&customers)?;
    write_parquet(&folder.join("events.parquet"), &events(&mut random)?)?;
    Ok(())
}

fn main() -> Result<()> {
    let folder = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("examples/data"));
    generate(&folder)?;
    println!("sample data written to {}", folder.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed files are exactly what this generator writes.
    #[test]
    fn committed_sample_data_matches_the_generator() {
        let folder = std::env::temp_dir().join(format!("engagement-sample-{}", std::process::id()));
        generate(&folder).unwrap();
        let committed = Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("data");
        for file in ["responses.parquet", "customers.csv", "events.parquet"] {
            let fresh = std::fs::read(folder.join(file)).unwrap();
            let kept = std::fs::read(committed.join(file)).unwrap();
            assert!(
                fresh == kept,
                "examples/data/{file} differs from the generator's output; regenerate it"
            );
        }
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
