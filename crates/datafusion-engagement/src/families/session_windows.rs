//! The session window functions (`sessionize`, `time_on_page`, `session_entry`,
//! `session_exit`): one `WindowUDFImpl`, [`SessionWindowUdf`], over what each says of a row
//! in its session ([`SessionColumn`]).
//!
//! Each is called `f(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id …)`. The
//! whole partition is read at once and its rows are taken in time order whatever the window's
//! ORDER BY (rows of one time in the order they come), so the result does not depend on the
//! ORDER BY or the frame; `ORDER BY event_time` is the natural way to write it and costs no
//! extra sort here.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, IntervalUnit, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Documentation, DocumentationBuilder, Expr, PartitionEvaluator, Signature, WindowUDF,
    WindowUDFImpl,
};

use super::sessions::{GAP_DOC, MAX_LENGTH_DOC, SessionBreaks, SessionRule};
use crate::calendar::intervals::coerce_interval;
use crate::calendar::zoned_days::{coerce_event_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{
    check_arg_count, check_logical_constants, constant_expressions, documented_signature,
    lenient_coercion, refuse_distinct,
};

/// The constant arguments: (position, name).
const CONSTANT_ARGS: [(usize, &str); 2] = [(1, "gap"), (2, "max_length")];

/// A partition's rows in time order, each with its session.
pub(crate) struct SessionOrder<'a> {
    /// How many rows the partition has.
    pub rows: usize,
    /// The rows with a time, in time order (ties in row order).
    pub order: Vec<usize>,
    /// By row: microseconds since 1970 (meaningless for rows without a time).
    pub times: &'a [i64],
    /// By place in `order`: the row's session, numbered from 1.
    pub sessions: Vec<i64>,
}

impl SessionOrder<'_> {
    /// Whether the row at `place` of the order opens its session.
    pub(crate) fn opens(&self, place: usize) -> bool {
        place == 0 || self.sessions[place - 1] != self.sessions[place]
    }

    /// The place of the next row of the same session after `place`, if any.
    pub(crate) fn next_in_session(&self, place: usize) -> Option<usize> {
        (place + 1 < self.order.len() && !self.opens(place + 1)).then_some(place + 1)
    }

    /// A result column: `value(place)` for each row with a time, NULL for the others.
    pub(crate) fn by_row<T: Copy>(&self, value: impl Fn(usize) -> Option<T>) -> Vec<Option<T>> {
        let mut column = vec![None; self.rows];
        for (place, &row) in self.order.iter().enumerate() {
            column[row] = value(place);
        }
        column
    }
}

/// The documentation every session window function starts from: the section, the usage with
/// its OVER clause, `description`, `sql_example`, and the `event_time` (`what` the time is),
/// `gap` and `max_length` arguments.
pub(crate) fn session_window_documentation(
    name: &str,
    description: String,
    sql_example: &str,
    what: &str,
) -> DocumentationBuilder {
    Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        description,
        format!(
            "{name}(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY \
             event_time)"
        ),
    )
    .with_sql_example(sql_example)
    .with_argument(
        "event_time",
        format!("{what}: a TIMESTAMP of any unit and zone, or a DATE."),
    )
    .with_argument("gap", GAP_DOC)
    .with_argument("max_length", MAX_LENGTH_DOC)
}

/// What a session window function says of each row.
pub(crate) trait SessionColumn: Debug + Send + Sync + 'static {
    const NAME: &'static str;
    fn documentation() -> &'static Documentation;
    fn return_type() -> DataType;
    /// The result for a partition's rows, in row order.
    fn column(order: &SessionOrder) -> ArrayRef;
}

/// A new DataFusion window function for a [`SessionColumn`].
pub(crate) fn new_session_window<F: SessionColumn>() -> Arc<WindowUDF> {
    let time = DataType::Timestamp(TimeUnit::Microsecond, None);
    let interval = DataType::Interval(IntervalUnit::MonthDayNano);
    Arc::new(WindowUDF::from(SessionWindowUdf::<F> {
        signature: documented_signature(vec![
            vec![time.clone()],
            vec![time.clone(), interval.clone()],
            vec![time, interval.clone(), interval],
        ]),
        column: PhantomData,
    }))
}

/// Defines `pub fn $udwf() -> Arc<WindowUDF>` returning one shared instance of the window
/// function of a [`SessionColumn`].
macro_rules! shared_session_window {
    ($(#[$doc:meta])* $udwf:ident, $column:ty) => {
        $crate::common::shared_function!(
            $(#[$doc])* $udwf,
            datafusion::logical_expr::WindowUDF,
            $crate::families::session_windows::new_session_window::<$column>
        );
    };
}
pub(crate) use shared_session_window;

/// The DataFusion window function of a [`SessionColumn`].
#[derive(Debug)]
pub(crate) struct SessionWindowUdf<F> {
    signature: Signature,
    column: PhantomData<F>,
}

// Two instances of the same function are interchangeable: there is no per-instance setting.
impl<F> PartialEq for SessionWindowUdf<F> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl<F> Eq for SessionWindowUdf<F> {}
impl<F: SessionColumn> Hash for SessionWindowUdf<F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        F::NAME.hash(state);
    }
}

impl<F: SessionColumn> SessionWindowUdf<F> {
    fn usage() -> &'static str {
        &F::documentation().syntax_example
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(F::NAME, arg_types, 1, 3, Self::usage())?;
        let mut types = vec![coerce_event_time(F::NAME, "event_time", &arg_types[0])?];
        for ((_, name), given) in CONSTANT_ARGS.iter().zip(&arg_types[1..]) {
            types.push(coerce_interval(F::NAME, name, "30 minutes", given)?);
        }
        Ok(types)
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<SessionRule> {
        SessionRule::of(F::NAME, constants[0].as_ref(), constants[1].as_ref())
    }
}

impl<F: SessionColumn> WindowUDFImpl for SessionWindowUdf<F> {
    fn name(&self) -> &str {
        F::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(Self::check_arg_types(arg_types), arg_types)
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let constants = constant_expressions(F::NAME, &CONSTANT_ARGS, args.input_exprs(), |e| {
            e.to_string()
        })?;
        let event_time = args.input_fields()[0].data_type();
        Ok(Box::new(SessionEvaluator::<F> {
            breaks: SessionBreaks::new(Self::rule(&constants)?, event_time)?,
            column: PhantomData,
        }))
    }

    fn simplify(&self) -> Option<datafusion::logical_expr::function::WindowFunctionSimplification> {
        Some(Box::new(|window, _info| {
            refuse_distinct(F::NAME, window.params.distinct)?;
            if window.params.filter.is_some() {
                return plan_err!(
                    "{}: FILTER is not supported: a window function numbers every row of its \
                     partition; filter the rows with WHERE in a subquery",
                    F::NAME
                );
            }
            if let Some(constants) =
                check_logical_constants(F::NAME, &window.params.args, &CONSTANT_ARGS)?
            {
                Self::rule(&constants)?;
            }
            Ok(Expr::WindowFunction(Box::new(window)))
        }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        // Coercion is lenient (see `lenient_coercion`): a call of wrong types fails here.
        let types: Vec<DataType> = field_args
            .input_fields()
            .iter()
            .map(|field| field.data_type().clone())
            .collect();
        Self::check_arg_types(&types)?;
        Ok(Arc::new(Field::new(
            field_args.name(),
            F::return_type(),
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(F::documentation())
    }
}

/// Evaluates a whole partition at once.
#[derive(Debug)]
struct SessionEvaluator<F> {
    breaks: SessionBreaks,
    column: PhantomData<F>,
}

impl<F: SessionColumn> PartitionEvaluator for SessionEvaluator<F> {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let times = microseconds_since_epoch(&values[0])?;
        let nulls = values[0].logical_nulls();
        let mut order: Vec<usize> = match &nulls {
            Some(nulls) => nulls.valid_indices().collect(),
            None => (0..num_rows).collect(),
        };
        // Rows usually come ordered by time already: then the sort is a check.
        if !order.is_sorted_by_key(|&row| times[row]) {
            order.sort_by_key(|&row| times[row]);
        }
        let ordered_times: Vec<i64> = order.iter().map(|&row| times[row]).collect();
        let mut sessions = Vec::with_capacity(order.len());
        for (number, session) in self.breaks.sessions(&ordered_times).enumerate() {
            sessions.extend(std::iter::repeat_n(number as i64 + 1, session.len()));
        }
        Ok(F::column(&SessionOrder {
            rows: num_rows,
            order,
            times: &times,
            sessions,
        }))
    }
}
