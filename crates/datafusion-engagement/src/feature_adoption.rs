//! `feature_adoption(user_id, used_feature)`: the share of users who used a feature.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_boolean};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIdKind;
use crate::families::key_values::{Flag, FlaggedShare};
use crate::kernels::keyed::{KeyedKernel, KeyedRule};

/// 100 × distinct users with a true `used_feature` row / distinct users.
#[derive(Debug)]
pub(crate) struct FeatureAdoption;

/// Flags a user who has a row with `used_feature` true.
#[derive(Debug)]
pub(crate) struct AdoptionRule;

impl KeyedRule for AdoptionRule {
    type Value = Flag;
    type Summary = FlaggedShare;

    fn row_values(&self, inputs: &[ArrayRef], _rows: &SelectedRows) -> Result<Vec<Flag>> {
        let used = inputs[1].as_boolean();
        // NULL is not a use: the user counts, without adopting.
        Ok((0..used.len())
            .map(|row| Flag(used.is_valid(row) && used.value(row)))
            .collect())
    }

    fn fold(summary: &mut FlaggedShare, value: &Flag) {
        summary.fold(value)
    }

    fn result(&self, summary: &FlaggedShare) -> Option<f64> {
        summary.percent()
    }
}

impl Metric for FeatureAdoption {
    const NAME: &'static str = "feature_adoption";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["users"];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const DISTINCT: Distinct = Distinct::Unchanged;
    type Rule = AdoptionRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Feature adoption: 100 × distinct users with at least one row where used_feature \
                 is true / distinct users, a DOUBLE from 0 to 100. Exact. Rows with a NULL user_id \
                 are skipped; a NULL used_feature counts the user as not adopting. A group without \
                 users gives NULL.",
                "feature_adoption(user_id, used_feature)",
            )
            .with_sql_example("```sql\nSELECT plan, feature_adoption(user_id, event_name = 'export') AS export_adoption\nFROM events\nGROUP BY plan;\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("used_feature", "BOOLEAN: this row is a use of the feature.")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 2, 2, Self::usage())?;
        Ok(vec![
            UserIdKind::coerce(Self::NAME, "user_id", &arg_types[0])?,
            coerce_boolean(Self::NAME, "used_feature", &arg_types[1])?,
        ])
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        UserIdKind::example_types()
            .map(|user| vec![user, DataType::Boolean])
            .to_vec()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<AdoptionRule> {
        Ok(AdoptionRule)
    }
}

shared_udaf!(
    /// The `feature_adoption` aggregate function.
    feature_adoption_udaf,
    FeatureAdoption
);
