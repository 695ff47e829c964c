//! `benchmark_band(metric, value)`: where a metric's value stands against the benchmark ranges
//! the source articles give, and those ranges for reports ([`benchmark_bands`]).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{
    check_arg_count, coerce_numeric, coerce_string, documented_signature, lenient_coercion,
};
use crate::families::labels::label_values;

const NAME: &str = "benchmark_band";

/// One band of a metric's benchmark: the values up to `upper` (the last band has no upper
/// bound) not in an earlier band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchmarkBand {
    /// What the articles call a value in this band: `"good"`, `"healthy"`, `"high"`…
    pub label: &'static str,
    /// The band's upper end, in the metric's own unit (percent, NPS points, pages);
    /// `f64::INFINITY` for the last band.
    pub upper: f64,
    /// Whether `upper` itself is in this band (else in the next).
    pub upper_included: bool,
}

impl BenchmarkBand {
    const fn below(upper: f64, label: &'static str) -> Self {
        Self {
            label,
            upper,
            upper_included: false,
        }
    }

    const fn up_to(upper: f64, label: &'static str) -> Self {
        Self {
            label,
            upper,
            upper_included: true,
        }
    }

    const fn rest(label: &'static str) -> Self {
        Self::up_to(f64::INFINITY, label)
    }

    fn holds(&self, value: f64) -> bool {
        value < self.upper || (self.upper_included && value == self.upper)
    }
}

/// The benchmark of each metric, from the articles this pack's definitions come from. Where
/// they disagree, the documentation of `benchmark_band` says which band is used and why.
const BENCHMARKS: &[(&str, &[BenchmarkBand])] = &[
    // Bain's reading, as the articles quote it: above 0 good, above 20 great, above 50
    // excellent.
    (
        "nps",
        &[
            BenchmarkBand::up_to(0.0, "poor"),
            BenchmarkBand::up_to(20.0, "good"),
            BenchmarkBand::up_to(50.0, "great"),
            BenchmarkBand::rest("excellent"),
        ],
    ),
    // 75–85 % is the typical range across industries.
    (
        "csat",
        &[
            BenchmarkBand::below(75.0, "low"),
            BenchmarkBand::up_to(85.0, "typical"),
            BenchmarkBand::rest("high"),
        ],
    ),
    // Monthly churn of 2–8 % is healthy for subscription businesses.
    (
        "churn_rate",
        &[
            BenchmarkBand::below(2.0, "low"),
            BenchmarkBand::up_to(8.0, "healthy"),
            BenchmarkBand::rest("high"),
        ],
    ),
    // 70 % and more is high, below 50 % low.
    (
        "retention_rate",
        &[
            BenchmarkBand::below(50.0, "low"),
            BenchmarkBand::below(70.0, "average"),
            BenchmarkBand::rest("high"),
        ],
    ),
    // Above 13 % (about 4 active days in a 30-day month) is good.
    (
        "stickiness",
        &[
            BenchmarkBand::up_to(13.0, "low"),
            BenchmarkBand::rest("good"),
        ],
    ),
    // Below 40 % is good.
    (
        "bounce_rate",
        &[
            BenchmarkBand::below(40.0, "good"),
            BenchmarkBand::rest("high"),
        ],
    ),
    // 1.7 to 4 pages per session is typical.
    (
        "pages_per_session",
        &[
            BenchmarkBand::below(1.7, "low"),
            BenchmarkBand::up_to(4.0, "typical"),
            BenchmarkBand::rest("high"),
        ],
    ),
    // Social engagement of 1–5 % of reach is good.
    (
        "engagement_rate",
        &[
            BenchmarkBand::below(1.0, "low"),
            BenchmarkBand::up_to(5.0, "good"),
            BenchmarkBand::rest("high"),
        ],
    ),
];

/// The benchmark bands of a metric of this pack (`"nps"`, `"churn_rate"`…), lowest first;
/// `None` for a metric the articles give no range for. The `engage` shell's reports draw them
/// behind the metric's bars and lines.
///
/// ```
/// use datafusion_engagement::benchmark_band::benchmark_bands;
///
/// let bands = benchmark_bands("churn_rate").unwrap();
/// assert_eq!(bands[1].label, "healthy");
/// assert_eq!(bands[1].upper, 8.0);
/// assert!(benchmark_bands("ces").is_none());
/// ```
pub fn benchmark_bands(metric: &str) -> Option<&'static [BenchmarkBand]> {
    BENCHMARKS
        .iter()
        .find(|(name, _)| *name == metric)
        .map(|(_, bands)| *bands)
}

/// The label of a metric's value, or an error naming the value.
fn band_of(bands: &[BenchmarkBand], metric: &str, value: f64) -> Result<&'static str> {
    if value.is_nan() {
        return exec_err!("{NAME}: value NaN of {metric} is not valid: expected a number");
    }
    Ok(bands
        .iter()
        .find(|band| band.holds(value))
        .map_or(bands[bands.len() - 1].label, |band| band.label))
}

/// The bands of the constant metric argument, or a planning error listing the metrics.
fn bands_of_argument(metric: &ScalarValue) -> Result<(String, &'static [BenchmarkBand])> {
    let name = match metric.try_as_str() {
        Some(Some(name)) => name.trim().to_ascii_lowercase(),
        _ if metric.is_null() => return plan_err!("{NAME}: metric must not be NULL"),
        _ => return plan_err!("{NAME}: metric must be a string, got {metric}"),
    };
    match benchmark_bands(&name) {
        Some(bands) => Ok((name, bands)),
        None => {
            let known: Vec<String> = BENCHMARKS.iter().map(|(n, _)| format!("'{n}'")).collect();
            plan_err!(
                "{NAME}: no benchmark for metric '{name}': expected one of {}",
                known.join(", ")
            )
        }
    }
}

/// The `benchmark_band` scalar function.
#[derive(Debug, PartialEq, Eq, Hash)]
struct BenchmarkBandFunction {
    signature: Signature,
}

crate::common::shared_function!(
    /// The `benchmark_band` scalar function.
    benchmark_band_udf,
    ScalarUDF,
    || Arc::new(ScalarUDF::from(BenchmarkBandFunction {
        signature: documented_signature(vec![vec![DataType::Utf8, DataType::Float64]]),
    }))
);

fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
    check_arg_count(NAME, arg_types, 2, 2, "benchmark_band(metric, value)")?;
    Ok(vec![
        coerce_string(NAME, "metric", &arg_types[0])?,
        coerce_numeric(NAME, "value", &arg_types[1])?,
    ])
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    let table: Vec<String> = BENCHMARKS
        .iter()
        .map(|(metric, bands)| {
            let mut lower = String::new();
            let parts: Vec<String> = bands
                .iter()
                .map(|band| {
                    let part = if band.upper.is_infinite() {
                        format!("'{}' {lower}", band.label)
                    } else {
                        let op = if band.upper_included { "≤" } else { "<" };
                        format!("'{}' {op} {}", band.label, band.upper)
                    };
                    let from = if band.upper_included { ">" } else { "≥" };
                    lower = format!("{from} {}", band.upper);
                    part
                })
                .collect();
            format!("{metric}: {}", parts.join(", "))
        })
        .collect();
    Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        format!(
            "Where a metric's value stands against the benchmark the source articles give: the \
             band's label, a string; NULL for a NULL value. Values are in the metric's own unit \
             (percent for rates, NPS points, pages). The bands ({}). Where the articles \
             disagree: NPS uses Bain's reading (above 0 good, above 20 great, above 50 \
             excellent) rather than one industry's average; churn is the monthly 2–8 % of \
             subscription businesses (annual churn reads higher); stickiness takes 13 %, about \
             4 active days in a 30-day month, the one threshold the articles share. Benchmarks \
             vary by industry: a label is a first reading, not a verdict.",
            table.join("; ")
        ),
        "benchmark_band(metric, value)",
    )
    .with_sql_example("```sql\nSELECT segment, nps(score) AS nps, benchmark_band('nps', nps(score)) AS band\nFROM responses\nGROUP BY segment;\n```")
    .with_argument("metric", "The metric's name, a constant string: 'nps', 'csat', 'churn_rate', 'retention_rate', 'stickiness', 'bounce_rate', 'pages_per_session' or 'engagement_rate'.")
    .with_argument("value", "The metric's value: any numeric expression, such as the metric's own aggregate.")
    .with_related_udf("nps")
    .with_related_udf("churn_rate")
    .build()
});

impl ScalarUDFImpl for BenchmarkBandFunction {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(check_arg_types(arg_types), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        check_arg_types(arg_types)?;
        Ok(DataType::Utf8)
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        // The metric must be a constant, checked (and named) when the plan is made.
        match args.first() {
            Some(Expr::Literal(metric, _)) => {
                bands_of_argument(metric)?;
            }
            Some(Expr::Cast(cast)) if matches!(*cast.expr, Expr::Literal(..)) => {}
            Some(other) => {
                return plan_err!("{NAME}: metric must be a constant, got the expression {other}");
            }
            None => {}
        }
        Ok(ExprSimplifyResult::Original(args))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let metric = match &args.args[0] {
            ColumnarValue::Scalar(metric) => metric.clone(),
            // Through DataFusion's FFI (from Python) a constant comes as a column of one value.
            ColumnarValue::Array(metrics) if metrics.is_empty() => {
                return Ok(ColumnarValue::Array(Arc::new(StringArray::from(Vec::<
                    Option<&str>,
                >::new(
                )))));
            }
            ColumnarValue::Array(metrics) => constant_of_column(metrics)?,
        };
        let (name, bands) = bands_of_argument(&metric)?;
        label_values(&args.args[1], |value| band_of(bands, &name, value))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// The one value of a column that repeats a constant; an error if its rows differ.
fn constant_of_column(metrics: &ArrayRef) -> Result<ScalarValue> {
    let first = ScalarValue::try_from_array(metrics, 0)?;
    for row in 1..metrics.len() {
        if ScalarValue::try_from_array(metrics, row)? != first {
            return exec_err!("{NAME}: metric must be a constant, such as 'nps'");
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(metric: &str, value: f64) -> &'static str {
        band_of(benchmark_bands(metric).unwrap(), metric, value).unwrap()
    }

    #[test]
    fn bands_follow_the_articles_thresholds() {
        assert_eq!(band("nps", -5.0), "poor");
        assert_eq!(band("nps", 0.0), "poor");
        assert_eq!(band("nps", 0.5), "good");
        assert_eq!(band("nps", 20.0), "good");
        assert_eq!(band("nps", 50.0), "great");
        assert_eq!(band("nps", 51.0), "excellent");
        assert_eq!(band("csat", 74.9), "low");
        assert_eq!(band("csat", 75.0), "typical");
        assert_eq!(band("csat", 85.0), "typical");
        assert_eq!(band("churn_rate", 1.9), "low");
        assert_eq!(band("churn_rate", 8.0), "healthy");
        assert_eq!(band("churn_rate", 8.1), "high");
        assert_eq!(band("retention_rate", 70.0), "high");
        assert_eq!(band("retention_rate", 49.0), "low");
        assert_eq!(band("stickiness", 13.0), "low");
        assert_eq!(band("stickiness", 400.0 / 30.0), "good");
        assert_eq!(band("bounce_rate", 40.0), "high");
        assert_eq!(band("pages_per_session", 1.7), "typical");
        assert_eq!(band("engagement_rate", f64::INFINITY), "high");
        assert!(band_of(benchmark_bands("nps").unwrap(), "nps", f64::NAN).is_err());
    }

    #[test]
    fn every_metric_with_a_benchmark_is_one_of_the_pack() {
        let names: Vec<String> = crate::all_aggregate_functions()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        for (metric, bands) in BENCHMARKS {
            assert!(names.iter().any(|n| n == metric), "{metric}");
            assert!(bands.last().unwrap().upper.is_infinite(), "{metric}");
            assert!(
                bands.windows(2).all(|w| w[0].upper < w[1].upper),
                "{metric}"
            );
        }
    }
}
