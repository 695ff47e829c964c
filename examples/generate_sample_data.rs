//! Writes the deterministic sample data in `examples/data/`:
//!
//! * `responses.parquet`: survey answers (NPS 0–10, CSAT 1–5, CES 1–7, some NULL) by segment
//!   and channel over July–September 2026;
//! * `customers.csv`: customers by plan with their activity at the start and end of the quarter;
//! * `events.parquet`: product events by user over the same three months;
//! * `users.parquet` and `page_views.parquet`: website users with their signup time and
//!   acquisition channel, and their page views grouped into sessions; users come back less as
//!   weeks pass (a fading habit and a lifetime, with a loyal core), less on weekends;
//! * `campaigns.csv`: daily impressions, clicks and social interactions per campaign;
//! * `orders.parquet`: orders of the customers in `customers.csv` over two years;
//! * `tickets.parquet`: support tickets with opening and resolution times and the customer's
//!   CSAT and CES answers after resolution;
//! * `shop_events.parquet`: the shop visits of the website users — product views, adds to the
//!   cart, delivery choices and payments — for conversion funnels;
//! * `clickstream.parquet`: a raw page-view log without session ids (visitor, time, URL,
//!   referrer, scroll depth), as web analytics tools export it;
//! * `email_events.parquet`: deliveries, opens and clicks of three email campaigns;
//! * `social_followers.csv`: each social account's followers at the end of each day;
//! * `ticket_messages.parquet`: the customer's and the agents' messages of each ticket.
//!
//! `responses.parquet` also carries a post-stratification `survey_weight`: the segment's share
//! of the customer base over its share of the answers, so weighted metrics speak for the base.
//!
//! Run from the repository root: `cargo run -p engagement-examples --bin generate-sample-data`.
//! An optional argument names another output folder. The same code always writes the same
//! bytes: a fixed-seed generator, no clock, no thread-dependent order.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
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
/// Each segment's share of the customer base, for the survey weights.
const SEGMENT_SHARES: [f64; 4] = [0.10, 0.20, 0.45, 0.25];
const ACQUISITION: [(&str, u32); 5] = [
    ("organic_search", 35),
    ("paid_search", 20),
    ("social", 20),
    ("email", 15),
    ("referral", 10),
];
const PAGES: [(&str, u32); 6] = [
    ("/", 30),
    ("/pricing", 20),
    ("/features", 18),
    ("/blog", 15),
    ("/docs", 12),
    ("/signup", 5),
];
const CAMPAIGNS: [(&str, &str); 6] = [
    ("summer_sale", "paid_search"),
    ("product_launch", "social"),
    ("webinar_series", "email"),
    ("brand_video", "social"),
    ("retargeting", "paid_search"),
    ("newsletter", "email"),
];
const PRIORITIES: [(&str, u32); 4] = [("low", 35), ("normal", 40), ("high", 20), ("urgent", 5)];
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
    // Post-stratification: each segment weighs its share of the base over its share of answers.
    let answers_in = |segment: &str| segments.iter().filter(|s| **s == segment).count() as f64;
    let weights: Vec<f64> = segments
        .iter()
        .map(|s| {
            let i = SEGMENTS.iter().position(|x| x == s).unwrap();
            let weight = SEGMENT_SHARES[i] / (answers_in(s) / rows as f64);
            (weight * 1e4).round() / 1e4
        })
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("respondent_id", Arc::new(Int64Array::from(ids))),
        ("segment", Arc::new(StringArray::from(segments))),
        ("channel", Arc::new(StringArray::from(channels))),
        ("response_date", Arc::new(Date32Array::from(dates))),
        ("nps_score", Arc::new(Int32Array::from(nps))),
        ("csat_score", Arc::new(Int32Array::from(csat))),
        ("ces_score", Arc::new(Int32Array::from(ces))),
        ("survey_weight", Arc::new(Float64Array::from(weights))),
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
                user_ids.push(5_000 + user as i64);
                times.push(micros(FIRST_DAY + day, second));
                names.push(random.pick_weighted(&EVENTS));
                segments.push(SEGMENTS[segment]);
            }
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("user_id", Arc::new(Int64Array::from(user_ids))),
        ("event_time", utc(times)),
        ("event_name", Arc::new(StringArray::from(names))),
        ("segment", Arc::new(StringArray::from(segments))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Microseconds since the epoch of second `second` of day `day` (days since 1970-01-01).
fn micros(day: i32, second: i64) -> i64 {
    (day as i64 * 86_400 + second) * 1_000_000
}

/// A UTC timestamp column from microseconds (`Vec<i64>`, or `Vec<Option<i64>>` with NULLs).
fn utc<T>(times: T) -> ArrayRef
where
    TimestampMicrosecondArray: From<T>,
{
    Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC"))
}

/// How busy a day of the week is on the website: weekends are quieter.
fn weekday_factor(day: i32) -> f64 {
    // 1970-01-01, day 0, was a Thursday: Monday is 0 here.
    match (day + 3).rem_euclid(7) {
        5 | 6 => 0.55,
        _ => 1.15,
    }
}

/// Website users (signed up during the quarter) and their page views, in sessions.
fn web(random: &mut Random) -> Result<(RecordBatch, RecordBatch)> {
    let users = 2_500;
    let (mut user_ids, mut signups, mut channels) = (vec![], vec![], vec![]);
    let (mut sessions, mut viewers, mut pages, mut devices, mut landing, mut viewed) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut session_number = 0;
    for user in 0..users {
        let channel = random.pick_weighted(&ACQUISITION);
        let signup_day = FIRST_DAY + random.below(DAYS as u64) as i32;
        let signup_second = 7 * 3600 + random.below(15 * 3600) as i64;
        let device = if random.chance(0.55) {
            "mobile"
        } else {
            "desktop"
        };
        // Referred and organic users come back more often than paid ones.
        let loyalty = match channel {
            "referral" => 0.35,
            "organic_search" => 0.25,
            "email" => 0.22,
            _ => 0.12,
        } * random.unit().powf(0.7);
        user_ids.push(900_000 + user as i64);
        signups.push(micros(signup_day, signup_second));
        channels.push(channel);
        // The signup session, then return visits on later days of the quarter, as real
        // products see them: the urge to come back fades over the first weeks to a steady
        // habit, weekends are quieter, and most users leave for good at some point (an
        // exponential lifetime, 25 days on average) while a loyal core of 35 % stays.
        let mut visit_days = vec![(signup_day, signup_second - 600)];
        let lifetime = if random.chance(0.35) {
            f64::INFINITY
        } else {
            -(1.0 - random.unit()).ln() * 25.0
        };
        for day in signup_day + 1..FIRST_DAY + DAYS {
            let age = f64::from(day - signup_day);
            if age > lifetime {
                break;
            }
            let habit = 0.5 + 1.3 * (-age / 6.0).exp();
            if random.chance(loyalty * habit * weekday_factor(day)) {
                visit_days.push((day, 6 * 3600 + random.below(16 * 3600) as i64));
            }
        }
        for (day, mut second) in visit_days {
            session_number += 1;
            // Geometric page count: about 40 % of sessions bounce.
            let mut count = 1;
            while count < 20 && random.chance(0.6) {
                count += 1;
            }
            for _ in 0..count {
                sessions.push(format!("s{session_number:06}"));
                viewers.push(900_000 + user as i64);
                pages.push(random.pick_weighted(&PAGES));
                devices.push(device);
                landing.push(channel);
                viewed.push(micros(day, second));
                second += 5 + random.below(240) as i64;
            }
        }
    }
    let users: Vec<(&str, ArrayRef)> = vec![
        ("user_id", Arc::new(Int64Array::from(user_ids))),
        ("signup_time", utc(signups)),
        ("acquisition_channel", Arc::new(StringArray::from(channels))),
    ];
    let views: Vec<(&str, ArrayRef)> = vec![
        ("session_id", Arc::new(StringArray::from(sessions))),
        ("user_id", Arc::new(Int64Array::from(viewers))),
        ("page", Arc::new(StringArray::from(pages))),
        ("device", Arc::new(StringArray::from(devices))),
        ("channel", Arc::new(StringArray::from(landing))),
        ("viewed_at", utc(viewed)),
    ];
    Ok((
        RecordBatch::try_from_iter(users)?,
        RecordBatch::try_from_iter(views)?,
    ))
}

/// Daily delivery of each campaign: impressions, clicks and social interactions.
fn campaigns(random: &mut Random) -> Result<RecordBatch> {
    let (mut names, mut channels, mut days) = (vec![], vec![], vec![]);
    let (mut impressions, mut clicks, mut likes, mut shares, mut comments) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (campaign, (name, channel)) in CAMPAIGNS.iter().enumerate() {
        let click_rate = 0.004 + 0.006 * random.unit();
        let start = random.below(30) as i32;
        for day in start..start + 45 + campaign as i32 * 5 {
            let shown = 2_000 + random.below(20_000) as i64;
            let clicked = (shown as f64 * click_rate * (0.5 + random.unit())).round() as i64;
            names.push(*name);
            channels.push(*channel);
            days.push(FIRST_DAY + day.min(DAYS - 1));
            impressions.push(shown);
            clicks.push(clicked);
            // Only social posts collect likes, shares and comments.
            let social = *channel == "social";
            let interactions = |share: f64, random: &mut Random| {
                social.then(|| (shown as f64 * share * random.unit()).round() as i64)
            };
            likes.push(interactions(0.03, random));
            shares.push(interactions(0.004, random));
            comments.push(interactions(0.003, random));
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("campaign", Arc::new(StringArray::from(names))),
        ("channel", Arc::new(StringArray::from(channels))),
        ("day", Arc::new(Date32Array::from(days))),
        ("impressions", Arc::new(Int64Array::from(impressions))),
        ("clicks", Arc::new(Int64Array::from(clicks))),
        ("likes", Arc::new(Int64Array::from(likes))),
        ("shares", Arc::new(Int64Array::from(shares))),
        ("comments", Arc::new(Int64Array::from(comments))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Orders of the customers of `customers.csv` over the two years before the quarter ended.
fn orders(random: &mut Random, customers: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Date32Type, Int64Type};
    let ids = customers.column(0).as_primitive::<Int64Type>();
    let plans = customers.column(1).as_string::<i32>();
    let signups = customers.column(3).as_primitive::<Date32Type>();
    let last_day = FIRST_DAY + DAYS - 1;
    let (mut order_ids, mut buyers, mut amounts, mut times) = (vec![], vec![], vec![], vec![]);
    for row in 0..customers.num_rows() {
        let plan = PLANS.iter().position(|p| *p == plans.value(row)).unwrap();
        // Bigger plans order more often and spend more per order.
        let orders_per_month = [0.3, 0.8, 1.5, 3.0][plan] * random.unit();
        let basket = [25.0, 60.0, 140.0, 400.0][plan];
        for day in signups.value(row)..=last_day {
            if !random.chance(orders_per_month / 30.0) {
                continue;
            }
            order_ids.push(1 + order_ids.len() as i64);
            buyers.push(ids.value(row));
            let cents = (basket * (0.4 + 1.2 * random.unit()) * 100.0).round();
            amounts.push(cents / 100.0);
            times.push(micros(day, 6 * 3600 + random.below(17 * 3600) as i64));
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("order_id", Arc::new(Int64Array::from(order_ids))),
        ("customer_id", Arc::new(Int64Array::from(buyers))),
        ("amount", Arc::new(Float64Array::from(amounts))),
        ("ordered_at", utc(times)),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Support tickets of the quarter: when opened and resolved (NULL while open), and the
/// customer's CSAT (1–5) and CES (1–7) answers after resolution.
fn tickets(random: &mut Random) -> Result<RecordBatch> {
    let rows = 3_000;
    let (mut ids, mut customers, mut priorities, mut channels) = (vec![], vec![], vec![], vec![]);
    let (mut opened, mut resolved, mut csat, mut ces) = (vec![], vec![], vec![], vec![]);
    for id in 0..rows {
        let priority = random.pick_weighted(&PRIORITIES);
        let channel = CHANNELS[random.below(4) as usize];
        let day = FIRST_DAY + random.below(DAYS as u64) as i32;
        let opened_at = micros(day, random.below(86_400) as i64);
        // Urgent tickets are resolved in hours, low ones in days; a long wait sours the answers.
        let typical_hours = match priority {
            "urgent" => 3.0,
            "high" => 10.0,
            "normal" => 30.0,
            _ => 70.0,
        };
        let hours =
            typical_hours * (0.2 + 1.6 * random.unit()) * (1.0 + random.unit().powi(4) * 3.0);
        let resolved_at = opened_at + (hours * 3.6e9) as i64;
        let still_open = random.chance(0.06) || resolved_at > micros(FIRST_DAY + DAYS, 0);
        let mood = (1.0 - hours / 200.0).clamp(0.1, 0.95);
        ids.push(70_000 + id as i64);
        customers.push(1 + random.below(4_000) as i64);
        priorities.push(priority);
        channels.push(channel);
        opened.push(opened_at);
        resolved.push((!still_open).then_some(resolved_at));
        let answered = !still_open && random.chance(0.45);
        csat.push(answered.then(|| random.score(1, 5, mood)));
        ces.push(answered.then(|| 8 - random.score(1, 7, mood)));
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("ticket_id", Arc::new(Int64Array::from(ids))),
        ("customer_id", Arc::new(Int64Array::from(customers))),
        ("priority", Arc::new(StringArray::from(priorities))),
        ("channel", Arc::new(StringArray::from(channels))),
        ("opened_at", utc(opened)),
        ("resolved_at", utc(resolved)),
        ("csat_score", Arc::new(Int32Array::from(csat))),
        ("ces_score", Arc::new(Int32Array::from(ces))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// A shop visit of a website user: product views, then perhaps the cart, the delivery choice
/// and the payment, in that order but not always the same day; some carts are abandoned, some
/// users pay from an earlier cart without viewing again, and a few events repeat.
fn shop_events(random: &mut Random, users: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
    let ids = users.column(0).as_primitive::<Int64Type>();
    let signups = users.column(1).as_primitive::<TimestampMicrosecondType>();
    let (mut user_ids, mut times, mut names, mut products, mut devices) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut add =
        |user: i64, time: i64, name: &'static str, product: String, device: &'static str| {
            user_ids.push(user);
            times.push(time);
            names.push(name);
            products.push(product);
            devices.push(device);
        };
    let last = micros(FIRST_DAY + DAYS, 0);
    for (user, signup) in ids.values().iter().zip(signups.values()) {
        let device = if random.chance(0.6) {
            "mobile"
        } else {
            "desktop"
        };
        // Desktop shoppers convert better; some users never shop.
        let eager = if device == "desktop" { 1.3 } else { 1.0 } * random.unit();
        let visits = random.below(4);
        let mut time = *signup;
        for _ in 0..visits {
            time += (1 + random.below(20 * 24 * 3600)) as i64 * 1_000_000;
            if time >= last {
                break;
            }
            let product = format!("p{:03}", random.below(120));
            let mut at = time;
            for _ in 0..1 + random.below(3) {
                add(
                    *user,
                    later(random, &mut at, 10),
                    "view_product",
                    product.clone(),
                    device,
                );
            }
            if !random.chance(0.35 + 0.3 * eager) {
                continue;
            }
            add(
                *user,
                later(random, &mut at, 30),
                "add_to_cart",
                product.clone(),
                device,
            );
            if random.chance(0.1) {
                // Back the next day or later: outside a one-day window.
                at += (20 + random.below(40)) as i64 * 3_600_000_000;
            }
            if !random.chance(0.45 + 0.3 * eager) {
                continue;
            }
            add(
                *user,
                later(random, &mut at, 20),
                "choose_delivery",
                product.clone(),
                device,
            );
            if random.chance(0.05) {
                add(*user, at, "choose_delivery", product.clone(), device);
            }
            if random.chance(0.55 + 0.3 * eager) {
                add(*user, later(random, &mut at, 15), "pay", product, device);
            }
        }
        // A payment from an old cart, without a view first.
        if random.chance(0.03) {
            add(
                *user,
                time + 3_600_000_000,
                "pay",
                "p000".to_string(),
                device,
            );
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("user_id", Arc::new(Int64Array::from(user_ids))),
        ("event_time", utc(times)),
        ("event_name", Arc::new(StringArray::from(names))),
        ("product", Arc::new(StringArray::from(products))),
        ("device", Arc::new(StringArray::from(devices))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Pages of the raw clickstream, with how far down readers scroll them on average (%).
const CLICKSTREAM_PAGES: [(&str, u32, f64); 7] = [
    ("/", 28, 45.0),
    ("/pricing", 18, 70.0),
    ("/features", 16, 60.0),
    ("/blog/retention-curves", 12, 75.0),
    ("/blog/nps-benchmarks", 10, 68.0),
    ("/docs/getting-started", 10, 55.0),
    ("/signup", 6, 85.0),
];
const REFERRERS: [(&str, u32); 5] = [
    ("", 40),
    ("google.com", 30),
    ("linkedin.com", 12),
    ("news.ycombinator.com", 8),
    ("newsletter", 10),
];

/// A raw page-view log as web analytics tools export it: an anonymous visitor id, the time,
/// the URL (some with campaign parameters), the referrer of a visit's first view, and how far
/// down the page the visitor scrolled (%, NULL when the page was left before the tracker
/// loaded). No session id: visits are 5 seconds to 25 minutes between views, visits hours
/// or days apart, and a few pauses of 25 to 40 minutes inside a visit, so where the session
/// gap lies matters.
fn clickstream(random: &mut Random) -> Result<RecordBatch> {
    let visitors = 1_200;
    let (mut ids, mut times, mut urls, mut referrers, mut depths) =
        (vec![], vec![], vec![], vec![], vec![]);
    let pages: Vec<(&str, u32)> = CLICKSTREAM_PAGES.iter().map(|p| (p.0, p.1)).collect();
    for visitor in 0..visitors {
        let id = format!("v-{:05x}", visitor * 7919 % 1_048_573);
        let visits = 1 + (random.unit().powi(3) * 8.0) as i32;
        let mut day = FIRST_DAY + random.below(DAYS as u64) as i32;
        for _ in 0..visits {
            if day >= FIRST_DAY + DAYS {
                break;
            }
            let mut at = micros(day, 7 * 3600 + random.below(15 * 3600) as i64);
            let referrer = random.pick_weighted(&REFERRERS);
            let mut views = 1;
            while views < 15 && random.chance(0.62) {
                views += 1;
            }
            for view in 0..views {
                let page = random.pick_weighted(&pages);
                let depth = CLICKSTREAM_PAGES.iter().find(|p| p.0 == page).unwrap().2;
                let campaign = view == 0 && referrer == "newsletter";
                ids.push(id.clone());
                times.push(at);
                urls.push(if campaign {
                    format!("{page}?utm_source=newsletter&utm_medium=email")
                } else {
                    page.to_string()
                });
                referrers.push((view == 0 && !referrer.is_empty()).then_some(referrer));
                let scrolled = (depth * (0.3 + 1.0 * random.unit())).min(100.0).round() as i32;
                depths.push((!random.chance(0.05)).then_some(scrolled));
                // Mostly quick clicks; now and then a long read or a pause near the gap.
                let seconds = if random.chance(0.04) {
                    25 * 60 + random.below(15 * 60)
                } else {
                    5 + (random.unit().powi(3) * 1_500.0) as u64
                };
                at += seconds as i64 * 1_000_000;
            }
            day += 1 + (random.unit().powi(2) * 20.0) as i32;
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("visitor_id", Arc::new(StringArray::from(ids))),
        ("viewed_at", utc(times)),
        ("url", Arc::new(StringArray::from(urls))),
        ("referrer", Arc::new(StringArray::from(referrers))),
        ("scroll_depth", Arc::new(Int32Array::from(depths))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// The email campaigns' events per recipient: delivered, then perhaps opened (again and again)
/// and clicked. Some clicks come with no recorded open (images blocked, so the open pixel
/// never loaded): click-to-open rates count such a recipient as an opener.
fn email_events(random: &mut Random) -> Result<RecordBatch> {
    let (mut campaigns, mut recipients, mut events, mut times) = (vec![], vec![], vec![], vec![]);
    for (campaign, sent_day, open_rate, click_rate) in [
        ("webinar_series", 12, 0.31, 0.18),
        ("newsletter", 40, 0.24, 0.11),
        ("product_launch_email", 70, 0.38, 0.22),
    ] {
        let sent = micros(FIRST_DAY + sent_day, 9 * 3600);
        for recipient in 0..2_000 {
            let mut push = |event: &'static str, at: i64| {
                campaigns.push(campaign);
                recipients.push(10_000 + recipient as i64);
                events.push(event);
                times.push(at);
            };
            push("delivered", sent);
            let opened = random.chance(open_rate);
            let mut at = sent;
            if opened {
                for _ in 0..1 + random.below(3) {
                    at += (60 + random.below(2 * 86_400)) as i64 * 1_000_000;
                    push("open", at);
                }
            }
            let clicked = if opened {
                random.chance(click_rate)
            } else {
                random.chance(0.01)
            };
            if clicked {
                for _ in 0..1 + random.below(2) {
                    at += (5 + random.below(600)) as i64 * 1_000_000;
                    push("click", at);
                }
            }
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("campaign", Arc::new(StringArray::from(campaigns))),
        ("recipient_id", Arc::new(Int64Array::from(recipients))),
        ("event", Arc::new(StringArray::from(events))),
        ("event_time", utc(times)),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Each social account's follower count at the end of each day of the quarter: steady growth,
/// a jump on campaign days, and unfollows.
fn social_followers(random: &mut Random) -> Result<RecordBatch> {
    let (mut days, mut platforms, mut counts) = (vec![], vec![], vec![]);
    for (platform, start, daily_growth) in [
        ("linkedin", 12_400.0, 0.0021),
        ("x", 30_150.0, 0.0006),
        ("instagram", 8_700.0, 0.0035),
    ] {
        let mut followers: f64 = start;
        for day in 0..DAYS {
            let launch = if (50..53).contains(&day) { 0.01 } else { 0.0 };
            let change =
                daily_growth * (0.2 + 1.6 * random.unit()) + launch - 0.0004 * random.unit();
            followers *= 1.0 + change;
            days.push(FIRST_DAY + day);
            platforms.push(platform);
            counts.push(followers.round() as i64);
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("day", Arc::new(Date32Array::from(days))),
        ("platform", Arc::new(StringArray::from(platforms))),
        ("followers", Arc::new(Int64Array::from(counts))),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// The messages of each support ticket of `tickets.parquet`: the customer's first message
/// when it is opened, the agents' replies (the first sooner for urgent tickets) and the
/// customer's answers. Some tickets never got a reply.
fn ticket_messages(random: &mut Random, tickets: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
    let ids = tickets.column(0).as_primitive::<Int64Type>();
    let priorities = tickets.column(2).as_string::<i32>();
    let opened = tickets.column(4).as_primitive::<TimestampMicrosecondType>();
    let (mut ticket_ids, mut authors, mut sent) = (vec![], vec![], vec![]);
    for row in 0..tickets.num_rows() {
        let mut at = opened.value(row);
        ticket_ids.push(ids.value(row));
        authors.push("customer");
        sent.push(at);
        if random.chance(0.04) {
            continue;
        }
        let first_reply_hours = match priorities.value(row) {
            "urgent" => 0.5,
            "high" => 2.0,
            "normal" => 6.0,
            _ => 14.0,
        } * (0.2 + 1.6 * random.unit());
        at += (first_reply_hours * 3.6e9) as i64;
        for message in 0..1 + random.below(4) {
            ticket_ids.push(ids.value(row));
            authors.push(if message % 2 == 0 {
                "agent"
            } else {
                "customer"
            });
            sent.push(at);
            at += (600 + random.below(8 * 3600)) as i64 * 1_000_000;
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("ticket_id", Arc::new(Int64Array::from(ticket_ids))),
        ("author", Arc::new(StringArray::from(authors))),
        ("sent_at", utc(sent)),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Moves `at` on by 30 seconds to `most_minutes` minutes, and returns it.
fn later(random: &mut Random, at: &mut i64, most_minutes: u64) -> i64 {
    *at += (30 + random.below(most_minutes * 60)) as i64 * 1_000_000;
    *at
}

/// The files [`generate`] writes.
pub const FILES: [&str; 13] = [
    "responses.parquet",
    "customers.csv",
    "events.parquet",
    "users.parquet",
    "page_views.parquet",
    "campaigns.csv",
    "orders.parquet",
    "tickets.parquet",
    "shop_events.parquet",
    "clickstream.parquet",
    "email_events.parquet",
    "social_followers.csv",
    "ticket_messages.parquet",
];

fn write_csv(path: &Path, batch: &RecordBatch) -> Result<()> {
    let mut csv = WriterBuilder::new()
        .with_header(true)
        .build(File::create(path)?);
    csv.write(batch)?;
    Ok(())
}

/// Writes the sample files into `folder`.
pub fn generate(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut random = Random(0x5EED_2026);
    write_parquet(&folder.join("responses.parquet"), &responses(&mut random)?)?;
    let customers = customers(&mut random)?;
    write_csv(&folder.join("customers.csv"), &customers)?;
    write_parquet(&folder.join("events.parquet"), &events(&mut random)?)?;
    // The later files draw from their own sequence, so the first three stay as they were.
    let mut random = Random(0x5EED_2027);
    let (users, page_views) = web(&mut random)?;
    write_parquet(&folder.join("users.parquet"), &users)?;
    write_parquet(&folder.join("page_views.parquet"), &page_views)?;
    write_csv(&folder.join("campaigns.csv"), &campaigns(&mut random)?)?;
    write_parquet(
        &folder.join("orders.parquet"),
        &orders(&mut random, &customers)?,
    )?;
    let tickets = tickets(&mut random)?;
    write_parquet(&folder.join("tickets.parquet"), &tickets)?;
    // Its own sequence too, so that the files before stay as they were.
    let mut random = Random(0x5EED_2028);
    write_parquet(
        &folder.join("shop_events.parquet"),
        &shop_events(&mut random, &users)?,
    )?;
    // The raw logs the article recipes of sql/web.sql, marketing.sql and support.sql read.
    let mut random = Random(0x5EED_2029);
    write_parquet(
        &folder.join("clickstream.parquet"),
        &clickstream(&mut random)?,
    )?;
    write_parquet(
        &folder.join("email_events.parquet"),
        &email_events(&mut random)?,
    )?;
    write_csv(
        &folder.join("social_followers.csv"),
        &social_followers(&mut random)?,
    )?;
    write_parquet(
        &folder.join("ticket_messages.parquet"),
        &ticket_messages(&mut random, &tickets)?,
    )?;
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
        for file in FILES {
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
