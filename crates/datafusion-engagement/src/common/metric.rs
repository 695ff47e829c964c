//! The front end every aggregate of this pack shares: the one `AggregateUDFImpl`.
//!
//! A function says what is particular to it in a [`Metric`] (name, documentation, argument
//! types, which arguments are columns and which constants, what `DISTINCT` means for it, and
//! the rule it computes with); its [`Kernel`] (the tally, the keyed table, stickiness's day
//! windows) says how the state is kept. Everything else — the signature, coercion with our own
//! messages, constant arguments read once, `DISTINCT` refused or dropped, the planning-time
//! checks, the documentation — is [`MetricUdaf`], written once.

use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, Expr, GroupsAccumulator, Signature,
    TypeSignature, Volatility,
};

use super::args::{
    check_logical_call, constant_arguments, dictionary_string_constants, documented_signature,
    lenient_coercion, refuse_distinct,
};
use super::rows::SelectedRows;

/// What `f(DISTINCT …)` means for a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distinct {
    /// Every row is one observation: `DISTINCT` would change the number, so it is an error.
    Refused,
    /// The metric already counts each user or session once: `DISTINCT` cannot change the
    /// result, so it is accepted and dropped at planning (DataFusion plans no extra GROUP BY).
    Unchanged,
}

/// Everything that makes one aggregate function, apart from how its state is kept.
pub(crate) trait Metric: Debug + Send + Sync + Sized + 'static {
    /// The SQL name.
    const NAME: &'static str;
    /// The unit of the result, which the shell's reports show with its numbers: `"%"`,
    /// `"s"`, `"NPS"`…; `None` for a count, an amount, a list or a STRUCT (whose fields say
    /// theirs in [`Self::FIELD_UNITS`]).
    const UNIT: Option<&'static str>;
    /// The units of the fields of a STRUCT result, or of a list's rows, that have one.
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[];
    /// Positions of the arguments read row by row whose NULL skips the row. A position past
    /// the end of a shorter call (an optional argument left out) is ignored.
    const REQUIRED_ARGS: &'static [usize];
    /// Arguments that must be constants: (position, name).
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[];
    /// The constant arguments of a call with these argument types (as written or coerced):
    /// [`Self::CONSTANT_ARGS`], unless a function's constants follow a variable number of
    /// columns (a funnel's modes after its steps) and are found by their types.
    fn constant_args(_arg_types: &[DataType]) -> Cow<'static, [(usize, &'static str)]> {
        Cow::Borrowed(Self::CONSTANT_ARGS)
    }
    /// What `DISTINCT` means.
    const DISTINCT: Distinct = Distinct::Refused;
    /// Names of the state fields (before [`format_state_name`](
    /// datafusion::logical_expr::utils::format_state_name)); each kernel says what it needs.
    const STATE_NAMES: &'static [&'static str];
    /// What the accumulators compute with, built from the constant arguments.
    type Rule: Debug + Send + Sync + 'static;
    /// How the state is kept.
    type Kernel: Kernel<Self>;

    fn documentation() -> &'static Documentation;
    /// How the function is called, as its documentation shows it: what argument-count errors
    /// quote.
    fn usage() -> &'static str {
        &Self::documentation().syntax_example
    }
    /// Checks argument count and types, naming the function and the offending type, and
    /// returns the types to coerce to. Must accept its own output.
    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>>;
    /// Typical (coerced) argument types, listed by `SHOW FUNCTIONS`.
    fn example_arg_types() -> Vec<Vec<DataType>>;
    /// The SQL type of the result.
    fn return_type() -> DataType {
        DataType::Float64
    }
    /// Builds the rule from the constant arguments (in [`Self::constant_args`] order; `None`
    /// for an optional one left out), validating them.
    fn rule(constants: &[Option<ScalarValue>]) -> Result<Self::Rule>;
    /// [`Self::rule`] for a call with these argument types (as coerced), `None` where they
    /// are not known: a function whose constants and columns interleave (a funnel's
    /// exclusions) checks here that they agree.
    fn rule_of_call(
        constants: &[Option<ScalarValue>],
        _arg_types: Option<&[DataType]>,
    ) -> Result<Self::Rule> {
        Self::rule(constants)
    }

    /// Why `DISTINCT` would change this call's result although [`Self::DISTINCT`] accepts it
    /// (a constant argument makes repeated rows count): `Some(reason)` refuses it with the
    /// reason, after "`NAME` does not support DISTINCT ".
    fn distinct_refusal(_rule: &Self::Rule) -> Option<&'static str> {
        None
    }

    /// The rows of a batch the metric reads: every [`Self::REQUIRED_ARGS`] non-NULL and the
    /// FILTER, if any, true.
    fn selected_rows(inputs: &[ArrayRef], filter: Option<&BooleanArray>) -> SelectedRows {
        let columns: Vec<&dyn Array> = Self::REQUIRED_ARGS
            .iter()
            .filter_map(|&i| inputs.get(i))
            .map(|a| a.as_ref())
            .collect();
        SelectedRows::new(inputs[0].len(), &columns, filter)
    }
}

/// How a family of metrics keeps its state: the accumulators and their state fields.
pub(crate) trait Kernel<M: Metric> {
    /// How many names the metric's [`Metric::STATE_NAMES`] must give (the kernel names any
    /// other state columns itself).
    const NAMED_STATE_COLUMNS: usize;
    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>>;
    /// The single-group accumulator (no GROUP BY, window frames).
    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>>;
    /// The native grouped accumulator.
    fn groups_accumulator(
        rule: M::Rule,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>>;
}

/// Defines `pub fn $udaf() -> Arc<AggregateUDF>` returning one shared instance of the
/// aggregate for a [`Metric`].
macro_rules! shared_udaf {
    ($(#[$doc:meta])* $udaf:ident, $metric:ty) => {
        $crate::common::shared_function!(
            $(#[$doc])* $udaf,
            datafusion::logical_expr::AggregateUDF,
            $crate::common::metric::new_udaf::<$metric>
        );
    };
}
pub(crate) use shared_udaf;

/// The compile-time checks of what a metric says against what its kernel needs.
struct Contract<M>(PhantomData<M>);

impl<M: Metric> Contract<M> {
    /// The state names the kernel's columns need.
    const STATE_NAMES_FIT: () = assert!(
        M::STATE_NAMES.len() == <M::Kernel as Kernel<M>>::NAMED_STATE_COLUMNS,
        "a metric names the state columns its kernel asks it to name"
    );
    /// An argument is either read row by row (its NULL skips the row) or a constant, never
    /// both.
    const ROLES_APART: () = {
        let (required, constants) = (M::REQUIRED_ARGS, M::CONSTANT_ARGS);
        let mut i = 0;
        while i < required.len() {
            let mut j = 0;
            while j < constants.len() {
                assert!(
                    required[i] != constants[j].0,
                    "an argument is either read row by row or a constant, not both"
                );
                j += 1;
            }
            i += 1;
        }
    };
}

/// A new DataFusion aggregate for a [`Metric`]; see [`shared_udaf`] for the shared instance.
pub(crate) fn new_udaf<M: Metric>() -> Arc<AggregateUDF> {
    let () = Contract::<M>::STATE_NAMES_FIT;
    let () = Contract::<M>::ROLES_APART;
    Arc::new(AggregateUDF::from(MetricUdaf::<M>::new()))
}

/// The DataFusion aggregate of a [`Metric`].
#[derive(Debug)]
pub(crate) struct MetricUdaf<M> {
    signature: Signature,
    metric: PhantomData<M>,
}

// Two instances of the same function are interchangeable: there is no per-instance setting.
impl<M> PartialEq for MetricUdaf<M> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl<M> Eq for MetricUdaf<M> {}
impl<M: Metric> Hash for MetricUdaf<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        M::NAME.hash(state);
    }
}

impl<M: Metric> MetricUdaf<M> {
    fn new() -> Self {
        Self {
            // The examples as coerced, or a call with exactly an example's types would skip
            // `coerce_types` (DataFusion keeps types that match a signature).
            signature: documented_signature(
                M::example_arg_types()
                    .into_iter()
                    .map(|types| {
                        let constants = M::constant_args(&types);
                        dictionary_string_constants(types, &constants)
                    })
                    .collect(),
            ),
            metric: PhantomData,
        }
    }

    /// The rule of an accumulator about to be created. `DISTINCT` is checked again here for
    /// plans built without the optimizer, whose `simplify` did not run.
    fn rule_for(args: &AccumulatorArgs) -> Result<M::Rule> {
        if M::DISTINCT == Distinct::Refused {
            refuse_distinct(M::NAME, args.is_distinct)?;
        }
        let types: Vec<DataType> = args
            .expr_fields
            .iter()
            .map(|field| field.data_type().clone())
            .collect();
        let rule = M::rule_of_call(
            &constant_arguments(M::NAME, &M::constant_args(&types), args)?,
            Some(&types),
        )?;
        if args.is_distinct {
            refuse_distinct_by_rule::<M>(&rule)?;
        }
        Ok(rule)
    }
}

/// Refuses `DISTINCT` where the call's constants make repeated rows count.
fn refuse_distinct_by_rule<M: Metric>(rule: &M::Rule) -> Result<()> {
    match M::distinct_refusal(rule) {
        Some(reason) => plan_err!("{} does not support DISTINCT {reason}", M::NAME),
        None => Ok(()),
    }
}

impl<M: Metric> AggregateUDFImpl for MetricUdaf<M> {
    fn name(&self) -> &str {
        M::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let coerced = lenient_coercion(M::check_arg_types(arg_types), arg_types)?;
        let constants = M::constant_args(&coerced);
        Ok(dictionary_string_constants(coerced, &constants))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        M::check_arg_types(arg_types)?;
        Ok(M::return_type())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        M::Kernel::state_fields(&args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        M::Kernel::accumulator(Self::rule_for(&args)?, &args)
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        M::Kernel::groups_accumulator(Self::rule_for(&args)?, &args)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        Some(Box::new(|mut aggregate, info| {
            let distinct = aggregate.params.distinct;
            if M::DISTINCT == Distinct::Unchanged {
                aggregate.params.distinct = false;
            }
            let arg_types = aggregate
                .params
                .args
                .iter()
                .map(|arg| info.get_data_type(arg));
            let types = arg_types.collect::<Result<Vec<_>>>().ok();
            let constant_args = match &types {
                Some(types) => M::constant_args(types),
                // A simplifier without a schema: the constants found by their types are
                // checked when the accumulator is created.
                None => Cow::Borrowed(M::CONSTANT_ARGS),
            };
            if let Some(constants) = check_logical_call(M::NAME, &aggregate, &constant_args)? {
                let rule = M::rule_of_call(&constants, types.as_deref())?;
                if distinct {
                    refuse_distinct_by_rule::<M>(&rule)?;
                }
            }
            Ok(Expr::AggregateFunction(aggregate))
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(M::documentation())
    }
}

/// Defines `pub fn $udaf() -> Arc<AggregateUDF>` returning one shared instance of a function
/// with two forms, [`Metric`]s told apart by their number of arguments: `$short` below
/// `$long_from` arguments, `$long` from there on.
macro_rules! shared_overloaded_udaf {
    ($(#[$doc:meta])* $udaf:ident, $short:ty, $long:ty, $long_from:expr) => {
        $crate::common::shared_function!(
            $(#[$doc])* $udaf,
            datafusion::logical_expr::AggregateUDF,
            || $crate::common::metric::new_overloaded_udaf::<$short, $long>($long_from)
        );
    };
}
pub(crate) use shared_overloaded_udaf;

/// A new DataFusion aggregate of two forms of one function: `S` for calls of fewer than
/// `long_from` arguments, `L` for the others. Both name the function and share `S`'s
/// documentation, which describes both.
pub(crate) fn new_overloaded_udaf<S: Metric, L: Metric>(long_from: usize) -> Arc<AggregateUDF> {
    let () = Contract::<S>::STATE_NAMES_FIT;
    let () = Contract::<S>::ROLES_APART;
    let () = Contract::<L>::STATE_NAMES_FIT;
    let () = Contract::<L>::ROLES_APART;
    let short = MetricUdaf::<S>::new();
    let long = MetricUdaf::<L>::new();
    let variants = [&short.signature, &long.signature]
        .into_iter()
        .flat_map(|signature| match &signature.type_signature {
            TypeSignature::OneOf(variants) => variants.clone(),
            other => vec![other.clone()],
        })
        .filter(|variant| !matches!(variant, TypeSignature::UserDefined));
    let signature = Signature::one_of(
        std::iter::once(TypeSignature::UserDefined)
            .chain(variants)
            .collect(),
        Volatility::Immutable,
    );
    Arc::new(AggregateUDF::from(OverloadedUdaf {
        short,
        long,
        long_from,
        signature,
    }))
}

/// One SQL function of two forms: see [`new_overloaded_udaf`].
#[derive(Debug)]
struct OverloadedUdaf<S, L> {
    short: MetricUdaf<S>,
    long: MetricUdaf<L>,
    long_from: usize,
    signature: Signature,
}

impl<S, L> PartialEq for OverloadedUdaf<S, L> {
    fn eq(&self, other: &Self) -> bool {
        self.long_from == other.long_from
    }
}
impl<S, L> Eq for OverloadedUdaf<S, L> {}
impl<S: Metric, L> Hash for OverloadedUdaf<S, L> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        S::NAME.hash(state);
    }
}

impl<S: Metric, L: Metric> OverloadedUdaf<S, L> {
    /// The form of a call with `arguments` arguments.
    fn form(&self, arguments: usize) -> &dyn AggregateUDFImpl {
        if arguments < self.long_from {
            &self.short
        } else {
            &self.long
        }
    }
}

impl<S: Metric, L: Metric> AggregateUDFImpl for OverloadedUdaf<S, L> {
    fn name(&self) -> &str {
        S::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.form(arg_types.len()).coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.form(arg_types.len()).return_type(arg_types)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.form(args.input_fields.len()).state_fields(args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.form(args.exprs.len()).accumulator(args)
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.form(args.exprs.len()).create_groups_accumulator(args)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let (short, long) = (self.short.simplify()?, self.long.simplify()?);
        let long_from = self.long_from;
        Some(Box::new(move |aggregate, info| {
            if aggregate.params.args.len() < long_from {
                short(aggregate, info)
            } else {
                long(aggregate, info)
            }
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(S::documentation())
    }
}

/// The unit of a metric's result (`field`: `None`), or of a field of it.
pub(crate) fn unit_of<M: Metric>(field: Option<&str>) -> Option<&'static str> {
    match field {
        None => M::UNIT,
        Some(field) => M::FIELD_UNITS
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, unit)| *unit),
    }
}
