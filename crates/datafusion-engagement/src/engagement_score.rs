//! `engagement_score(event, weights)`: the weighted sum of a group's events.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{HashMap, ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string, is_string_type};
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::strings::for_each_string;
use crate::kernels::tally::{StateLayout, Tally, TallyKernel, TallyRule};

const NAME: &str = "engagement_score";

/// Sum over a group's rows of the weight of the row's event.
#[derive(Debug)]
pub(crate) struct EngagementScore;

/// The event weights, read once from the constant `weights` argument.
#[derive(Debug)]
pub(crate) struct EventWeights {
    weights: HashMap<String, f64>,
}

impl EventWeights {
    /// Parses `'login=1, invite_colleague=5, support_ticket=-3'`.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let mut weights = HashMap::new();
        for entry in text.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return plan_err!(
                    "{NAME}: weights '{text}' has an empty entry; expected a list like 'login=1, invite_colleague=5, support_ticket=-3'"
                );
            }
            let Some((event, weight)) = entry.split_once('=') else {
                return plan_err!(
                    "{NAME}: weights entry '{entry}' is not of the form event=weight"
                );
            };
            Self::insert(
                &mut weights,
                event.trim(),
                parse_weight(event.trim(), weight.trim())?,
            )?;
        }
        Ok(Self { weights })
    }

    /// Reads the entries of a one-row MAP literal, e.g. `MAP {'login': 1, 'invite': 5}`.
    fn from_map(map: &dyn Array) -> Result<Self> {
        let map = map.as_map();
        let entries = map.value(0);
        let (events, values) = (entries.column(0), entries.column(1));
        if !is_string_type(events.data_type()) || !values.data_type().is_numeric() {
            return plan_err!(
                "{NAME}: MAP weights must map event names (strings) to numbers, got MAP from {} to {}",
                events.data_type(),
                values.data_type()
            );
        }
        let (events, values) = (
            cast(events, &DataType::Utf8)?,
            cast(values, &DataType::Float64)?,
        );
        let (events, values) = (
            events.as_string::<i32>(),
            values.as_primitive::<Float64Type>(),
        );
        let mut weights = HashMap::new();
        for i in 0..entries.len() {
            if values.is_null(i) {
                return plan_err!("{NAME}: weight of event '{}' is NULL", events.value(i));
            }
            Self::insert(
                &mut weights,
                events.value(i),
                check_weight(events.value(i), values.value(i))?,
            )?;
        }
        if weights.is_empty() {
            return plan_err!("{NAME}: weights MAP is empty; list at least one event");
        }
        Ok(Self { weights })
    }

    fn from_scalar(value: &ScalarValue) -> Result<Self> {
        match value {
            ScalarValue::Utf8(Some(text))
            | ScalarValue::LargeUtf8(Some(text))
            | ScalarValue::Utf8View(Some(text)) => Self::parse(text),
            ScalarValue::Dictionary(_, inner) => Self::from_scalar(inner),
            ScalarValue::Map(map) if map.is_valid(0) => Self::from_map(map.as_ref()),
            other if other.is_null() => plan_err!("{NAME}: weights must not be NULL"),
            other => plan_err!(
                "{NAME}: weights must be a string like 'login=1, invite_colleague=5' or a MAP literal, got {other}"
            ),
        }
    }

    fn insert(weights: &mut HashMap<String, f64>, event: &str, weight: f64) -> Result<()> {
        if event.is_empty() {
            return plan_err!("{NAME}: weights has an entry with an empty event name");
        }
        if weights.insert(event.to_string(), weight).is_some() {
            return plan_err!("{NAME}: event '{event}' is listed more than once in weights");
        }
        Ok(())
    }

    /// The weight of an event; events that are not listed weigh 0.
    #[inline]
    fn weight(&self, event: &str) -> f64 {
        self.weights.get(event).copied().unwrap_or(0.0)
    }
}

fn parse_weight(event: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(weight) => check_weight(event, weight),
        Err(_) => plan_err!("{NAME}: weight '{text}' of event '{event}' is not a number"),
    }
}

fn check_weight(event: &str, weight: f64) -> Result<f64> {
    if weight.is_finite() {
        Ok(weight)
    } else {
        plan_err!("{NAME}: weight {weight} of event '{event}' is not a finite number")
    }
}

impl TallyRule for EventWeights {
    type Sums = [f64; 1];
    // Only whether a group had events matters beside the sum.
    const STATE: StateLayout = StateLayout::NullableSum;

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        for_each_string(
            &inputs[0],
            rows,
            |event| self.weight(event),
            |row, weight| add(row, Tally::row([weight])),
        )
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then_some(tally.sums[0])
    }

    fn heap_size(&self) -> usize {
        self.weights.allocation_size() + self.weights.keys().map(String::capacity).sum::<usize>()
    }
}

impl Metric for EngagementScore {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = Some("points");
    const STATE_NAMES: &'static [&'static str] = &["score"];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(1, "weights")];
    type Rule = EventWeights;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Weighted engagement score: the sum over the group's rows of the weight of each \
                 row's event, a DOUBLE. Events not listed in weights count 0; NULL events are \
                 skipped; a group without events gives NULL. Weights may be negative or \
                 fractional. Pair with engagement_tier to label the result.",
                "engagement_score(event, weights)",
            )
            .with_sql_example("```sql\nSELECT user_id,\n       engagement_score(event_name, 'login=1, invite_colleague=5, support_ticket=-3') AS score\nFROM events\nGROUP BY user_id;\n\nSELECT engagement_score(event_name, MAP {'login': 1, 'export': 2.5}) FROM events;\n```")
            .with_argument("event", "Event name: a string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument(
                "weights",
                "Constant event weights: a string 'event=weight, …' or a MAP literal from event to number. \
                 Each event may be listed once; weights must be finite numbers.",
            )
            .with_related_udf("engagement_tier")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        vec![vec![DataType::Utf8, DataType::Utf8]]
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, 2, 2, Self::usage())?;
        let event = coerce_string(NAME, "event", &arg_types[0])?;
        let weights = &arg_types[1];
        if !(is_string_type(weights) || matches!(weights, DataType::Map(_, _))) {
            return plan_err!(
                "{NAME}: weights must be a constant string like 'login=1, invite_colleague=5' or a MAP literal, got type {weights}"
            );
        }
        Ok(vec![event, weights.clone()])
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<EventWeights> {
        match &constants[0] {
            Some(weights) => EventWeights::from_scalar(weights),
            None => plan_err!("{NAME}: weights argument is missing"),
        }
    }
}

shared_udaf!(
    /// The `engagement_score` aggregate function.
    engagement_score_udaf,
    EngagementScore
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to `length` characters from `alphabet`.
    fn all_strings(alphabet: &[&str], length: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..length {
            last = last
                .iter()
                .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn the_weights_parser_never_panics_and_names_itself_in_every_error() {
        // The characters the grammar gives meaning to, and the troublesome rest.
        let alphabet = [
            "a", "=", ",", " ", "1", "-", ".", "e", "inf", "NaN", "é", "\u{0}", "+",
        ];
        let mut parsed = 0;
        for text in all_strings(&alphabet, 4) {
            match EventWeights::parse(&text) {
                Ok(weights) => {
                    parsed += 1;
                    assert!(weights.weights.values().all(|w| w.is_finite()), "{text:?}");
                    assert!(!weights.weights.contains_key(""), "{text:?}");
                }
                Err(error) => {
                    let message = error.to_string();
                    assert!(
                        message.contains("engagement_score: "),
                        "{text:?}: {message}"
                    );
                }
            }
        }
        assert!(parsed > 100, "the alphabet forms valid lists too: {parsed}");
        // Long and odd inputs.
        for text in [
            "a=1,".repeat(10_000),
            format!("a={}", "9".repeat(400)),
            "=".repeat(1_000),
            "x=1e308, y=-1e308".to_string(),
            "x=1e309".to_string(),
        ] {
            let _ = EventWeights::parse(&text);
        }
        assert!(
            EventWeights::parse("x=1e309").is_err(),
            "an infinite weight"
        );
    }
}
