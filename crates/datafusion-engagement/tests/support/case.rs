//! One aggregate call for tests and benches: the function, its argument columns and constant
//! arguments, and how the engine would hand them to an accumulator.
//!
//! Included with `#[path]` by `tests/accumulators.rs` and `benches/accumulators.rs`.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::AggregateUDF;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion_engagement::all_aggregate_functions;

/// One aggregate call: the function, its argument columns and constant arguments, and rows.
pub struct Case {
    pub function: &'static str,
    pub columns: Vec<(&'static str, ArrayRef)>,
    pub constants: Vec<ScalarValue>,
}

impl Case {
    pub fn udaf(&self) -> Arc<AggregateUDF> {
        all_aggregate_functions()
            .into_iter()
            .find(|f| f.name() == self.function)
            .unwrap()
    }

    pub fn rows(&self) -> usize {
        self.columns[0].1.len()
    }

    pub fn fields(&self) -> Vec<FieldRef> {
        let columns = self
            .columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true));
        let constants = self
            .constants
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("c{i}"), c.data_type(), true));
        columns.chain(constants).map(Arc::new).collect()
    }

    pub fn exprs(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Arc::new(Column::new(name, i)) as Arc<dyn PhysicalExpr>);
        let constants = self
            .constants
            .iter()
            .map(|c| Arc::new(Literal::new(c.clone())) as Arc<dyn PhysicalExpr>);
        columns.chain(constants).collect()
    }

    /// The argument arrays as the engine passes them: constants broadcast to the batch length.
    pub fn values(&self, rows: std::ops::Range<usize>) -> Vec<ArrayRef> {
        let columns = self
            .columns
            .iter()
            .map(|(_, a)| a.slice(rows.start, rows.len()));
        let constants = self
            .constants
            .iter()
            .map(|c| c.to_array_of_size(rows.len()).unwrap());
        columns.chain(constants).collect()
    }

    pub fn with_args<T>(&self, f: impl FnOnce(&AggregateUDF, AccumulatorArgs) -> T) -> T {
        let udaf = self.udaf();
        let fields = self.fields();
        let schema = Schema::new(
            fields
                .iter()
                .take(self.columns.len())
                .cloned()
                .collect::<Vec<_>>(),
        );
        let exprs = self.exprs();
        let args = AccumulatorArgs {
            return_field: Arc::new(Field::new(self.function, DataType::Float64, true)),
            schema: &schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name: self.function,
            is_distinct: false,
            exprs: &exprs,
            expr_fields: &fields,
        };
        f(&udaf, args)
    }

    pub fn state_field_count(&self) -> usize {
        let udaf = self.udaf();
        let fields = self.fields();
        udaf.state_fields(StateFieldsArgs {
            name: self.function,
            input_fields: &fields,
            return_field: Arc::new(Field::new(self.function, DataType::Float64, true)),
            ordering_fields: &[],
            is_distinct: false,
        })
        .unwrap()
        .len()
    }
}
