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
    /// The column arguments, in order, around the constants.
    pub columns: Vec<(&'static str, ArrayRef)>,
    /// Constant arguments and their positions among all arguments.
    pub constants: Vec<(usize, ScalarValue)>,
}

/// One argument of a [`Case`]: the index of a column, or a constant.
enum Arg<'a> {
    Column(usize),
    Constant(&'a ScalarValue),
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

    /// The arguments in call order.
    fn args(&self) -> Vec<Arg<'_>> {
        let mut columns = 0..self.columns.len();
        (0..self.columns.len() + self.constants.len())
            .map(
                |position| match self.constants.iter().find(|(p, _)| *p == position) {
                    Some((_, value)) => Arg::Constant(value),
                    None => Arg::Column(columns.next().expect("a column for every position")),
                },
            )
            .collect()
    }

    fn column_fields(&self) -> Vec<FieldRef> {
        self.columns
            .iter()
            .map(|(name, a)| Arc::new(Field::new(*name, a.data_type().clone(), true)))
            .collect()
    }

    pub fn fields(&self) -> Vec<FieldRef> {
        let columns = self.column_fields();
        self.args()
            .into_iter()
            .enumerate()
            .map(|(position, arg)| match arg {
                Arg::Column(i) => Arc::clone(&columns[i]),
                Arg::Constant(c) => {
                    Arc::new(Field::new(format!("c{position}"), c.data_type(), true))
                }
            })
            .collect()
    }

    pub fn exprs(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        self.args()
            .into_iter()
            .map(|arg| match arg {
                Arg::Column(i) => {
                    Arc::new(Column::new(self.columns[i].0, i)) as Arc<dyn PhysicalExpr>
                }
                Arg::Constant(c) => Arc::new(Literal::new(c.clone())) as Arc<dyn PhysicalExpr>,
            })
            .collect()
    }

    /// The argument arrays as the engine passes them: constants broadcast to the batch length.
    pub fn values(&self, rows: std::ops::Range<usize>) -> Vec<ArrayRef> {
        self.args()
            .into_iter()
            .map(|arg| match arg {
                Arg::Column(i) => self.columns[i].1.slice(rows.start, rows.len()),
                Arg::Constant(c) => c.to_array_of_size(rows.len()).unwrap(),
            })
            .collect()
    }

    pub fn with_args<T>(&self, f: impl FnOnce(&AggregateUDF, AccumulatorArgs) -> T) -> T {
        let udaf = self.udaf();
        let fields = self.fields();
        let schema = Schema::new(self.column_fields());
        let exprs = self.exprs();
        let args = AccumulatorArgs {
            return_field: self.return_field(),
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

    fn return_field(&self) -> FieldRef {
        let types: Vec<DataType> = self
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let return_type = self.udaf().return_type(&types).unwrap();
        Arc::new(Field::new(self.function, return_type, true))
    }

    pub fn state_field_count(&self) -> usize {
        let udaf = self.udaf();
        let fields = self.fields();
        udaf.state_fields(StateFieldsArgs {
            name: self.function,
            input_fields: &fields,
            return_field: self.return_field(),
            ordering_fields: &[],
            is_distinct: false,
        })
        .unwrap()
        .len()
    }
}
